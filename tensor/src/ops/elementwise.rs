//! Elementwise arithmetic: broadcasting binary ops, scalar ops and unary functions.

use super::assert_same_device;
use crate::backend::{AxisLayout, Backend, BinaryOp, BroadcastShapes, UnaryOp};
use crate::Tensor;

impl Tensor {
    #[track_caller]
    fn binary(&self, rhs: &Tensor, op: BinaryOp) -> Tensor {
        assert_same_device(op.name(), self, rhs);
        let Some(out_shape) = self.shape().broadcast(rhs.shape()) else {
            panic!(
                "{}: shapes {} and {} cannot be broadcast together",
                op.name(),
                self.shape(),
                rhs.shape()
            );
        };
        if let Err(why) = out_shape.try_numel() {
            panic!(
                "{}: shapes {} and {} broadcast to {out_shape}, which {why}",
                op.name(),
                self.shape(),
                rhs.shape()
            );
        }
        let shapes = BroadcastShapes {
            lhs: self.shape(),
            rhs: rhs.shape(),
            out: &out_shape,
        };
        let storage = self.storage().binary(rhs.storage(), op, &shapes);
        Tensor::from_storage(storage, out_shape)
    }

    /// `op(self, rhs)` in `self`'s own buffer when no other tensor shares it and the shapes are
    /// equal (a gradient the tape hands over is such a tensor); otherwise as [`Tensor::binary`].
    #[track_caller]
    fn binary_into(mut self, rhs: &Tensor, op: BinaryOp) -> Tensor {
        if self.shape() == rhs.shape() && self.device() == rhs.device() {
            let shape = self.shape().clone();
            if let Some(storage) = self.unique_storage_mut() {
                storage.binary_assign(rhs.storage(), op, &shape);
                return self;
            }
        }
        self.binary(rhs, op)
    }

    fn unary(&self, op: UnaryOp) -> Tensor {
        Tensor::from_storage(self.storage().unary(op), self.shape().clone())
    }

    /// `self + rhs` with NumPy broadcasting.
    #[track_caller]
    pub fn add(&self, rhs: &Tensor) -> Tensor {
        self.binary(rhs, BinaryOp::Add)
    }

    #[track_caller]
    pub fn sub(&self, rhs: &Tensor) -> Tensor {
        self.binary(rhs, BinaryOp::Sub)
    }

    #[track_caller]
    pub fn mul(&self, rhs: &Tensor) -> Tensor {
        self.binary(rhs, BinaryOp::Mul)
    }

    #[track_caller]
    pub fn div(&self, rhs: &Tensor) -> Tensor {
        self.binary(rhs, BinaryOp::Div)
    }

    /// `self` where `rhs > 0`, else 0 (broadcast): ReLU's backward, with `rhs` the ReLU's
    /// output, in one pass and without a mask tensor.
    #[track_caller]
    pub fn keep_where_positive(&self, rhs: &Tensor) -> Tensor {
        self.binary(rhs, BinaryOp::KeepWherePositive)
    }

    /// [`keep_where_positive`](Tensor::keep_where_positive) written over `self` when nothing
    /// else holds it: ReLU's backward without a new activation-sized buffer.
    #[track_caller]
    pub fn keep_where_positive_into(self, rhs: &Tensor) -> Tensor {
        self.binary_into(rhs, BinaryOp::KeepWherePositive)
    }

    pub fn add_scalar(&self, value: f32) -> Tensor {
        self.unary(UnaryOp::AddScalar(value))
    }

    pub fn mul_scalar(&self, value: f32) -> Tensor {
        self.unary(UnaryOp::MulScalar(value))
    }

    pub fn neg(&self) -> Tensor {
        self.unary(UnaryOp::Neg)
    }

    pub fn exp(&self) -> Tensor {
        self.unary(UnaryOp::Exp)
    }

    /// Natural logarithm.
    pub fn log(&self) -> Tensor {
        self.unary(UnaryOp::Log)
    }

    pub fn sqrt(&self) -> Tensor {
        self.unary(UnaryOp::Sqrt)
    }

    pub fn powf(&self, exponent: f32) -> Tensor {
        self.unary(UnaryOp::Powf(exponent))
    }

    /// `max(x, 0)`.
    pub fn relu(&self) -> Tensor {
        self.unary(UnaryOp::Relu)
    }

    /// The logistic function `1 / (1 + e⁻ˣ)`, as `torch.sigmoid`; no overflow for large |x| (see
    /// [`sigmoid`](crate::backend::sigmoid)).
    pub fn sigmoid(&self) -> Tensor {
        self.unary(UnaryOp::Sigmoid)
    }

    /// `max(self + bias, 0)` with `bias` (one value per channel) added along `axis`: a layer's bias
    /// and ReLU in one pass (axis 1 for both `[N, C, H, W]` and `[N, features]`).
    #[track_caller]
    pub fn bias_relu(&self, bias: &Tensor, axis: usize) -> Tensor {
        let layout = self.bias_layout("bias_relu", bias, axis);
        Tensor::from_storage(
            self.storage().bias_relu(bias.storage(), layout),
            self.shape().clone(),
        )
    }

    /// [`bias_relu`](Tensor::bias_relu) written over `self` when nothing else holds it (a
    /// convolution's output, which its backward does not keep).
    #[track_caller]
    pub fn bias_relu_into(mut self, bias: &Tensor, axis: usize) -> Tensor {
        let layout = self.bias_layout("bias_relu", bias, axis);
        match self.unique_storage_mut() {
            Some(storage) => {
                storage.bias_relu_assign(bias.storage(), layout);
                self
            }
            None => self.bias_relu(bias, axis),
        }
    }

    /// `self` around `axis`, after checking that `bias` has one value per index of that axis.
    #[track_caller]
    fn bias_layout(&self, op: &str, bias: &Tensor, axis: usize) -> AxisLayout {
        assert_same_device(op, self, bias);
        assert!(
            axis < self.rank() && bias.dims() == [self.dims()[axis]],
            "{op}: bias {} does not match axis {axis} of {}",
            bias.shape(),
            self.shape()
        );
        AxisLayout::of(self.shape(), axis)
    }

    /// 1 where `x > 0`, else 0 (ReLU's derivative).
    pub fn step(&self) -> Tensor {
        self.unary(UnaryOp::Step)
    }

    /// A dropout mask shaped like `self` on its device: each element is 0 with probability `p`,
    /// else `1 / (1 − p)`. The same `(seed, p, shape)` gives the same mask on every backend.
    #[track_caller]
    pub fn dropout_mask_like(&self, p: f32, seed: u64) -> Tensor {
        assert!(
            (0.0..=1.0).contains(&p),
            "dropout: probability {p} is not in [0, 1]"
        );
        Tensor::from_storage(
            self.storage().dropout_mask_like(p, seed),
            self.shape().clone(),
        )
    }
}

/// `&a + &b` and friends, for readable formulas.
macro_rules! operator {
    ($trait:ident, $method:ident) => {
        impl std::ops::$trait<&Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                Tensor::$method(self, rhs)
            }
        }
    };
}

operator!(Add, add);
operator!(Sub, sub);
operator!(Mul, mul);
operator!(Div, div);

impl std::ops::Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(self)
    }
}

//! The kernel set: ONE trait that lists every kernel the library needs.
//!
//! Each backend (the CPU now, CUDA behind the `cuda` feature) implements [`Backend`] for its
//! storage type, so a kernel missing on one backend is a compile error. Kernels see flat buffers
//! plus the few sizes they need ("geometry"); shapes, checks and dispatch live in [`Tensor`]'s
//! methods (`crate::ops`), which call these through [`Storage`](crate::storage::Storage).
//!
//! [`Tensor`]: crate::Tensor

use crate::Shape;

/// Elementwise functions of one input (some with a scalar parameter).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryOp {
    Neg,
    Exp,
    Log,
    Sqrt,
    Relu,
    /// 1 where x > 0, else 0: the derivative of ReLU.
    Step,
    Powf(f32),
    AddScalar(f32),
    MulScalar(f32),
    /// `1 / (1 + e⁻ˣ)`, computed so that no large |x| overflows (see [`sigmoid`]).
    Sigmoid,
}

impl UnaryOp {
    /// The scalar function itself; backends without their own fast path use it directly.
    pub fn apply(self, x: f32) -> f32 {
        match self {
            UnaryOp::Neg => -x,
            UnaryOp::Exp => x.exp(),
            UnaryOp::Log => x.ln(),
            UnaryOp::Sqrt => x.sqrt(),
            UnaryOp::Relu => relu(x),
            UnaryOp::Step => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            UnaryOp::Powf(e) => x.powf(e),
            UnaryOp::AddScalar(s) => x + s,
            UnaryOp::MulScalar(s) => x * s,
            UnaryOp::Sigmoid => sigmoid(x),
        }
    }
}

/// `max(x, 0)`, except that NaN stays NaN (as in PyTorch): `f32::max` would turn it into 0 and
/// hide broken weights from every layer after a ReLU.
pub fn relu(x: f32) -> f32 {
    if x > 0.0 || x.is_nan() {
        x
    } else {
        0.0
    }
}

/// The logistic function `σ(x) = 1 / (1 + e⁻ˣ)`, written so that the exponential is never of a
/// large positive number: for x ≥ 0 as `1 / (1 + e⁻ˣ)`, for x < 0 as `eˣ / (1 + eˣ)` (the same
/// value, multiplied through by `eˣ`). Both forms then take `e` of a number ≤ 0, which lies in
/// (0, 1]: no overflow, and tiny results for very negative x keep their precision instead of
/// becoming `1 / ∞`. NaN stays NaN.
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Elementwise functions of two (broadcast) inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    /// `a` where `b > 0`, else 0: ReLU's backward (`a` the output gradient, `b` the ReLU's
    /// output, positive exactly where its input was), as PyTorch's `threshold_backward`; a NaN
    /// gradient where the unit was off gives 0.
    KeepWherePositive,
}

impl BinaryOp {
    pub fn apply(self, a: f32, b: f32) -> f32 {
        match self {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::KeepWherePositive => {
                if b > 0.0 {
                    a
                } else {
                    0.0
                }
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::KeepWherePositive => "keep_where_positive",
        }
    }
}

/// The shapes of a broadcasting binary op: both operands', and the output's that both are
/// broadcast to (NumPy rules, already checked).
#[derive(Clone, Copy, Debug)]
pub struct BroadcastShapes<'a> {
    pub lhs: &'a Shape,
    pub rhs: &'a Shape,
    pub out: &'a Shape,
}

impl BroadcastShapes<'_> {
    /// Each operand's stride per output axis (0 where it is broadcast): `(lhs, rhs)`.
    pub fn operand_strides(&self) -> (Vec<usize>, Vec<usize>) {
        (
            self.lhs.broadcast_strides(self.out),
            self.rhs.broadcast_strides(self.out),
        )
    }
}

/// Reductions along one axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    Sum,
    Max,
}

/// A tensor viewed around one axis: `outer` blocks, each `len` steps of stride `inner` along the
/// axis. Reductions, softmax and argmax along any axis use this one description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxisLayout {
    pub outer: usize,
    pub len: usize,
    pub inner: usize,
}

impl AxisLayout {
    pub fn of(shape: &Shape, axis: usize) -> Self {
        let (outer, len, inner) = shape.split_at_axis(axis);
        AxisLayout { outer, len, inner }
    }
}

/// `C[b] = op(A[b]) · op(B[b])` for `b` in `0..batch`, row-major, where `op` transposes when the
/// flag is set. Unflagged, A[b] is m×k and B[b] is k×n; flagged, they are stored k×m and n×k.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GemmSpec {
    pub batch: usize,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub transpose_a: bool,
    pub transpose_b: bool,
}

/// Sizes of a 2-D convolution over NCHW input with OIHW weights (square stride and padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dGeometry {
    pub batch: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride: usize,
    pub padding: usize,
    pub out_h: usize,
    pub out_w: usize,
}

impl Conv2dGeometry {
    /// Output size along one axis: `floor((input + 2·padding − kernel) / stride) + 1`.
    pub fn out_size(input: usize, kernel: usize, stride: usize, padding: usize) -> Option<usize> {
        (input + 2 * padding)
            .checked_sub(kernel)
            .map(|span| span / stride + 1)
    }

    /// Rows of the im2col matrix: one per (input channel, kernel row, kernel column).
    pub fn patch_len(&self) -> usize {
        self.in_channels * self.kernel_h * self.kernel_w
    }

    /// Columns of the im2col matrix: one per output pixel.
    pub fn out_pixels(&self) -> usize {
        self.out_h * self.out_w
    }

    /// Multiply-adds ×2 of the forward pass (the backward passes cost the same each).
    pub fn forward_flops(&self) -> f64 {
        2.0 * (self.batch * self.out_channels * self.out_pixels() * self.patch_len()) as f64
    }
}

/// Sizes of a 2-D pooling (max or average) over NCHW input (square kernel, stride and padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dGeometry {
    pub batch: usize,
    pub channels: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
    pub out_h: usize,
    pub out_w: usize,
}

impl Pool2dGeometry {
    pub fn planes(&self) -> usize {
        self.batch * self.channels
    }
}

/// Sizes of an adaptive average-pooling over NCHW input: the output size is given, and output
/// row `i` averages input rows `floor(i·H/out_h) .. ceil((i + 1)·H/out_h)` (columns likewise), as
/// `torch.nn.functional.adaptive_avg_pool2d`. Windows may differ in size and overlap by a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdaptivePool2dGeometry {
    pub batch: usize,
    pub channels: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub out_h: usize,
    pub out_w: usize,
}

impl AdaptivePool2dGeometry {
    pub fn planes(&self) -> usize {
        self.batch * self.channels
    }

    /// The input rows averaged by output row `out` (columns: `window(out, in_w, out_w)`):
    /// `floor(out·input/outputs) .. ceil((out + 1)·input/outputs)`.
    pub fn window(out: usize, input: usize, outputs: usize) -> std::ops::Range<usize> {
        let start = out * input / outputs;
        let end = ((out + 1) * input).div_ceil(outputs);
        start..end
    }

    /// The output rows whose windows contain input row `v`, the inverse of
    /// [`window`](Self::window): output `o` contains `v` when `floor(o·input/outputs) ≤ v`, i.e.
    /// `o < (v + 1)·outputs/input`, and `ceil((o + 1)·input/outputs) > v`, i.e.
    /// `o ≥ floor(v·outputs/input)`.
    pub fn covering_outputs(v: usize, input: usize, outputs: usize) -> std::ops::Range<usize> {
        let first = v * outputs / input;
        let last = ((v + 1) * outputs).div_ceil(input).min(outputs);
        first..last
    }
}

/// Hyper-parameters of one Adam step, as `torch.optim.Adam` (L2 weight decay added to the
/// gradient; `step` counts from 1 and drives the bias corrections).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamStep {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub step: u32,
}

/// One parameter tensor's share of a fused Adam step over many tensors: the parameter, its
/// gradient, its moment estimates (all one shape) and the step's hyper-parameters (`step` may
/// differ between tensors, as PyTorch counts steps per parameter).
pub struct AdamUpdate<'a, T> {
    pub param: &'a mut T,
    pub grad: &'a T,
    pub m: &'a mut T,
    pub v: &'a mut T,
    pub hyper: AdamStep,
}

/// Hyper-parameters of one SGD step, as `torch.optim.SGD`. On the first step the momentum
/// buffer is set to the gradient itself (PyTorch's rule), later it is `μ·buf + (1 − dampening)·g`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdStep {
    pub lr: f32,
    pub momentum: f32,
    pub dampening: f32,
    pub weight_decay: f32,
    pub nesterov: bool,
    pub first_step: bool,
}

/// Sizes of a bilinear resize of NCHW images (`planes` = N·C).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResizeGeometry {
    pub planes: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub out_h: usize,
    pub out_w: usize,
}

/// Sizes for turning dataset bytes into a batch: `count` images picked from a dataset of
/// `in_h × in_w` byte images, scaled to [0, 1] and resized bilinearly to `out_h × out_w`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GatherImages {
    pub count: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub out_h: usize,
    pub out_w: usize,
}

impl GatherImages {
    /// The resize that follows the gather: the `count` picked images, one plane each.
    pub fn resize_geometry(&self) -> ResizeGeometry {
        ResizeGeometry {
            planes: self.count,
            in_h: self.in_h,
            in_w: self.in_w,
            out_h: self.out_h,
            out_w: self.out_w,
        }
    }
}

/// Every kernel rustgrad needs, implemented once per backend on its storage type.
///
/// Conventions: inputs are contiguous row-major buffers; every method returns a fresh buffer
/// on the same device; "grad" arguments are gradients of the loss with respect to the op's output.
pub trait Backend: Sized {
    /// The backend's buffer of integer indices (class labels, argmax positions).
    type Indices;

    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Copies the values to host memory.
    fn to_vec(&self) -> Vec<f32>;

    // Elementwise.
    fn unary(&self, op: UnaryOp) -> Self;
    /// `op(self, rhs)` broadcast to `shapes.out`.
    fn binary(&self, rhs: &Self, op: BinaryOp, shapes: &BroadcastShapes) -> Self;
    /// `self = op(self, rhs)` for two buffers of one `shape`, in `self`'s memory where the
    /// backend can (the CPU's does); by default a new buffer replaces it.
    fn binary_assign(&mut self, rhs: &Self, op: BinaryOp, shape: &Shape) {
        let shapes = BroadcastShapes {
            lhs: shape,
            rhs: shape,
            out: shape,
        };
        *self = self.binary(rhs, op, &shapes);
    }

    /// `max(self + bias, 0)` with `bias` (one value per channel) broadcast along the middle axis
    /// of `layout` (`[outer, channels, inner]`): a layer's bias and its ReLU in one pass.
    fn bias_relu(&self, bias: &Self, layout: AxisLayout) -> Self;
    /// [`bias_relu`](Backend::bias_relu) in `self`'s memory where the backend can (the CPU's
    /// does); by default a new buffer replaces it.
    fn bias_relu_assign(&mut self, bias: &Self, layout: AxisLayout) {
        *self = self.bias_relu(bias, layout);
    }

    // Layout.
    /// A contiguous copy with axes reordered: output axis `i` is input axis `axes[i]`.
    fn permute(&self, shape: &Shape, axes: &[usize]) -> Self;

    /// Joins `parts` along one axis: part `p` is viewed as `[outer, lens[p], inner]`, the result
    /// is `[outer, Σ lens, inner]` with the parts side by side along the middle axis (a part may
    /// be empty). `parts` is not empty and all parts are on one device.
    fn cat(parts: &[&Self], lens: &[usize], outer: usize, inner: usize) -> Self;
    /// The slab `start .. start + len` of the middle axis of `layout`: `[outer, len, inner]`.
    fn narrow(&self, layout: AxisLayout, start: usize, len: usize) -> Self;

    // Reductions along one axis: the output has `outer × inner` elements.
    fn reduce(&self, op: ReduceOp, layout: AxisLayout) -> Self;
    fn argmax(&self, layout: AxisLayout) -> Self::Indices;
    /// The inverse of picking one element per lane: a zero tensor of `outer × len × inner` with
    /// `self[o, i]` written at position `indices[o, i]` along the axis (max's backward).
    fn scatter_along_axis(&self, indices: &Self::Indices, layout: AxisLayout) -> Self;

    // Matrix multiplication.
    fn gemm(&self, rhs: &Self, spec: &GemmSpec) -> Self;

    // Convolution (self is the input for the forward, the output gradient for the backwards).
    fn conv2d(&self, weight: &Self, bias: Option<&Self>, geometry: &Conv2dGeometry) -> Self;
    fn conv2d_input_grad(&self, weight: &Self, geometry: &Conv2dGeometry) -> Self;
    fn conv2d_weight_grad(&self, input: &Self, geometry: &Conv2dGeometry) -> Self;

    // Max-pooling; the indices are positions within each (n, c) plane, as PyTorch returns them.
    fn max_pool2d(&self, geometry: &Pool2dGeometry) -> (Self, Self::Indices);
    fn max_pool2d_backward(&self, indices: &Self::Indices, geometry: &Pool2dGeometry) -> Self;

    // Average-pooling with PyTorch's defaults (`count_include_pad=True`, `ceil_mode=False`):
    // padded zeros count, so every window's sum is divided by kernel².
    fn avg_pool2d(&self, geometry: &Pool2dGeometry) -> Self;
    /// `self` is the output gradient; each input gathers `dy / kernel²` from every window that
    /// covers it.
    fn avg_pool2d_backward(&self, geometry: &Pool2dGeometry) -> Self;

    // Adaptive average-pooling: the window of each output is worked out from the sizes alone
    // (`AdaptivePool2dGeometry::window`), and divides by its own size.
    fn adaptive_avg_pool2d(&self, geometry: &AdaptivePool2dGeometry) -> Self;
    /// `self` is the output gradient; each input gathers `dy / window size` from every window
    /// that contains it.
    fn adaptive_avg_pool2d_backward(&self, geometry: &AdaptivePool2dGeometry) -> Self;

    // Softmax family along one axis.
    fn softmax(&self, layout: AxisLayout) -> Self;
    fn log_softmax(&self, layout: AxisLayout) -> Self;
    /// Mean over `rows` of `−log softmax(logits)[label]`: a one-element buffer.
    fn cross_entropy(&self, labels: &Self::Indices, rows: usize, classes: usize) -> Self;
    /// `grad_loss · (softmax(logits) − one_hot(labels)) / rows`; `grad_loss` has one element.
    fn cross_entropy_backward(
        &self,
        labels: &Self::Indices,
        grad_loss: &Self,
        rows: usize,
        classes: usize,
    ) -> Self;

    // Optimizer steps, in place on the parameters and the optimizer's state.
    /// Adam on every tensor of `updates` at once (one launch on a GPU, where the per-launch
    /// cost would otherwise be paid once per parameter tensor).
    fn adam_step(updates: &mut [AdamUpdate<'_, Self>])
    where
        Self: Sized;
    /// In place on the parameter (`self`).
    /// `momentum_buffer` is `None` when momentum is 0.
    fn sgd_step(&mut self, grad: &Self, momentum_buffer: Option<&mut Self>, hyper: &SgdStep);

    // Images.
    /// Bilinear interpolation with `align_corners = False` semantics (PyTorch's `interpolate`).
    fn resize_bilinear(&self, geometry: &ResizeGeometry) -> Self;
    /// A batch `[count, 1, out_h, out_w]` from a dataset kept on the device as bytes (packed
    /// four to a `u32`, little-endian): image `picks[i]`, pixels / 255, resized bilinearly.
    /// One pass, so the only per-batch upload is `picks`.
    fn gather_images(
        pixels: &Self::Indices,
        picks: &Self::Indices,
        geometry: &GatherImages,
    ) -> Self;

    // Randomness.
    /// A dropout mask of `self.len()` elements: 0 with probability `p`, else `1 / (1 − p)`,
    /// element `i` drawn from `(seed, i)` alone (see [`crate::rng::hash_uniform`]).
    fn dropout_mask_like(&self, p: f32, seed: u64) -> Self;
}

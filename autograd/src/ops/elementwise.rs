//! Elementwise ops. For broadcasting ops, an input that was stretched along some axes receives
//! the sum of the gradient over those axes (`sum_to_shape`).

use crate::var::{rule, rule_owning};
use crate::Var;

impl Var {
    /// `a + b`: ∂/∂a = 1, ∂/∂b = 1.
    #[track_caller]
    pub fn add(&self, rhs: &Var) -> Var {
        let out = self.value().add(rhs.value());
        let (a_shape, b_shape) = (self.shape().clone(), rhs.shape().clone());
        Var::record(
            "add",
            out,
            [
                (self, rule(move |g| g.sum_to_shape(&a_shape))),
                (rhs, rule(move |g| g.sum_to_shape(&b_shape))),
            ],
        )
    }

    /// `a − b`: ∂/∂a = 1, ∂/∂b = −1.
    #[track_caller]
    pub fn sub(&self, rhs: &Var) -> Var {
        let out = self.value().sub(rhs.value());
        let (a_shape, b_shape) = (self.shape().clone(), rhs.shape().clone());
        Var::record(
            "sub",
            out,
            [
                (self, rule(move |g| g.sum_to_shape(&a_shape))),
                (rhs, rule(move |g| g.neg().sum_to_shape(&b_shape))),
            ],
        )
    }

    /// `a · b`: ∂/∂a = b, ∂/∂b = a.
    #[track_caller]
    pub fn mul(&self, rhs: &Var) -> Var {
        let (a, b) = (self.value().clone(), rhs.value().clone());
        let out = a.mul(&b);
        let (a_for_b, b_for_a) = (a.clone(), b.clone());
        Var::record(
            "mul",
            out,
            [
                (self, rule(move |g| g.mul(&b_for_a).sum_to_shape(a.shape()))),
                (rhs, rule(move |g| g.mul(&a_for_b).sum_to_shape(b.shape()))),
            ],
        )
    }

    /// `a / b`: ∂/∂a = 1/b, ∂/∂b = −a/b².
    #[track_caller]
    pub fn div(&self, rhs: &Var) -> Var {
        let (a, b) = (self.value().clone(), rhs.value().clone());
        let out = a.div(&b);
        let (a_for_b, b_for_a) = (a.clone(), b.clone());
        Var::record(
            "div",
            out,
            [
                (self, rule(move |g| g.div(&b_for_a).sum_to_shape(a.shape()))),
                (
                    rhs,
                    rule(move |g| {
                        let d = a_for_b.div(&b.mul(&b)).neg();
                        g.mul(&d).sum_to_shape(b.shape())
                    }),
                ),
            ],
        )
    }

    /// `x + c`: ∂/∂x = 1.
    #[track_caller]
    pub fn add_scalar(&self, c: f32) -> Var {
        Var::record(
            "add_scalar",
            self.value().add_scalar(c),
            [(self, rule(|g| g.clone()))],
        )
    }

    /// `c · x`: ∂/∂x = c.
    #[track_caller]
    pub fn mul_scalar(&self, c: f32) -> Var {
        Var::record(
            "mul_scalar",
            self.value().mul_scalar(c),
            [(self, rule(move |g| g.mul_scalar(c)))],
        )
    }

    /// `−x`: ∂/∂x = −1.
    #[track_caller]
    pub fn neg(&self) -> Var {
        Var::record("neg", self.value().neg(), [(self, rule(|g| g.neg()))])
    }

    /// `eˣ`: ∂/∂x = eˣ, the output itself.
    #[track_caller]
    pub fn exp(&self) -> Var {
        let out = self.value().exp();
        let saved = out.clone();
        Var::record("exp", out, [(self, rule(move |g| g.mul(&saved)))])
    }

    /// `ln x`: ∂/∂x = 1/x.
    #[track_caller]
    pub fn log(&self) -> Var {
        let x = self.value().clone();
        Var::record("log", x.log(), [(self, rule(move |g| g.div(&x)))])
    }

    /// `√x`: ∂/∂x = 1 / (2√x).
    #[track_caller]
    pub fn sqrt(&self) -> Var {
        let out = self.value().sqrt();
        let saved = out.clone();
        Var::record(
            "sqrt",
            out,
            [(self, rule(move |g| g.div(&saved).mul_scalar(0.5)))],
        )
    }

    /// `xᵖ`: ∂/∂x = p·xᵖ⁻¹.
    #[track_caller]
    pub fn powf(&self, p: f32) -> Var {
        let x = self.value().clone();
        Var::record(
            "powf",
            x.powf(p),
            [(self, rule(move |g| g.mul(&x.powf(p - 1.0)).mul_scalar(p)))],
        )
    }

    /// `max(x, 0)`: ∂/∂x = 1 where x > 0, else 0.
    #[track_caller]
    pub fn relu(&self) -> Var {
        let out = self.value().relu();
        // relu(x) > 0 exactly where x > 0, so the output (which the next layer usually keeps
        // anyway) can stand in for the input: no mask is stored.
        let saved = out.clone();
        Var::record(
            "relu",
            out,
            [(
                self,
                rule_owning(move |g| g.keep_where_positive_into(&saved)),
            )],
        )
    }

    /// `σ(x) = 1 / (1 + e⁻ˣ)`: ∂/∂x = σ(x)·(1 − σ(x)), computed from the output itself.
    #[track_caller]
    pub fn sigmoid(&self) -> Var {
        let out = self.value().sigmoid();
        let saved = out.clone();
        Var::record(
            "sigmoid",
            out,
            [(
                self,
                rule(move |g| g.mul(&saved.neg().add_scalar(1.0)).mul(&saved)),
            )],
        )
    }

    /// `y = max(x + b, 0)` with `b` broadcast along `axis` (a layer's bias and ReLU, fused):
    /// one pass forward instead of two.
    ///
    /// On the tape it is the two ops it fuses, `add_bias` then `relu`, so that backward masks
    /// the gradient once, in place, and passes it on: `relu`: ∂L/∂z = g where y > 0 (else 0);
    /// `add_bias`: ∂L/∂x = ∂L/∂z, and ∂L/∂b sums ∂L/∂z over every axis but `axis`.
    ///
    /// It takes `self` by value: when the caller hands over the only handle on x's buffer (a
    /// convolution's or a matmul's output), y is written over it.
    #[track_caller]
    pub fn bias_relu(self, bias: &Var, axis: usize) -> Var {
        let dims = self.dims().to_vec();
        let per_channel = move |g: &tensor::Tensor| {
            let (outer, channels, inner) = tensor::Shape::new(dims.clone()).split_at_axis(axis);
            let g = g.reshape([outer, channels, inner]);
            g.sum_axis(2, false).sum_axis(0, false)
        };
        // z = x + b is never computed on its own: the tape node gets x's value as a stand-in
        // (of z's shape) until y is known, and only the `relu` node below ever sees it.
        let z = Var::record(
            "add_bias",
            self.value().clone(),
            [(bias, rule(per_channel)), (&self, rule_owning(|g| g))],
        );
        drop(self); // so that z's handle on x's buffer may be the only one
        let z = z.map_value(|x| x.bias_relu_into(bias.value(), axis));
        let out = z.value().clone();
        // As in `relu`: the output is positive exactly where the unit is on.
        let saved = out.clone();
        Var::record(
            "relu",
            out,
            [(&z, rule_owning(move |g| g.keep_where_positive_into(&saved)))],
        )
    }

    /// Inverted dropout, as in training: zero each element with probability `p` and scale the
    /// rest by `1 / (1 − p)`; the mask comes from `seed`. ∂/∂x = the mask. (In evaluation
    /// dropout is the identity: the `Dropout` layer then does not call this.)
    #[track_caller]
    pub fn dropout(&self, p: f32, seed: u64) -> Var {
        if p == 0.0 {
            return self.clone();
        }
        let mask = self.value().dropout_mask_like(p, seed);
        let out = self.value().mul(&mask);
        Var::record("dropout", out, [(self, rule(move |g| g.mul(&mask)))])
    }
}

//! Softmax, log-softmax and cross-entropy.

use crate::var::rule;
use crate::Var;
use tensor::Indices;

impl Var {
    /// `s = softmax(x)` along `axis`: ∂L/∂x = s · (g − Σ g·s), the sum along the axis.
    #[track_caller]
    pub fn softmax(&self, axis: usize) -> Var {
        let out = self.value().softmax(axis);
        let s = out.clone();
        let rule = rule(move |g| {
            let dot = g.mul(&s).sum_axis(axis, true);
            s.mul(&g.sub(&dot))
        });
        Var::record("softmax", out, [(self, rule)])
    }

    /// `y = log_softmax(x)` along `axis`: ∂L/∂x = g − softmax(x) · Σ g, with softmax = eʸ.
    #[track_caller]
    pub fn log_softmax(&self, axis: usize) -> Var {
        let out = self.value().log_softmax(axis);
        let y = out.clone();
        let rule = rule(move |g| g.sub(&y.exp().mul(&g.sum_axis(axis, true))));
        Var::record("log_softmax", out, [(self, rule)])
    }

    /// Mean cross-entropy of logits `[N, classes]` against integer labels `[N]`:
    /// ∂L/∂logits = (softmax(logits) − one_hot(labels)) / N, computed by one fused kernel.
    #[track_caller]
    pub fn cross_entropy(&self, labels: &Indices) -> Var {
        let logits = self.value().clone();
        let out = logits.cross_entropy(labels);
        let labels = labels.clone();
        Var::record(
            "cross_entropy",
            out,
            [(
                self,
                rule(move |g| logits.cross_entropy_backward(&labels, g)),
            )],
        )
    }
}

//! Pooling. Max-pooling: each output gradient flows to the input its window picked. Overlapping
//! windows (kernel > stride) can pick the same input, whose gradient is then the sum.
//! Average-pooling: each output is `Σ window / kernel²`, so each input of a window gets
//! `dy / kernel²`, summed over the (possibly overlapping) windows that cover it. Adaptive
//! average-pooling likewise, with each window's own size in place of kernel².

use crate::var::{rule, rule_owning};
use crate::Var;
use tensor::{AdaptivePool2dGeometry, Pool2dGeometry};

impl Var {
    /// `torch.nn.functional.max_pool2d(x, kernel, stride, padding)`.
    #[track_caller]
    pub fn max_pool2d(&self, kernel: usize, stride: usize, padding: usize) -> Var {
        let (out, winners) = self.value().max_pool2d(kernel, stride, padding);
        let geometry = Pool2dGeometry::from_shape(self.shape(), kernel, stride, padding);
        Var::record(
            "max_pool2d",
            out,
            [(
                self,
                rule(move |g| g.max_pool2d_backward(&winners, &geometry)),
            )],
        )
    }

    /// `max_pool2d(relu(x))`, computed as `relu(max_pool2d(x))`: ReLU is increasing, so the
    /// largest of a window's ReLUs is the ReLU of its largest value (NaN included). The ReLU
    /// then runs on the pooled values (4× fewer after AlexNet's pools) and `relu(x)`, as large
    /// as x, is never stored: backward masks `g` by `out > 0` and routes it to each window's
    /// maximum. Where the window's maximum is ≤ 0 the gradient is 0 either way, so it does not
    /// matter which of the tied zeros PyTorch's unfused ReLU and pool would have picked.
    #[track_caller]
    pub fn relu_max_pool2d(&self, kernel: usize, stride: usize, padding: usize) -> Var {
        let (pooled, winners) = self.value().max_pool2d(kernel, stride, padding);
        let out = pooled.relu();
        let saved = out.clone();
        let geometry = Pool2dGeometry::from_shape(self.shape(), kernel, stride, padding);
        Var::record(
            "relu_max_pool2d",
            out,
            [(
                self,
                rule_owning(move |g| {
                    let masked = g.keep_where_positive_into(&saved);
                    masked.max_pool2d_backward(&winners, &geometry)
                }),
            )],
        )
    }

    /// `torch.nn.functional.avg_pool2d(x, kernel, stride, padding)` (padded zeros count).
    #[track_caller]
    pub fn avg_pool2d(&self, kernel: usize, stride: usize, padding: usize) -> Var {
        let out = self.value().avg_pool2d(kernel, stride, padding);
        // The op above has checked the shape, so this cannot panic.
        let geometry = Pool2dGeometry::from_shape(self.shape(), kernel, stride, padding);
        Var::record(
            "avg_pool2d",
            out,
            // ∂out/∂x = 1/kernel² for every x in the window: dy / kernel² goes to each of them.
            [(self, rule(move |g| g.avg_pool2d_backward(&geometry)))],
        )
    }

    /// `torch.nn.functional.adaptive_avg_pool2d(x, (out_h, out_w))`.
    #[track_caller]
    pub fn adaptive_avg_pool2d(&self, out_h: usize, out_w: usize) -> Var {
        let out = self.value().adaptive_avg_pool2d(out_h, out_w);
        let geometry = AdaptivePool2dGeometry::from_shape(self.shape(), out_h, out_w);
        Var::record(
            "adaptive_avg_pool2d",
            out,
            // ∂out/∂x = 1/|window| for every x in the window: dy / |window| goes to each of them.
            [(
                self,
                rule(move |g| g.adaptive_avg_pool2d_backward(&geometry)),
            )],
        )
    }
}

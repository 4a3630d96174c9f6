//! Max-pooling: each output gradient flows to the input its window picked. Overlapping windows
//! (kernel > stride) can pick the same input, whose gradient is then the sum.

use crate::var::rule;
use crate::Var;
use tensor::Pool2dGeometry;

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
}

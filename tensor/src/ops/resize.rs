//! Image resizing.

use crate::backend::{Backend, ResizeGeometry};
use crate::{Shape, Tensor};

impl Tensor {
    /// Bilinear resize of NCHW images to `out_h × out_w`, as
    /// `torch.nn.functional.interpolate(x, size, mode="bilinear", align_corners=False)`.
    #[track_caller]
    pub fn resize_bilinear(&self, out_h: usize, out_w: usize) -> Tensor {
        assert!(
            self.rank() == 4,
            "resize_bilinear: input {} must be [N, C, H, W]",
            self.shape()
        );
        let [n, c, in_h, in_w] = self.dims().try_into().unwrap();
        assert!(
            in_h > 0 && in_w > 0 && out_h > 0 && out_w > 0,
            "resize_bilinear: cannot resize {} to {out_h}x{out_w}",
            self.shape()
        );
        let geometry = ResizeGeometry {
            planes: n * c,
            in_h,
            in_w,
            out_h,
            out_w,
        };
        Tensor::from_storage(
            self.storage().resize_bilinear(&geometry),
            Shape::new([n, c, out_h, out_w]),
        )
    }
}

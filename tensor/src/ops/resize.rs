//! Image resizing.

use crate::backend::{Backend, GatherImages, ResizeGeometry};
use crate::storage::Storage;
use crate::{Indices, Shape, Tensor};

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
        let out_shape = Shape::new([n, c, out_h, out_w]);
        if let Err(why) = out_shape.try_numel() {
            panic!(
                "resize_bilinear: resizing {} to {out_h}x{out_w}: the output {out_shape} {why}",
                self.shape()
            );
        }
        let geometry = ResizeGeometry {
            planes: n * c,
            in_h,
            in_w,
            out_h,
            out_w,
        };
        Tensor::from_storage(self.storage().resize_bilinear(&geometry), out_shape)
    }
}

impl Tensor {
    /// A batch `[picks.len(), 1, size, size]` from a dataset of `rows × cols` byte images kept on
    /// the device as `pixels` (bytes packed four to a `u32`, see [`Indices::pack_bytes`]): image
    /// `picks[i]`, scaled to [0, 1] as torchvision's `ToTensor`, resized bilinearly.
    #[track_caller]
    pub fn gather_images(
        pixels: &Indices,
        picks: &Indices,
        rows: usize,
        cols: usize,
        size: usize,
    ) -> Tensor {
        assert!(
            pixels.device() == picks.device(),
            "gather_images: dataset on {} but picks on {}",
            pixels.device(),
            picks.device()
        );
        let out_shape = Shape::new([picks.numel(), 1, size, size]);
        if let Err(why) = out_shape.try_numel() {
            panic!("gather_images: the batch {out_shape} {why}");
        }
        let geometry = GatherImages {
            count: picks.numel(),
            in_h: rows,
            in_w: cols,
            out_h: size,
            out_w: size,
        };
        let storage = Storage::gather_images(pixels.storage(), picks.storage(), &geometry);
        Tensor::from_storage(storage, out_shape)
    }
}

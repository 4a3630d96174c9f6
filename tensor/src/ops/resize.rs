//! Image resizing.

use crate::backend::{Backend, GatherImages, ResizeGeometry};
use crate::storage::Storage;
use crate::{Indices, PackedBytes, Shape, Tensor};

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
    /// the device as `pixels`: image `picks[i]`, scaled to [0, 1] as torchvision's `ToTensor`,
    /// resized bilinearly. One kernel, so a batch costs only the upload of `picks`.
    #[track_caller]
    pub fn gather_images(
        pixels: &PackedBytes,
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
        assert!(
            rows > 0 && cols > 0 && size > 0,
            "gather_images: cannot resize {rows}x{cols} images to {size}x{size}"
        );
        assert_picks_inside(pixels, picks, rows.saturating_mul(cols));
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

/// Every pick names a whole image of `pixels`: the kernels do not check, and on a GPU a read
/// past the end would not panic. Picks made on the host (a batch's example numbers) carry their
/// largest value; others are read back once.
#[track_caller]
fn assert_picks_inside(pixels: &PackedBytes, picks: &Indices, image_len: usize) {
    let images = pixels.len() / image_len;
    let largest = picks
        .largest_known()
        .or_else(|| picks.to_vec().into_iter().max());
    if let Some(largest) = largest {
        assert!(
            (largest as usize) < images,
            "gather_images: pick {largest}, but the dataset of {} bytes holds {images} images of \
             {image_len} bytes",
            pixels.len()
        );
    }
}

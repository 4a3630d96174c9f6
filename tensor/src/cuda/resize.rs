//! Images on the GPU (kernels/resize.cu): bilinear resize, and a training batch gathered from a
//! dataset kept on the device as bytes. The CPU versions are in `cpu/resize.rs`.

use super::error::to_u32;
use super::launch::Launch;
use super::{CudaIndices, CudaStorage};
use crate::backend::{GatherImages, ResizeGeometry};

/// Bilinear interpolation of `[planes, in_h, in_w]` to `[planes, out_h, out_w]`.
pub fn resize_bilinear(x: &CudaStorage, g: &ResizeGeometry) -> CudaStorage {
    let n = g.planes * g.out_h * g.out_w;
    let out = CudaStorage::uninit(x.device(), n);
    let [planes, in_h, in_w, out_h, out_w] =
        [g.planes, g.in_h, g.in_w, g.out_h, g.out_w].map(|size| to_u32(size, "image size"));
    Launch::grid_stride(x.device(), "resize_bilinear", n)
        .arg(&out.all())
        .arg(&x.all())
        .arg(&planes)
        .arg(&in_h)
        .arg(&in_w)
        .arg(&out_h)
        .arg(&out_w)
        .run();
    out
}

/// Images `picks` of the byte dataset `pixels` (four bytes to a u32), scaled to [0, 1] and
/// resized: `[count, 1, out_h, out_w]`.
pub fn gather_images(pixels: &CudaIndices, picks: &CudaIndices, g: &GatherImages) -> CudaStorage {
    let n = g.count * g.out_h * g.out_w;
    let out = CudaStorage::uninit(pixels.device(), n);
    let [count, in_h, in_w, out_h, out_w] =
        [g.count, g.in_h, g.in_w, g.out_h, g.out_w].map(|size| to_u32(size, "image size"));
    Launch::grid_stride(pixels.device(), "gather_images", n)
        .arg(&out.all())
        .arg(&pixels.all())
        .arg(&picks.all())
        .arg(&count)
        .arg(&in_h)
        .arg(&in_w)
        .arg(&out_h)
        .arg(&out_w)
        .run();
    out
}

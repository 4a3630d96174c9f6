//! Images on the GPU (kernels/resize.cu): bilinear resize, and a training batch gathered from a
//! dataset kept on the device as bytes. The CPU versions are in `cpu/resize.rs`.

use super::launch::{Launch, Sizes};
use super::{CudaIndices, CudaStorage};
use crate::backend::{GatherImages, ResizeGeometry};

/// `struct ResizeGeom` of kernels/common.cuh.
fn resize_geom(g: &ResizeGeometry) -> Sizes<5> {
    let sizes = [g.planes, g.in_h, g.in_w, g.out_h, g.out_w];
    Sizes::new(sizes, "image size")
}

/// Bilinear interpolation of `[planes, in_h, in_w]` to `[planes, out_h, out_w]`.
pub fn resize_bilinear(x: &CudaStorage, g: &ResizeGeometry) -> CudaStorage {
    let out = CudaStorage::uninit(x.device(), g.planes * g.out_h * g.out_w);
    let geometry = resize_geom(g);
    Launch::grid_stride(x.device(), "resize_bilinear", out.len())
        .arg(&out.all())
        .arg(&x.all())
        .arg(&geometry)
        .run();
    out
}

/// Images `picks` of the byte dataset `pixels` (four bytes to a u32), scaled to [0, 1] and
/// resized: `[count, 1, out_h, out_w]`.
pub fn gather_images(pixels: &CudaIndices, picks: &CudaIndices, g: &GatherImages) -> CudaStorage {
    let out = CudaStorage::uninit(pixels.device(), g.count * g.out_h * g.out_w);
    let geometry = resize_geom(&g.resize_geometry());
    Launch::grid_stride(pixels.device(), "gather_images", out.len())
        .arg(&out.all())
        .arg(&pixels.all())
        .arg(&picks.all())
        .arg(&geometry)
        .run();
    out
}

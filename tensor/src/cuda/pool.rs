//! Max-, average- and adaptive average-pooling on the GPU (kernels/pool.cu), forward and
//! backward. The CPU versions are in `cpu/pool.rs`.

use super::launch::{Launch, Sizes};
use super::{CudaIndices, CudaStorage};
use crate::backend::{AdaptivePool2dGeometry, Pool2dGeometry};

/// `struct PoolGeom` of kernels/common.cuh.
fn pool_geom(g: &Pool2dGeometry) -> Sizes<8> {
    let sizes = [
        g.planes(),
        g.in_h,
        g.in_w,
        g.kernel,
        g.stride,
        g.padding,
        g.out_h,
        g.out_w,
    ];
    Sizes::new(sizes, "pooling size")
}

/// The maximum of each window, and its position within the (n, c) plane.
pub fn max_pool2d(x: &CudaStorage, g: &Pool2dGeometry) -> (CudaStorage, CudaIndices) {
    let n = g.planes() * g.out_h * g.out_w;
    let out = CudaStorage::uninit(x.device(), n);
    let indices = CudaIndices::uninit(x.device(), n);
    let geometry = pool_geom(g);
    Launch::grid_stride(x.device(), "max_pool2d", n)
        .arg(&out.all())
        .arg(&indices.all())
        .arg(&x.all())
        .arg(&geometry)
        .run();
    (out, indices)
}

/// Each input pixel gathers the gradients of the windows whose maximum it was.
pub fn max_pool2d_backward(
    dy: &CudaStorage,
    indices: &CudaIndices,
    g: &Pool2dGeometry,
) -> CudaStorage {
    let n = g.planes() * g.in_h * g.in_w;
    let dx = CudaStorage::uninit(dy.device(), n);
    let geometry = pool_geom(g);
    Launch::grid_stride(dy.device(), "max_pool2d_backward", n)
        .arg(&dx.all())
        .arg(&dy.all())
        .arg(&indices.all())
        .arg(&geometry)
        .run();
    dx
}

/// The mean of each window, padded zeros included (every window divides by kernel²).
pub fn avg_pool2d(x: &CudaStorage, g: &Pool2dGeometry) -> CudaStorage {
    let n = g.planes() * g.out_h * g.out_w;
    let out = CudaStorage::uninit(x.device(), n);
    let geometry = pool_geom(g);
    Launch::grid_stride(x.device(), "avg_pool2d", n)
        .arg(&out.all())
        .arg(&x.all())
        .arg(&geometry)
        .run();
    out
}

/// Each input pixel gathers `dy / kernel²` from the windows that cover it.
pub fn avg_pool2d_backward(dy: &CudaStorage, g: &Pool2dGeometry) -> CudaStorage {
    let n = g.planes() * g.in_h * g.in_w;
    let dx = CudaStorage::uninit(dy.device(), n);
    let geometry = pool_geom(g);
    Launch::grid_stride(dy.device(), "avg_pool2d_backward", n)
        .arg(&dx.all())
        .arg(&dy.all())
        .arg(&geometry)
        .run();
    dx
}

/// `struct AdaptivePoolGeom` of kernels/common.cuh.
fn adaptive_pool_geom(g: &AdaptivePool2dGeometry) -> Sizes<5> {
    let sizes = [g.planes(), g.in_h, g.in_w, g.out_h, g.out_w];
    Sizes::new(sizes, "pooling size")
}

/// The mean of each adaptive window (each divided by its own size).
pub fn adaptive_avg_pool2d(x: &CudaStorage, g: &AdaptivePool2dGeometry) -> CudaStorage {
    let n = g.planes() * g.out_h * g.out_w;
    let out = CudaStorage::uninit(x.device(), n);
    let geometry = adaptive_pool_geom(g);
    Launch::grid_stride(x.device(), "adaptive_avg_pool2d", n)
        .arg(&out.all())
        .arg(&x.all())
        .arg(&geometry)
        .run();
    out
}

/// Each input pixel gathers `dy / window size` from the adaptive windows that contain it.
pub fn adaptive_avg_pool2d_backward(dy: &CudaStorage, g: &AdaptivePool2dGeometry) -> CudaStorage {
    let n = g.planes() * g.in_h * g.in_w;
    let dx = CudaStorage::uninit(dy.device(), n);
    let geometry = adaptive_pool_geom(g);
    Launch::grid_stride(dy.device(), "adaptive_avg_pool2d_backward", n)
        .arg(&dx.all())
        .arg(&dy.all())
        .arg(&geometry)
        .run();
    dx
}

//! Max-pooling on the GPU (kernels/pool.cu), forward and backward. The CPU versions are in
//! `cpu/pool.rs`.

use super::error::to_u32;
use super::launch::{KernelArg, Launch};
use super::{CudaIndices, CudaStorage};
use crate::backend::Pool2dGeometry;

/// `struct PoolGeom` of kernels/common.cuh.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct PoolGeom([u32; 8]);

// Safety: eight u32s, the layout of the C struct.
unsafe impl KernelArg for PoolGeom {}

impl PoolGeom {
    fn of(g: &Pool2dGeometry) -> Self {
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
        PoolGeom(sizes.map(|size| to_u32(size, "pooling size")))
    }
}

/// The maximum of each window, and its position within the (n, c) plane.
pub fn max_pool2d(x: &CudaStorage, g: &Pool2dGeometry) -> (CudaStorage, CudaIndices) {
    let n = g.planes() * g.out_h * g.out_w;
    let out = CudaStorage::uninit(x.device(), n);
    let indices = CudaIndices::uninit(x.device(), n);
    let geometry = PoolGeom::of(g);
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
    let geometry = PoolGeom::of(g);
    Launch::grid_stride(dy.device(), "max_pool2d_backward", n)
        .arg(&dx.all())
        .arg(&dy.all())
        .arg(&indices.all())
        .arg(&geometry)
        .run();
    dx
}

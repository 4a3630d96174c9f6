//! Moving values around on the GPU (kernels/layout.cu): permuting axes, joining tensors along an
//! axis (cat) and cutting a slab out of one (narrow). The CPU versions are in `cpu/layout.rs`.

use super::device::CudaDevice;
use super::error::to_u32;
use super::launch::{KernelArg, Launch};
use super::memory::Span;
use super::CudaStorage;
use crate::backend::AxisLayout;
use crate::Shape;

/// Up to six axes of sizes and two sets of strides, passed to a kernel by value
/// (`struct Strides6` of kernels/common.cuh).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Strides6 {
    rank: u32,
    dims: [u32; 6],
    a: [u32; 6],
    b: [u32; 6],
}

// Safety: `#[repr(C)]` with the fields of the C struct, in its order.
unsafe impl KernelArg for Strides6 {}

impl Strides6 {
    /// Output sizes `dims`, and per output axis the strides `a` and `b` (missing = 0) of two
    /// inputs.
    #[track_caller]
    pub fn new(dims: &[usize], a: &[usize], b: &[usize]) -> Self {
        assert!(
            dims.len() <= 6,
            "the CUDA backend handles at most 6 axes, got {}",
            dims.len()
        );
        assert!(
            a.len() == dims.len() && b.len() <= dims.len(),
            "Strides6: {} sizes but {} and {} strides",
            dims.len(),
            a.len(),
            b.len()
        );
        let mut s = Strides6 {
            rank: dims.len() as u32,
            ..Default::default()
        };
        for axis in 0..dims.len() {
            s.dims[axis] = to_u32(dims[axis], "axis size");
            s.a[axis] = to_u32(a[axis], "stride");
            s.b[axis] = to_u32(b.get(axis).copied().unwrap_or(0), "stride");
        }
        s
    }
}

/// A contiguous copy of `x` (of `shape`) with output axis `i` = input axis `axes[i]`.
pub fn permute(x: &CudaStorage, shape: &Shape, axes: &[usize]) -> CudaStorage {
    let in_strides = shape.strides();
    let dims: Vec<usize> = axes.iter().map(|&a| shape.dims()[a]).collect();
    let strides: Vec<usize> = axes.iter().map(|&a| in_strides[a]).collect();
    let out = CudaStorage::uninit(x.device(), x.len());
    let s = Strides6::new(&dims, &strides, &[]);
    launch_permute(x.device(), out.all(), x.all(), &s);
    out
}

/// `permute(float *out, const float *x, u64 n, Strides6 s)`: `out` gets `out.len()` values of
/// `x` read at the strides of `s`.
pub fn launch_permute(device: &CudaDevice, out: Span<'_, f32>, x: Span<'_, f32>, s: &Strides6) {
    let n = out.len() as u64;
    Launch::grid_stride(device, "permute", out.len())
        .arg(&out)
        .arg(&x)
        .arg(&n)
        .arg(s)
        .run();
}

/// `struct Slab` of kernels/common.cuh: which positions along the axis `copy_slab` copies.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct Slab {
    len: u32,
    inner: u32,
    x_len: u32,
    x_start: u32,
    out_len: u32,
    out_start: u32,
}

// Safety: `#[repr(C)]` with the fields of the C struct, in its order.
unsafe impl KernelArg for Slab {}

/// Joins `parts` (part `p` is `[outer, lens[p], inner]`) into `[outer, Σ lens, inner]`: one
/// `copy_slab` launch per non-empty part, into its positions along the axis.
pub fn cat(parts: &[&CudaStorage], lens: &[usize], outer: usize, inner: usize) -> CudaStorage {
    let total: usize = lens.iter().sum();
    let out = CudaStorage::uninit(parts[0].device(), outer * total * inner);
    let mut at = 0;
    for (part, &len) in parts.iter().zip(lens) {
        let slab = Slab {
            len: to_u32(len, "cat part size"),
            inner: to_u32(inner, "cat inner size"),
            x_len: to_u32(len, "cat part size"),
            x_start: 0,
            out_len: to_u32(total, "cat output size"),
            out_start: to_u32(at, "cat offset"),
        };
        launch_copy_slab(
            part.device(),
            out.all(),
            part.all(),
            outer * len * inner,
            &slab,
        );
        at += len;
    }
    out
}

/// Positions `start .. start + len` of the middle axis of `x` (`[outer, l.len, inner]`).
pub fn narrow(x: &CudaStorage, l: AxisLayout, start: usize, len: usize) -> CudaStorage {
    let n = l.outer * len * l.inner;
    let out = CudaStorage::uninit(x.device(), n);
    let slab = Slab {
        len: to_u32(len, "narrow length"),
        inner: to_u32(l.inner, "narrow inner size"),
        x_len: to_u32(l.len, "narrow axis size"),
        x_start: to_u32(start, "narrow start"),
        out_len: to_u32(len, "narrow length"),
        out_start: 0,
    };
    launch_copy_slab(x.device(), out.all(), x.all(), n, &slab);
    out
}

/// `copy_slab(float *out, const float *x, u64 n, Slab s)`: `n` = outer · len · inner values.
fn launch_copy_slab(
    device: &CudaDevice,
    out: Span<'_, f32>,
    x: Span<'_, f32>,
    n: usize,
    slab: &Slab,
) {
    let count = n as u64;
    Launch::grid_stride(device, "copy_slab", n)
        .arg(&out)
        .arg(&x)
        .arg(&count)
        .arg(slab)
        .run();
}

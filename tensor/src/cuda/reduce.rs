//! Reductions along one axis on the GPU (kernels/reduce.cu): sum, max, argmax, and the scatter
//! that undoes argmax. The CPU versions are in `cpu/reduce.rs`.
//!
//! Two kernels share the work. In general (`reduce_axis`) one thread folds one lane: along a
//! strided axis neighbouring threads then read neighbouring memory. But a long contiguous lane
//! (`inner == 1`: row sums of wide rows, or the sum of a whole tensor, which is one row of
//! millions of values) would leave one thread doing all the work, so such a row gets whole
//! blocks of threads that combine their results in shared memory (`reduce_rows`), and very long
//! rows are cut into parts whose results a second launch combines.

use super::device::CudaDevice;
use super::error::to_u32;
use super::launch::{KernelArg, Launch};
use super::memory::Span;
use super::{CudaIndices, CudaStorage};
use crate::backend::{AxisLayout, ReduceOp};
use std::sync::Arc;

/// `enum class ReduceCode` of kernels/common.cuh.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceCode {
    Sum = 0,
    Max = 1,
}

impl ReduceCode {
    /// Every variant, for the test that compares them with common.cuh.
    #[cfg(test)]
    pub const ALL: [ReduceCode; 2] = [ReduceCode::Sum, ReduceCode::Max];

    fn of(op: ReduceOp) -> Self {
        match op {
            ReduceOp::Sum => ReduceCode::Sum,
            ReduceOp::Max => ReduceCode::Max,
        }
    }
}

// Safety: `#[repr(u32)]` with the values of `enum class ReduceCode : u32`.
unsafe impl KernelArg for ReduceCode {}

/// Threads per block of `reduce_rows` (`REDUCE_THREADS` in reduce.cu).
const ROW_THREADS: u32 = 256;

/// Values each thread of `reduce_rows` folds on its own before its block combines: enough to
/// make the shared-memory rounds cheap in comparison.
const VALUES_PER_THREAD: usize = 16;

/// Most parts a row is cut into: the second launch then reduces rows of at most this length.
const MAX_PARTS: usize = 1024;

/// Rows shorter than this are folded by one thread each: a block of 256 would mostly idle.
const MIN_ROW_FOR_BLOCKS: usize = 4 * ROW_THREADS as usize;

/// Reduces `x`, viewed as `[outer, len, inner]`, along the middle axis.
pub fn reduce(x: &CudaStorage, op: ReduceOp, l: AxisLayout) -> CudaStorage {
    let out = CudaStorage::uninit(x.device(), l.outer * l.inner);
    let code = ReduceCode::of(op);
    if l.inner == 1 && l.len >= MIN_ROW_FOR_BLOCKS {
        reduce_rows(x.device(), out.all(), x.all(), l.outer, l.len, code);
    } else {
        let (outer, len, inner) = lane_sizes(l);
        Launch::grid_stride(x.device(), "reduce_axis", l.outer * l.inner)
            .arg(&out.all())
            .arg(&x.all())
            .arg(&outer)
            .arg(&len)
            .arg(&inner)
            .arg(&code)
            .run();
    }
    out
}

/// `out[r]` = the reduction of row `r` of `x` (`rows` rows of `len` contiguous values).
fn reduce_rows(
    device: &Arc<CudaDevice>,
    out: Span<'_, f32>,
    x: Span<'_, f32>,
    rows: usize,
    len: usize,
    code: ReduceCode,
) {
    let parts = (len / (ROW_THREADS as usize * VALUES_PER_THREAD)).clamp(1, MAX_PARTS);
    if parts == 1 {
        launch_reduce_rows(device, out, x, rows, len, 1, code);
        return;
    }
    let partial = CudaStorage::uninit(device, rows * parts);
    launch_reduce_rows(device, partial.all(), x, rows, len, parts, code);
    launch_reduce_rows(device, out, partial.all(), rows, parts, 1, code);
}

/// `reduce_rows(float *out, const float *x, u64 rows, u64 len, u32 parts, ReduceCode op)`:
/// block (row, part) writes `out[row · parts + part]`.
fn launch_reduce_rows(
    device: &CudaDevice,
    out: Span<'_, f32>,
    x: Span<'_, f32>,
    rows: usize,
    len: usize,
    parts: usize,
    code: ReduceCode,
) {
    let (rows64, len64, parts32) = (rows as u64, len as u64, to_u32(parts, "parts"));
    // Beyond 2³¹ − 1 rows (the grid's x limit) blocks take several rows each.
    let grid = (rows.min(i32::MAX as usize) as u32, parts32, 1);
    Launch::with_shape(device, "reduce_rows", grid, (ROW_THREADS, 1, 1))
        .arg(&out)
        .arg(&x)
        .arg(&rows64)
        .arg(&len64)
        .arg(&parts32)
        .arg(&code)
        .run();
}

/// Position along the axis of the first maximum of each lane.
pub fn argmax(x: &CudaStorage, l: AxisLayout) -> CudaIndices {
    let out = CudaIndices::uninit(x.device(), l.outer * l.inner);
    let (outer, len, inner) = lane_sizes(l);
    Launch::grid_stride(x.device(), "argmax_axis", l.outer * l.inner)
        .arg(&out.all())
        .arg(&x.all())
        .arg(&outer)
        .arg(&len)
        .arg(&inner)
        .run();
    out
}

/// Zeros of `[outer, len, inner]` with `values[lane]` at position `indices[lane]` of each lane.
pub fn scatter_along_axis(
    values: &CudaStorage,
    indices: &CudaIndices,
    l: AxisLayout,
) -> CudaStorage {
    let n = l.outer * l.len * l.inner;
    let out = CudaStorage::uninit(values.device(), n);
    let (outer, len, inner) = lane_sizes(l);
    Launch::grid_stride(values.device(), "scatter_axis", n)
        .arg(&out.all())
        .arg(&values.all())
        .arg(&indices.all())
        .arg(&outer)
        .arg(&len)
        .arg(&inner)
        .run();
    out
}

/// `outer, len, inner` as the kernels' 32-bit arguments.
fn lane_sizes(l: AxisLayout) -> (u32, u32, u32) {
    (
        to_u32(l.outer, "outer size"),
        to_u32(l.len, "axis length"),
        to_u32(l.inner, "inner size"),
    )
}

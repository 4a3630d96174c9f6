//! Elementwise kernels on the GPU (kernels/elementwise.cu): unary functions, broadcasting binary
//! operations, bias + ReLU, dropout masks, fills. The CPU versions are in `cpu/elementwise.rs`.

use super::error::to_u32;
use super::launch::{KernelArg, Launch};
use super::layout::Strides6;
use super::CudaStorage;
use crate::backend::{AxisLayout, BinaryOp, BroadcastShapes, UnaryOp};

/// `enum class UnaryCode` of kernels/common.cuh.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryCode {
    Neg = 0,
    Exp = 1,
    Log = 2,
    Sqrt = 3,
    Relu = 4,
    Step = 5,
    Powf = 6,
    AddScalar = 7,
    MulScalar = 8,
    Sigmoid = 9,
}

impl UnaryCode {
    /// Every variant, for the test that compares them with common.cuh.
    #[cfg(test)]
    pub const ALL: [UnaryCode; 10] = [
        UnaryCode::Neg,
        UnaryCode::Exp,
        UnaryCode::Log,
        UnaryCode::Sqrt,
        UnaryCode::Relu,
        UnaryCode::Step,
        UnaryCode::Powf,
        UnaryCode::AddScalar,
        UnaryCode::MulScalar,
        UnaryCode::Sigmoid,
    ];

    /// The kernel's code for `op`, and its scalar parameter (0 where it has none).
    fn of(op: UnaryOp) -> (UnaryCode, f32) {
        match op {
            UnaryOp::Neg => (UnaryCode::Neg, 0.0),
            UnaryOp::Exp => (UnaryCode::Exp, 0.0),
            UnaryOp::Log => (UnaryCode::Log, 0.0),
            UnaryOp::Sqrt => (UnaryCode::Sqrt, 0.0),
            UnaryOp::Relu => (UnaryCode::Relu, 0.0),
            UnaryOp::Step => (UnaryCode::Step, 0.0),
            UnaryOp::Powf(e) => (UnaryCode::Powf, e),
            UnaryOp::AddScalar(s) => (UnaryCode::AddScalar, s),
            UnaryOp::MulScalar(s) => (UnaryCode::MulScalar, s),
            UnaryOp::Sigmoid => (UnaryCode::Sigmoid, 0.0),
        }
    }
}

/// `enum class BinaryCode` of kernels/common.cuh.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryCode {
    Add = 0,
    Sub = 1,
    Mul = 2,
    Div = 3,
    KeepWherePositive = 4,
}

impl BinaryCode {
    /// Every variant, for the test that compares them with common.cuh.
    #[cfg(test)]
    pub const ALL: [BinaryCode; 5] = [
        BinaryCode::Add,
        BinaryCode::Sub,
        BinaryCode::Mul,
        BinaryCode::Div,
        BinaryCode::KeepWherePositive,
    ];

    fn of(op: BinaryOp) -> Self {
        match op {
            BinaryOp::Add => BinaryCode::Add,
            BinaryOp::Sub => BinaryCode::Sub,
            BinaryOp::Mul => BinaryCode::Mul,
            BinaryOp::Div => BinaryCode::Div,
            BinaryOp::KeepWherePositive => BinaryCode::KeepWherePositive,
        }
    }
}

// Safety: `#[repr(u32)]` enums with the values of their `enum class X : u32` twins.
unsafe impl KernelArg for UnaryCode {}
unsafe impl KernelArg for BinaryCode {}

/// `op(x)` elementwise.
pub fn unary(x: &CudaStorage, op: UnaryOp) -> CudaStorage {
    let out = CudaStorage::uninit(x.device(), x.len());
    let (code, param) = UnaryCode::of(op);
    let n = x.len() as u64;
    Launch::grid_stride(x.device(), "unary", x.len())
        .arg(&out.all())
        .arg(&x.all())
        .arg(&n)
        .arg(&code)
        .arg(&param)
        .run();
    out
}

/// `op(a, b)` broadcast to `shapes.out` (shapes already checked).
pub fn binary(
    a: &CudaStorage,
    b: &CudaStorage,
    op: BinaryOp,
    shapes: &BroadcastShapes,
) -> CudaStorage {
    let len = shapes.out.numel();
    let out = CudaStorage::uninit(a.device(), len);
    let (code, n) = (BinaryCode::of(op), len as u64);
    if shapes.lhs == shapes.rhs {
        Launch::grid_stride(a.device(), "binary_same", len)
            .arg(&out.all())
            .arg(&a.all())
            .arg(&b.all())
            .arg(&n)
            .arg(&code)
            .run();
    } else {
        let (a_strides, b_strides) = shapes.operand_strides();
        let strides = Strides6::new(shapes.out.dims(), &a_strides, &b_strides);
        Launch::grid_stride(a.device(), "binary_broadcast", len)
            .arg(&out.all())
            .arg(&a.all())
            .arg(&b.all())
            .arg(&n)
            .arg(&code)
            .arg(&strides)
            .run();
    }
    out
}

/// `max(x + bias[channel], 0)` over `[outer, channels, inner]`.
pub fn bias_relu(x: &CudaStorage, bias: &CudaStorage, l: AxisLayout) -> CudaStorage {
    let out = CudaStorage::uninit(x.device(), x.len());
    let n = x.len() as u64;
    let channels = to_u32(l.len, "channels");
    let inner = to_u32(l.inner, "values per channel");
    Launch::grid_stride(x.device(), "bias_relu", x.len())
        .arg(&out.all())
        .arg(&x.all())
        .arg(&bias.all())
        .arg(&n)
        .arg(&channels)
        .arg(&inner)
        .run();
    out
}

/// A dropout mask like `x`: 0 with probability `p`, else `1 / (1 − p)` (the CPU's draws).
pub fn dropout_mask_like(x: &CudaStorage, p: f32, seed: u64) -> CudaStorage {
    let mask = CudaStorage::uninit(x.device(), x.len());
    let n = x.len() as u64;
    Launch::grid_stride(x.device(), "dropout_mask", x.len())
        .arg(&mask.all())
        .arg(&n)
        .arg(&p)
        .arg(&seed)
        .run();
    mask
}

/// Sets every value of `out` to `value`.
pub fn fill(out: &CudaStorage, value: f32) {
    let n = out.len() as u64;
    Launch::grid_stride(out.device(), "fill", out.len())
        .arg(&out.all())
        .arg(&n)
        .arg(&value)
        .run();
}

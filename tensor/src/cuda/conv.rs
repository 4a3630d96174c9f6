//! Convolution on the GPU (kernels/conv.cu): im2col + cuBLAS GEMM for the forward pass and both
//! gradients, as the CPU's `cpu/conv.rs` (read that first for the idea).
//!
//! The column matrix of a whole batch can be large (AlexNet's conv2 at batch 128: 128 × 2400 ×
//! 676 floats = 831 MB), so every pass walks the batch in chunks of images whose columns fit
//! [`MAX_COLUMN_FLOATS`], reusing one column buffer.

use super::blas::{conv_math, BatchStrides};
use super::device::CudaDevice;
use super::error::to_u32;
use super::launch::{KernelArg, Launch, Sizes};
use super::layout::{launch_permute, Strides6};
use super::memory::Span;
use super::CudaStorage;
use crate::backend::{Conv2dGeometry, GemmSpec};
use std::ops::Range;
use std::sync::Arc;

/// Largest column matrix (in floats) one chunk may use: 64 Mi floats = 256 MiB.
pub const MAX_COLUMN_FLOATS: usize = 64 << 20;

/// `struct ConvGeom` of kernels/common.cuh.
fn conv_geom(g: &Conv2dGeometry) -> Sizes<9> {
    let sizes = [
        g.in_channels,
        g.in_h,
        g.in_w,
        g.kernel_h,
        g.kernel_w,
        g.stride,
        g.padding,
        g.out_h,
        g.out_w,
    ];
    Sizes::new(sizes, "convolution size")
}

/// `enum class ColumnLayout` of kernels/common.cuh: how im2col orders a chunk's columns.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnLayout {
    /// `col[n][r][p]`: one GEMM per image (forward, input gradient).
    ImageMajor = 0,
    /// `col[r][n][p]`: one GEMM over every image and pixel (weight gradient).
    ChannelMajor = 1,
}

impl ColumnLayout {
    /// Every variant, for the test that compares them with common.cuh.
    #[cfg(test)]
    pub const ALL: [ColumnLayout; 2] = [ColumnLayout::ImageMajor, ColumnLayout::ChannelMajor];
}

// Safety: `#[repr(u32)]` with the values of `enum class ColumnLayout : u32`.
unsafe impl KernelArg for ColumnLayout {}

/// Sizes of one image of a convolution: its input, its output, and its column matrix.
struct PerImage {
    input: usize,
    output: usize,
    columns: usize,
}

impl PerImage {
    fn of(g: &Conv2dGeometry) -> Self {
        PerImage {
            input: g.in_channels * g.in_h * g.in_w,
            output: g.out_channels * g.out_pixels(),
            columns: g.patch_len() * g.out_pixels(),
        }
    }
}

/// Images per chunk: as many as fit [`MAX_COLUMN_FLOATS`], at least one.
pub fn images_per_chunk(g: &Conv2dGeometry) -> usize {
    (MAX_COLUMN_FLOATS / PerImage::of(g).columns.max(1)).clamp(1, g.batch.max(1))
}

/// Calls `pass(images, col)` for consecutive chunks of the batch, each small enough for the one
/// column buffer `col` of [`images_per_chunk`] images that every chunk reuses.
fn for_each_chunk(
    device: &Arc<CudaDevice>,
    g: &Conv2dGeometry,
    mut pass: impl FnMut(Range<usize>, Span<'_, f32>),
) {
    let chunk = images_per_chunk(g);
    let col = CudaStorage::uninit(device, chunk * PerImage::of(g).columns);
    for first in (0..g.batch).step_by(chunk) {
        pass(first..(first + chunk).min(g.batch), col.all());
    }
}

/// The values of `images` in a buffer of `per_image` values per image.
fn of_images(images: &Range<usize>, per_image: usize) -> Range<usize> {
    images.start * per_image..images.end * per_image
}

/// `c[i] = op(W) · b[i]` for each image `i` of a chunk of `images`, one batched GEMM with the
/// weight shared (stride 0): `op(W)` is `[m, k]` (`W`, or `Wᵀ` with `transpose_w`), `b[i]` is
/// `[k, n]` and `c[i]` is `[m, n]`.
fn gemm_per_image(
    weight: &CudaStorage,
    transpose_w: bool,
    b: Span<'_, f32>,
    c: Span<'_, f32>,
    images: usize,
    (m, n, k): (usize, usize, usize),
) {
    let spec = GemmSpec {
        batch: images,
        m,
        n,
        k,
        transpose_a: transpose_w,
        transpose_b: false,
    };
    let strides = BatchStrides {
        a: 0,
        b: k * n,
        c: m * n,
    };
    let blas = &weight.device().blas;
    blas.gemm(weight.all(), b, c, &spec, strides, 0.0, conv_math());
}

/// `y = conv(x, weight) + bias`.
pub fn conv2d(
    x: &CudaStorage,
    weight: &CudaStorage,
    bias: Option<&CudaStorage>,
    g: &Conv2dGeometry,
) -> CudaStorage {
    let (device, per) = (x.device(), PerImage::of(g));
    let y = CudaStorage::uninit(device, g.batch * per.output);
    for_each_chunk(device, g, |images, col| {
        im2col(device, col, x, &images, g, ColumnLayout::ImageMajor);
        // y[n] = W · col[n] for each image of the chunk.
        let y_chunk = y.range(of_images(&images, per.output));
        let sizes = (g.out_channels, g.out_pixels(), g.patch_len());
        gemm_per_image(weight, false, col, y_chunk, images.len(), sizes);
    });
    if let Some(bias) = bias {
        add_channel_bias(device, &y, bias, g);
    }
    y
}

/// The gradient of the input: `dcol[n] = Wᵀ · dy[n]`, then col2im sums each input pixel's
/// share of every patch it appears in.
pub fn conv2d_input_grad(
    dy: &CudaStorage,
    weight: &CudaStorage,
    g: &Conv2dGeometry,
) -> CudaStorage {
    let (device, per) = (dy.device(), PerImage::of(g));
    let dx = CudaStorage::uninit(device, g.batch * per.input);
    for_each_chunk(device, g, |images, dcol| {
        // dcol[n] = Wᵀ · dy[n] for each image of the chunk.
        let dy_chunk = dy.range(of_images(&images, per.output));
        let sizes = (g.patch_len(), g.out_pixels(), g.out_channels);
        gemm_per_image(weight, true, dy_chunk, dcol, images.len(), sizes);
        let dx = dx.range(of_images(&images, per.input));
        col2im(device, dx, dcol, images.len(), g);
    });
    dx
}

/// The gradient of the weights: `dW = dy · colᵀ` summed over every image and pixel. Chunks after
/// the first add to the result (GEMM with beta = 1).
pub fn conv2d_weight_grad(dy: &CudaStorage, x: &CudaStorage, g: &Conv2dGeometry) -> CudaStorage {
    let device = dy.device();
    let per = PerImage::of(g);
    let dw = CudaStorage::uninit(device, g.out_channels * g.patch_len());
    let dy_by_channel = CudaStorage::uninit(device, images_per_chunk(g) * per.output);
    for_each_chunk(device, g, |images, col| {
        im2col(device, col, x, &images, g, ColumnLayout::ChannelMajor);
        // dy [n, Cout, OHW] → [Cout, n·OHW], so one GEMM sums over every image and pixel.
        let (cout, pixels) = (g.out_channels, g.out_pixels());
        let by_channel = Strides6::new(
            &[cout, images.len(), pixels],
            &[pixels, cout * pixels, 1],
            &[],
        );
        let dy_chunk = dy.range(of_images(&images, per.output));
        let dy_by_channel = dy_by_channel.range(0..images.len() * per.output);
        launch_permute(device, dy_by_channel, dy_chunk, &by_channel);
        let spec = GemmSpec {
            batch: 1,
            m: cout,
            n: g.patch_len(),
            k: images.len() * pixels,
            transpose_a: false,
            transpose_b: true,
        };
        let strides = BatchStrides { a: 0, b: 0, c: 0 };
        let beta = if images.start == 0 { 0.0 } else { 1.0 };
        device.blas.gemm(
            dy_by_channel,
            col,
            dw.all(),
            &spec,
            strides,
            beta,
            conv_math(),
        );
    });
    dw
}

/// `im2col(float *col, const float *x, u32 images, ConvGeom g, ColumnLayout layout)` on the
/// chunk `images` of the batch `x`.
fn im2col(
    device: &Arc<CudaDevice>,
    col: Span<'_, f32>,
    x: &CudaStorage,
    images: &Range<usize>,
    g: &Conv2dGeometry,
    layout: ColumnLayout,
) {
    let x = x.range(of_images(images, PerImage::of(g).input));
    let (images32, geometry) = (to_u32(images.len(), "images"), conv_geom(g));
    Launch::grid_stride(
        device,
        "im2col",
        images.len() * g.patch_len() * g.out_pixels(),
    )
    .arg(&col)
    .arg(&x)
    .arg(&images32)
    .arg(&geometry)
    .arg(&layout)
    .run();
}

/// `col2im(float *x, const float *col, u32 images, ConvGeom g)`: the adjoint of im2col
/// (image-major columns).
fn col2im(
    device: &Arc<CudaDevice>,
    x: Span<'_, f32>,
    col: Span<'_, f32>,
    images: usize,
    g: &Conv2dGeometry,
) {
    let (images32, geometry) = (to_u32(images, "images"), conv_geom(g));
    Launch::grid_stride(device, "col2im", x.len())
        .arg(&x)
        .arg(&col)
        .arg(&images32)
        .arg(&geometry)
        .run();
}

/// `add_channel_bias(float *y, const float *bias, u64 n, u32 channels, u32 pixels)`: in place.
fn add_channel_bias(
    device: &Arc<CudaDevice>,
    y: &CudaStorage,
    bias: &CudaStorage,
    g: &Conv2dGeometry,
) {
    let n = y.len() as u64;
    let channels = to_u32(g.out_channels, "channels");
    let pixels = to_u32(g.out_pixels(), "pixels");
    Launch::grid_stride(device, "add_channel_bias", y.len())
        .arg(&y.all())
        .arg(&bias.all())
        .arg(&n)
        .arg(&channels)
        .arg(&pixels)
        .run();
}

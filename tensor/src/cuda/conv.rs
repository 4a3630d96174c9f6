//! Convolution on the GPU (kernels/conv.cu): im2col + cuBLAS GEMM for the forward pass and both
//! gradients, as the CPU's `cpu/conv.rs` (read that first for the idea).
//!
//! The column matrix of a whole batch can be large (AlexNet's conv2 at batch 128: 128 × 2400 ×
//! 676 floats = 831 MB), so every pass walks the batch in chunks of images whose columns fit
//! [`MAX_COLUMN_FLOATS`], reusing one column buffer.

use super::blas::{conv_math, BatchStrides};
use super::device::CudaDevice;
use super::error::to_u32;
use super::launch::{KernelArg, Launch};
use super::layout::{launch_permute, Strides6};
use super::memory::Span;
use super::CudaStorage;
use crate::backend::{Conv2dGeometry, GemmSpec};
use std::ops::Range;
use std::sync::Arc;

/// Largest column matrix (in floats) one chunk may use: 64 Mi floats = 256 MiB.
pub const MAX_COLUMN_FLOATS: usize = 64 << 20;

/// `struct ConvGeom` of kernels/common.cuh.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct ConvGeom([u32; 9]);

// Safety: nine u32s, the layout of the C struct.
unsafe impl KernelArg for ConvGeom {}

impl ConvGeom {
    fn of(g: &Conv2dGeometry) -> Self {
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
        ConvGeom(sizes.map(|size| to_u32(size, "convolution size")))
    }
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

/// Calls `pass(images)` for consecutive chunks of the batch, each small enough for one column
/// buffer of [`images_per_chunk`] images.
fn for_each_chunk(g: &Conv2dGeometry, mut pass: impl FnMut(Range<usize>)) {
    let chunk = images_per_chunk(g);
    for first in (0..g.batch).step_by(chunk) {
        pass(first..(first + chunk).min(g.batch));
    }
}

/// The values of `images` in a buffer of `per_image` values per image.
fn of_images(images: &Range<usize>, per_image: usize) -> Range<usize> {
    images.start * per_image..images.end * per_image
}

/// `y = conv(x, weight) + bias`.
pub fn conv2d(
    x: &CudaStorage,
    weight: &CudaStorage,
    bias: Option<&CudaStorage>,
    g: &Conv2dGeometry,
) -> CudaStorage {
    let device = x.device();
    let per = PerImage::of(g);
    let y = CudaStorage::uninit(device, g.batch * per.output);
    let col = CudaStorage::uninit(device, images_per_chunk(g) * per.columns);
    for_each_chunk(g, |images| {
        let x = x.range(of_images(&images, per.input));
        im2col(
            device,
            col.all(),
            x,
            images.len(),
            g,
            ColumnLayout::ImageMajor,
        );
        // y[n] = W · col[n] for each image of the chunk; W is shared (stride 0).
        let spec = GemmSpec {
            batch: images.len(),
            m: g.out_channels,
            n: g.out_pixels(),
            k: g.patch_len(),
            transpose_a: false,
            transpose_b: false,
        };
        let strides = BatchStrides {
            a: 0,
            b: per.columns,
            c: per.output,
        };
        let y = y.range(of_images(&images, per.output));
        let (w, columns) = (weight.all(), col.all());
        device
            .blas
            .gemm(w, columns, y, &spec, strides, 0.0, conv_math());
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
    let device = dy.device();
    let per = PerImage::of(g);
    let dx = CudaStorage::uninit(device, g.batch * per.input);
    let dcol = CudaStorage::uninit(device, images_per_chunk(g) * per.columns);
    for_each_chunk(g, |images| {
        let spec = GemmSpec {
            batch: images.len(),
            m: g.patch_len(),
            n: g.out_pixels(),
            k: g.out_channels,
            transpose_a: true,
            transpose_b: false,
        };
        let strides = BatchStrides {
            a: 0,
            b: per.output,
            c: per.columns,
        };
        let dy = dy.range(of_images(&images, per.output));
        let (w, columns) = (weight.all(), dcol.all());
        device
            .blas
            .gemm(w, dy, columns, &spec, strides, 0.0, conv_math());
        let dx = dx.range(of_images(&images, per.input));
        col2im(device, dx, dcol.all(), images.len(), g);
    });
    dx
}

/// The gradient of the weights: `dW = dy · colᵀ` summed over every image and pixel. Chunks after
/// the first add to the result (GEMM with beta = 1).
pub fn conv2d_weight_grad(dy: &CudaStorage, x: &CudaStorage, g: &Conv2dGeometry) -> CudaStorage {
    let device = dy.device();
    let per = PerImage::of(g);
    let chunk = images_per_chunk(g);
    let dw = CudaStorage::uninit(device, g.out_channels * g.patch_len());
    let col = CudaStorage::uninit(device, chunk * per.columns);
    let dy_by_channel = CudaStorage::uninit(device, chunk * per.output);
    for_each_chunk(g, |images| {
        let x = x.range(of_images(&images, per.input));
        im2col(
            device,
            col.all(),
            x,
            images.len(),
            g,
            ColumnLayout::ChannelMajor,
        );
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
        let columns = col.all();
        device.blas.gemm(
            dy_by_channel,
            columns,
            dw.all(),
            &spec,
            strides,
            beta,
            conv_math(),
        );
    });
    dw
}

/// `im2col(float *col, const float *x, u32 images, ConvGeom g, ColumnLayout layout)`.
fn im2col(
    device: &Arc<CudaDevice>,
    col: Span<'_, f32>,
    x: Span<'_, f32>,
    images: usize,
    g: &Conv2dGeometry,
    layout: ColumnLayout,
) {
    let (images32, geometry) = (to_u32(images, "images"), ConvGeom::of(g));
    Launch::grid_stride(device, "im2col", images * g.patch_len() * g.out_pixels())
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
    let (images32, geometry) = (to_u32(images, "images"), ConvGeom::of(g));
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

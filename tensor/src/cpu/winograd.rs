//! Winograd convolution F(m×m, r×r) (Lavin & Gray, 2015) for r×r kernels at stride 1.
//!
//! An m×m block of a convolution's outputs reads an α×α input tile `d` (α = m + r − 1).
//! Winograd's minimal filtering algorithm gets the block with α² multiplications per (input,
//! output) channel pair instead of m²·r²:
//!
//! ```text
//!     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A          g: the r×r kernel, ⊙: element-wise
//! ```
//!
//! Summed over input channels, the element-wise product at each of the α² tile positions ξ is a
//! matrix product: `M[ξ] = U[ξ] · V[ξ]`, with `U[ξ]` (Cout × Cin) the transformed kernels and
//! `V[ξ]` (Cin × tiles) the transformed input tiles. So the multiplications saved become α²
//! GEMMs between cheap transforms. The input gradient is itself a stride-1 convolution (of dy
//! with the kernels flipped and their channel axes swapped), so it runs here too.
//!
//! The matrices come from Toom-Cook: evaluate at α − 1 points and ∞, multiply, interpolate
//! ([`Transform::new`]), so one code path serves every (m, r). Used here (see
//! `output_block` and `conv_algorithm.rs`): F(4×4, 3×3) — 4× fewer multiplications — and
//! F(3×3, 5×5) — 4.6× fewer. The weight gradient is F(r×r, 4×4) (see
//! [`conv2d_weight_grad`]). Transforms add inputs of both signs before multiplying, so results
//! differ from direct convolution by rounding: about 1e-5 relative here (tested against the
//! naive kernels).

// Loops over `lane` index the inner arrays of several tile-vectors at once.
#![allow(clippy::needless_range_loop)]

use super::gemm::{sgemm, MatRef};
use crate::backend::Conv2dGeometry;
use rayon::prelude::*;
use std::cell::RefCell;

/// Transformed tiles per GEMM: enough columns to keep the GEMM efficient, few enough that one
/// chunk's buffers stay near the cache (measured on AlexNet's 12×12 layers).
const TILES_PER_CHUNK: usize = 160;

/// The weight gradient's GEMMs sum over tiles: longer sums amortise reading and writing the
/// (Cout × Cin) result.
const WEIGHT_GRAD_TILES_PER_CHUNK: usize = 576;

/// Interpolation points, in the order they are used: small magnitudes first keep the
/// transforms' coefficients, and so the rounding error, small.
const POINTS: [f64; 7] = [0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0];

/// The three matrices of F(m×m, r×r), row-major, in f32.
#[derive(Clone, Debug)]
pub struct Transform {
    /// Output block size.
    pub m: usize,
    /// Kernel size.
    pub r: usize,
    /// Input tile size, `m + r − 1`.
    pub alpha: usize,
    /// m × α: output transform.
    a_t: Vec<f32>,
    /// α × r: kernel transform.
    g: Vec<f32>,
    /// α × α: input transform.
    b_t: Vec<f32>,
}

impl Transform {
    /// Toom-Cook with the finite points `a_0 … a_{α−2}` and ∞. For a correlation
    /// `y_i = Σ_k d_{i+k} g_k` (the transpose of polynomial multiplication):
    /// - `G[j][k] = a_jᵏ / f_j` with `f_j = Π_{l≠j} (a_j − a_l)`; the ∞ row picks `g_{r−1}`;
    /// - `Aᵀ[i][j] = a_jⁱ`; the ∞ column picks `i = m − 1`;
    /// - `Bᵀ[j]` = the coefficients of `Π_{l≠j} (x − a_l)`; the ∞ row those of `Π_l (x − a_l)`.
    pub fn new(m: usize, r: usize) -> Self {
        let alpha = m + r - 1;
        assert!(
            alpha - 1 <= POINTS.len(),
            "F({m},{r}) needs more interpolation points"
        );
        let points = &POINTS[..alpha - 1];
        let infinity = alpha - 1;
        let mut a_t = vec![0.0; m * alpha];
        let mut g = vec![0.0; alpha * r];
        let mut b_t = vec![0.0; alpha * alpha];
        for (j, &a) in points.iter().enumerate() {
            let others = || points.iter().enumerate().filter(move |&(l, _)| l != j);
            let f: f64 = others().map(|(_, &b)| a - b).product();
            for i in 0..m {
                a_t[i * alpha + j] = a.powi(i as i32) as f32;
            }
            for k in 0..r {
                g[j * r + k] = (a.powi(k as i32) / f) as f32;
            }
            let coefficients = polynomial_with_roots(others().map(|(_, &b)| b));
            for (i, c) in coefficients.into_iter().enumerate() {
                b_t[j * alpha + i] = c as f32;
            }
        }
        a_t[(m - 1) * alpha + infinity] = 1.0;
        g[infinity * r + r - 1] = 1.0;
        for (i, c) in polynomial_with_roots(points.iter().copied())
            .into_iter()
            .enumerate()
        {
            b_t[infinity * alpha + i] = c as f32;
        }
        Transform {
            m,
            r,
            alpha,
            a_t,
            g,
            b_t,
        }
    }

    /// Tile positions: α² transformed values per tile.
    fn positions(&self) -> usize {
        self.alpha * self.alpha
    }
}

/// Coefficients (constant term first) of `Π (x − root)`.
fn polynomial_with_roots(roots: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut coefficients = vec![1.0];
    for root in roots {
        // multiply by (x − root)
        let mut next = vec![0.0; coefficients.len() + 1];
        for (i, &c) in coefficients.iter().enumerate() {
            next[i + 1] += c;
            next[i] -= root * c;
        }
        coefficients = next;
    }
    coefficients
}

thread_local! {
    /// Each thread's buffer for transformed tiles, kept between calls: allocating and zeroing
    /// tens of MiB per chunk cost more than the transforms themselves.
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's scratch space cut into two buffers of `a` and `b` floats. Their
/// contents are left over from earlier calls: `f` must write before it reads.
fn with_scratch<R>(a: usize, b: usize, f: impl FnOnce(&mut [f32], &mut [f32]) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut buffer = cell.borrow_mut();
        if buffer.len() < a + b {
            buffer.resize(a + b, 0.0);
        }
        let (first, rest) = buffer.split_at_mut(a);
        f(first, &mut rest[..b])
    })
}

/// Tiles transformed together: each tile value is a vector of `LANES` tiles' values, so the
/// transforms run as SIMD arithmetic over tiles.
const LANES: usize = 16;
type Lanes = [f32; LANES];

/// `out = L · X · Lᵀ` for `L` (p × q) and `X` (q × q), on `LANES` tiles at once; every
/// transform is one of these. Zero coefficients (about half of them) are skipped.
fn sandwich(l: &[f32], p: usize, q: usize, x: &[Lanes], out: &mut [Lanes]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // Safety: the CPU has AVX-512 (checked just above).
            return unsafe { sandwich_avx512(l, p, q, x, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // Safety: the CPU has AVX2 and FMA (checked just above).
            return unsafe { sandwich_avx2(l, p, q, x, out) };
        }
    }
    sandwich_portable(l, p, q, x, out)
}

/// The same code compiled for AVX2 with FMA (most x86 CPUs without AVX-512, AMD's among them):
/// half a tile-vector per instruction.
///
/// # Safety
///
/// The CPU that runs this must support AVX2 and FMA; as [`sandwich_avx512`] otherwise.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn sandwich_avx2(l: &[f32], p: usize, q: usize, x: &[Lanes], out: &mut [Lanes]) {
    sandwich_portable(l, p, q, x, out)
}

/// The same code compiled for AVX-512, where one instruction covers a whole tile-vector (the
/// portable build targets SSE2, four lanes per instruction).
///
/// # Safety
///
/// The CPU that runs this must support AVX-512F (`is_x86_feature_detected!("avx512f")`):
/// the compiler emits AVX-512 instructions here, and executing them on a CPU without them is
/// undefined behaviour. Nothing else is required: the slices are bounds-checked as in
/// [`sandwich_portable`], so sizes that do not fit panic.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn sandwich_avx512(l: &[f32], p: usize, q: usize, x: &[Lanes], out: &mut [Lanes]) {
    sandwich_portable(l, p, q, x, out)
}

#[inline(always)]
fn sandwich_portable(l: &[f32], p: usize, q: usize, x: &[Lanes], out: &mut [Lanes]) {
    assert!(q <= 8, "tiles up to 8x8");
    for i in 0..p {
        // row i of L·X
        let mut row = [[0.0f32; LANES]; 8];
        for k in 0..q {
            let coefficient = l[i * q + k];
            if coefficient != 0.0 {
                for j in 0..q {
                    add_scaled(&mut row[j], coefficient, &x[k * q + j]);
                }
            }
        }
        // times Lᵀ
        for j in 0..p {
            let mut sum = [0.0f32; LANES];
            for k in 0..q {
                let coefficient = l[j * q + k];
                if coefficient != 0.0 {
                    add_scaled(&mut sum, coefficient, &row[k]);
                }
            }
            out[i * p + j] = sum;
        }
    }
}

/// Copies `lanes` values of a tile-vector into `dst` (a fixed-size copy when all are used).
#[inline(always)]
fn store_lanes(dst: &mut [f32], values: &Lanes, lanes: usize) {
    if lanes == LANES {
        dst[..LANES].copy_from_slice(values);
    } else {
        dst[..lanes].copy_from_slice(&values[..lanes]);
    }
}

/// Loads `lanes` values from `src` into a tile-vector.
#[inline(always)]
fn load_lanes(values: &mut Lanes, src: &[f32], lanes: usize) {
    if lanes == LANES {
        values.copy_from_slice(&src[..LANES]);
    } else {
        values[..lanes].copy_from_slice(&src[..lanes]);
    }
}

#[inline(always)]
fn add_scaled(acc: &mut Lanes, coefficient: f32, x: &Lanes) {
    for (a, &v) in acc.iter_mut().zip(x) {
        *a += coefficient * v;
    }
}

/// The transform of the forward pass (and input gradient) of `g`, if Winograd handles it:
/// stride 1, a square 3×3 or 5×5 kernel, and padding below the kernel size (so the input
/// gradient is a convolution too). The weight gradient builds its own, see
/// [`conv2d_weight_grad`].
pub fn transform_for(g: &Conv2dGeometry) -> Option<Transform> {
    let square = g.kernel_h == g.kernel_w;
    let fits = g.stride == 1 && square && g.padding < g.kernel_h;
    match g.kernel_h {
        3 | 5 if fits => Some(Transform::new(output_block(g.kernel_h), g.kernel_h)),
        _ => None,
    }
}

/// Output block size m of the forward pass (and input gradient) for an r×r kernel. Larger
/// blocks save more multiplications (F(4×4, 3×3): 4× fewer than direct, F(2×2, 3×3): 2.25×)
/// but need more interpolation points, whose larger coefficients cost accuracy; these keep the
/// error near 1e-5 relative (tested against the naive kernels) and were the fastest measured
/// on AlexNet's layers (conv4 forward: m = 2: 43 ms, m = 4: 35 ms; conv2: m = 2: 97 ms,
/// m = 3: 73 ms, m = 4: 76 ms).
fn output_block(kernel: usize) -> usize {
    match kernel {
        3 => 4,
        _ => 3,
    }
}

/// Block of dy per tile in the weight gradient, F(r×r, b×b): 4×4 for both kernel sizes
/// (conv4: b = 2: 49 ms, b = 4: 40 ms; conv2: b = 2: 122 ms, b = 3: 99 ms, b = 4: 81 ms).
fn weight_grad_block(_kernel: usize) -> usize {
    4
}

/// Whether this algorithm computes `g` (all three passes).
pub fn supports(g: &Conv2dGeometry) -> bool {
    transform_for(g).is_some()
}

/// Forward: `y = conv(x, W) + bias`.
pub fn conv2d(x: &[f32], weight: &[f32], bias: Option<&[f32]>, g: &Conv2dGeometry) -> Vec<f32> {
    let t = transform_for(g).expect("Winograd needs a 3x3 or 5x5 kernel at stride 1");
    let positions = t.positions();
    let u = transform_kernels(&t, weight, g.out_channels * g.in_channels);
    let tiles = Tiles::covering(g.out_h, g.out_w, t.m);
    let images_per_chunk = images_per_chunk(g.batch, tiles.per_image(), TILES_PER_CHUNK);
    let image_len = g.in_channels * g.in_h * g.in_w;
    let out_len = g.out_channels * g.out_pixels();
    let mut y = vec![0.0; g.batch * out_len];
    y.par_chunks_mut(images_per_chunk * out_len)
        .zip(x.par_chunks(images_per_chunk * image_len))
        .for_each(|(y_chunk, x_chunk)| {
            let columns = x_chunk.len() / image_len * tiles.per_image();
            let v_len = positions * g.in_channels * columns;
            let m_len = positions * g.out_channels * columns;
            with_scratch(v_len, m_len, |v, m| {
                let input = Planes::of_input(g);
                transform_tiles(&t.b_t, t.alpha, &tiles.sized(t.alpha), x_chunk, &input, v);
                // M[ξ] = U[ξ] · V[ξ]: (Cout × Cin) · (Cin × tiles)
                let sizes = (g.out_channels, columns, g.in_channels);
                gemm_per_position(&u, v, false, m, sizes, 0.0);
                transform_output(&t, m, bias, g, &tiles, y_chunk);
            })
        });
    y
}

/// Input gradient: `dx = conv(dy, W')` with `W'[c, k, i, j] = W[k, c, r−1−i, r−1−j]` and
/// padding `r − 1 − p`, which gives back the input's size.
pub fn conv2d_input_grad(grad_out: &[f32], weight: &[f32], g: &Conv2dGeometry) -> Vec<f32> {
    assert!(
        supports(g),
        "Winograd needs a 3x3 or 5x5 kernel at stride 1"
    );
    let (k, c, taps) = (g.out_channels, g.in_channels, g.kernel_h * g.kernel_w);
    let mut flipped = vec![0.0; weight.len()];
    for (kc, kernel) in weight.chunks_exact(taps).enumerate() {
        let (out, inp) = (kc / c, kc % c);
        let target = &mut flipped[(inp * k + out) * taps..(inp * k + out + 1) * taps];
        for (t, w) in target.iter_mut().zip(kernel.iter().rev()) {
            *t = *w;
        }
    }
    let transposed = Conv2dGeometry {
        in_channels: k,
        out_channels: c,
        in_h: g.out_h,
        in_w: g.out_w,
        padding: g.kernel_h - 1 - g.padding,
        out_h: g.in_h,
        out_w: g.in_w,
        ..*g
    };
    conv2d(grad_out, &flipped, None, &transposed)
}

/// Weight gradient: `dW[k, c, i, j] = Σ dy[n, k, oy, ox] · x[n, c, oy + i − p, ox + j − p]`.
///
/// Cut dy into b×b blocks: each block and the (r+b−1)×(r+b−1) input tile under it add an r×r
/// correlation to `dW[k, c]` — F(r×r, b×b), with dy's block as the "kernel". Transformed, the
/// sum over all blocks of the batch is, at each position ξ, a GEMM over tiles:
/// `M[ξ] = Σ_tiles U[ξ][k][tile] · V[ξ][c][tile]`, and `dW[k, c] = Aᵀ M[·][k][c] A`.
pub fn conv2d_weight_grad(grad_out: &[f32], x: &[f32], g: &Conv2dGeometry) -> Vec<f32> {
    assert!(
        supports(g),
        "Winograd needs a 3x3 or 5x5 kernel at stride 1"
    );
    let block = weight_grad_block(g.kernel_h);
    let t = Transform::new(g.kernel_h, block);
    let positions = t.positions();
    let (input, output) = (Planes::of_input(g), Planes::of_output(g));
    let blocks = Tiles::covering(g.out_h, g.out_w, block);
    let images_per_chunk =
        images_per_chunk(g.batch, blocks.per_image(), WEIGHT_GRAD_TILES_PER_CHUNK);
    let pairs = g.out_channels * g.in_channels;
    let partial_sums = x
        .par_chunks(images_per_chunk * input.image_len())
        .zip(grad_out.par_chunks(images_per_chunk * output.image_len()))
        .fold(
            || vec![0.0; positions * pairs],
            |mut sums, (x_chunk, dy_chunk)| {
                let columns = x_chunk.len() / input.image_len() * blocks.per_image();
                let v_len = positions * g.in_channels * columns;
                let u_len = positions * g.out_channels * columns;
                with_scratch(v_len, u_len, |v, u| {
                    let x_tiles = blocks.sized(t.alpha);
                    transform_tiles(&t.b_t, t.alpha, &x_tiles, x_chunk, &input, v);
                    transform_tiles(&t.g, t.alpha, &blocks, dy_chunk, &output, u);
                    // M[ξ] += U[ξ] · V[ξ]ᵀ: (Cout × tiles) · (tiles × Cin)
                    let sizes = (g.out_channels, g.in_channels, columns);
                    gemm_per_position(u, v, true, &mut sums, sizes, 1.0);
                });
                sums
            },
        )
        .reduce_with(|mut total, partial| {
            total.iter_mut().zip(&partial).for_each(|(t, p)| *t += p);
            total
        })
        .unwrap_or_else(|| vec![0.0; positions * pairs]);
    inverse_transform_pairs(&t, &partial_sums, pairs)
}

/// `dW[pair] = Aᵀ M[·][pair] A` (m×m) for every (out, in) channel pair, `LANES` at a time.
fn inverse_transform_pairs(t: &Transform, m: &[f32], pairs: usize) -> Vec<f32> {
    let taps = t.m * t.m;
    let mut dw = vec![0.0; pairs * taps];
    let mut tile = vec![[0.0f32; LANES]; t.positions()];
    let mut block = vec![[0.0f32; LANES]; taps];
    for first in (0..pairs).step_by(LANES) {
        let lanes = (pairs - first).min(LANES);
        for (position, values) in tile.iter_mut().enumerate() {
            let start = position * pairs + first;
            load_lanes(values, &m[start..], lanes);
        }
        sandwich(&t.a_t, t.m, t.alpha, &tile, &mut block);
        for lane in 0..lanes {
            for (tap, values) in block.iter().enumerate() {
                dw[(first + lane) * taps + tap] = values[lane];
            }
        }
    }
    dw
}

/// Images per chunk: about `tiles_per_chunk` tiles, in a number of chunks that the threads
/// share evenly.
fn images_per_chunk(batch: usize, tiles_per_image: usize, tiles_per_chunk: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    let wanted = (batch * tiles_per_image).div_ceil(tiles_per_chunk).max(1);
    let chunks = wanted.div_ceil(threads) * threads;
    batch.div_ceil(chunks).max(1)
}

/// Where the tiles of one image lie: a grid of `rows × cols` tiles, `step` apart, each
/// `size × size`. Output blocks (forward: m×m) tile the output; the input tiles that feed them
/// are larger (α×α) on the same grid, so neighbours overlap.
#[derive(Clone, Copy)]
struct Tiles {
    rows: usize,
    cols: usize,
    step: usize,
    size: usize,
}

impl Tiles {
    /// `step × step` blocks covering an `h × w` plane (the last row/column may hang over).
    fn covering(h: usize, w: usize, step: usize) -> Self {
        Tiles {
            rows: h.div_ceil(step),
            cols: w.div_ceil(step),
            step,
            size: step,
        }
    }

    /// The same grid with `size × size` tiles.
    fn sized(self, size: usize) -> Self {
        Tiles { size, ..self }
    }

    fn per_image(&self) -> usize {
        self.rows * self.cols
    }

    /// The image of a chunk, and the tile's row and column, that GEMM column `column` holds.
    fn locate(&self, column: usize) -> (usize, usize, usize) {
        let (image, tile) = (column / self.per_image(), column % self.per_image());
        (image, tile / self.cols, tile % self.cols)
    }
}

/// The planes tiles are cut from: `channels` planes of `h × w` per image, read as if
/// surrounded by `padding` zeros.
struct Planes {
    channels: usize,
    h: usize,
    w: usize,
    padding: usize,
}

impl Planes {
    fn of_input(g: &Conv2dGeometry) -> Self {
        Planes {
            channels: g.in_channels,
            h: g.in_h,
            w: g.in_w,
            padding: g.padding,
        }
    }

    fn of_output(g: &Conv2dGeometry) -> Self {
        Planes {
            channels: g.out_channels,
            h: g.out_h,
            w: g.out_w,
            padding: 0,
        }
    }

    fn image_len(&self) -> usize {
        self.channels * self.h * self.w
    }
}

/// `U[ξ][k·Cin + c] = (G W[k, c] Gᵀ)[ξ]` for every kernel, `LANES` kernels at a time.
fn transform_kernels(t: &Transform, weight: &[f32], pairs: usize) -> Vec<f32> {
    let (positions, taps) = (t.positions(), t.r * t.r);
    let mut u = vec![0.0; positions * pairs];
    let mut kernels = vec![[0.0f32; LANES]; taps];
    let mut transformed = vec![[0.0f32; LANES]; positions];
    for first in (0..pairs).step_by(LANES) {
        let lanes = (pairs - first).min(LANES);
        for lane in 0..lanes {
            let kernel = &weight[(first + lane) * taps..(first + lane + 1) * taps];
            for (tap, &w) in kernel.iter().enumerate() {
                kernels[tap][lane] = w;
            }
        }
        sandwich(&t.g, t.alpha, t.r, &kernels, &mut transformed);
        for (position, values) in transformed.iter().enumerate() {
            let start = position * pairs + first;
            store_lanes(&mut u[start..], values, lanes);
        }
    }
    u
}

/// `out[ξ][c][tile] = (L · d · Lᵀ)[ξ]` (p×p values) for every tile `d` of every plane of a
/// chunk of images, channel by channel, `LANES` consecutive tiles at a time. With `L = Bᵀ`
/// this is the input transform `Bᵀ d B`.
fn transform_tiles(
    l: &[f32],
    p: usize,
    tiles: &Tiles,
    x: &[f32],
    planes: &Planes,
    out: &mut [f32],
) {
    let positions = p * p;
    let columns = out.len() / (positions * planes.channels);
    let images = columns / tiles.per_image();
    let plane_len = planes.h * planes.w;
    // Each image's plane of the channel inside its zero border, so tiles read without bounds
    // tests.
    let padded_h = tiles.step * tiles.rows + tiles.size - tiles.step;
    let padded_w = tiles.step * tiles.cols + tiles.size - tiles.step;
    let (rows, cols) = (
        planes.h.min(padded_h - planes.padding),
        planes.w.min(padded_w - planes.padding),
    );
    let padded_len = padded_h * padded_w;
    let mut padded = vec![0.0; images * padded_len];
    let mut d = vec![[0.0f32; LANES]; tiles.size * tiles.size];
    let mut transformed = vec![[0.0f32; LANES]; positions];
    for c in 0..planes.channels {
        for image in 0..images {
            let plane = &x[image * planes.image_len() + c * plane_len..][..plane_len];
            let target = &mut padded[image * padded_len..(image + 1) * padded_len];
            for (iy, row) in plane.chunks_exact(planes.w).take(rows).enumerate() {
                let start = (iy + planes.padding) * padded_w + planes.padding;
                target[start..start + cols].copy_from_slice(&row[..cols]);
            }
        }
        for first in (0..columns).step_by(LANES) {
            let lanes = (columns - first).min(LANES);
            for lane in 0..lanes {
                let (image, ty, tx) = tiles.locate(first + lane);
                let origin = image * padded_len + tiles.step * (ty * padded_w + tx);
                for r in 0..tiles.size {
                    let row = &padded[origin + r * padded_w..][..tiles.size];
                    for (s, &value) in row.iter().enumerate() {
                        d[r * tiles.size + s][lane] = value;
                    }
                }
            }
            sandwich(l, p, tiles.size, &d, &mut transformed);
            for (position, values) in transformed.iter().enumerate() {
                let start = (position * planes.channels + c) * columns + first;
                store_lanes(&mut out[start..], values, lanes);
            }
        }
    }
}

/// One GEMM per tile position: `c[ξ] = a[ξ] · b[ξ] + beta · c[ξ]`, with `a[ξ]` m×k, `b[ξ]`
/// k×n (stored n×k when `b_transposed`) and `c[ξ]` m×n, each position's block after the
/// previous one's.
fn gemm_per_position(
    a: &[f32],
    b: &[f32],
    b_transposed: bool,
    c: &mut [f32],
    (m, n, k): (usize, usize, usize),
    beta: f32,
) {
    let blocks = a.chunks_exact(m * k).zip(b.chunks_exact(k * n));
    for ((a, b), c) in blocks.zip(c.chunks_exact_mut(m * n)) {
        let b = MatRef {
            data: b,
            transposed: b_transposed,
        };
        sgemm(MatRef::new(a), b, c, m, n, k, beta);
    }
}

/// `Y = Aᵀ M A` (+ bias) for every tile, `LANES` tiles at a time; blocks that hang over the
/// output's edge keep only their inside pixels.
fn transform_output(
    t: &Transform,
    m: &[f32],
    bias: Option<&[f32]>,
    g: &Conv2dGeometry,
    tiles: &Tiles,
    y: &mut [f32],
) {
    let positions = t.positions();
    let columns = m.len() / (positions * g.out_channels);
    let out_len = g.out_channels * g.out_pixels();
    let mut tile = vec![[0.0f32; LANES]; positions];
    let mut block = vec![[0.0f32; LANES]; t.m * t.m];
    for k in 0..g.out_channels {
        let b = bias.map_or(0.0, |bias| bias[k]);
        for first in (0..columns).step_by(LANES) {
            let lanes = (columns - first).min(LANES);
            for (position, values) in tile.iter_mut().enumerate() {
                let start = (position * g.out_channels + k) * columns + first;
                load_lanes(values, &m[start..], lanes);
            }
            sandwich(&t.a_t, t.m, t.alpha, &tile, &mut block);
            for lane in 0..lanes {
                let (image, ty, tx) = tiles.locate(first + lane);
                let plane = &mut y[image * out_len + k * g.out_pixels()..][..g.out_pixels()];
                let rows = (g.out_h - t.m * ty).min(t.m);
                let cols = (g.out_w - t.m * tx).min(t.m);
                for dy in 0..rows {
                    let start = (t.m * ty + dy) * g.out_w + t.m * tx;
                    for (dx, out) in plane[start..start + cols].iter_mut().enumerate() {
                        *out = block[dy * t.m + dx][lane] + b;
                    }
                }
            }
        }
    }
}

//! Winograd F(2×2, 3×3) convolution (Lavin & Gray, 2015) for 3×3 kernels at stride 1.
//!
//! A 2×2 block of a 3×3 convolution's outputs reads a 4×4 input tile `d`. Winograd's minimal
//! filtering algorithm gets the block with 16 multiplications per (input, output) channel pair
//! instead of 36:
//!
//! ```text
//!     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A          g: the 3×3 kernel, ⊙: element-wise
//! ```
//!
//! Summed over input channels, the element-wise product at each of the 16 tile positions ξ is a
//! matrix product: `M[ξ] = U[ξ] · V[ξ]`, with `U[ξ]` (Cout × Cin) the transformed kernels and
//! `V[ξ]` (Cin × tiles) the transformed input tiles. So 2.25× fewer multiplications become 16
//! GEMMs, between cheap transforms. The input gradient is itself a 3×3 stride-1 convolution
//! (of dy with the kernels flipped and their channel axes swapped), so it runs here too.
//!
//! The transforms add and subtract inputs before multiplying, so results differ from direct
//! convolution by rounding (relative ~1e-6 here, tested against the naive kernel).

use super::gemm::{sgemm, MatRef};
use crate::backend::Conv2dGeometry;
use rayon::prelude::*;
use std::array::from_fn;

/// Tile positions: a 4×4 input tile → 16 transformed values.
const POSITIONS: usize = 16;

/// Transformed tiles per GEMM: enough columns to keep the GEMM efficient, few enough that one
/// chunk's buffers stay near the cache (measured on AlexNet's 12×12 layers).
const TILES_PER_CHUNK: usize = 160;

/// Whether this algorithm computes `g`'s forward pass (and input gradient: `padding ≤ 2`).
pub fn supports(g: &Conv2dGeometry) -> bool {
    g.kernel_h == 3 && g.kernel_w == 3 && g.stride == 1 && g.padding <= 2
}

/// Forward: `y = conv(x, W) + bias` for a 3×3 stride-1 geometry.
pub fn conv2d(x: &[f32], weight: &[f32], bias: Option<&[f32]>, g: &Conv2dGeometry) -> Vec<f32> {
    assert!(
        supports(g),
        "Winograd F(2x2,3x3) needs a 3x3 kernel at stride 1"
    );
    let u = transform_kernels(weight, g.out_channels, g.in_channels);
    let tiles = Tiles::of(g);
    let images_per_chunk = images_per_chunk(g.batch, tiles.per_image());
    let image_len = g.in_channels * g.in_h * g.in_w;
    let out_len = g.out_channels * g.out_pixels();
    let mut y = vec![0.0; g.batch * out_len];
    let max_tiles = images_per_chunk * tiles.per_image();
    y.par_chunks_mut(images_per_chunk * out_len)
        .zip(x.par_chunks(images_per_chunk * image_len))
        .for_each_init(
            || {
                let v = vec![0.0; POSITIONS * g.in_channels * max_tiles];
                let m = vec![0.0; POSITIONS * g.out_channels * max_tiles];
                (v, m)
            },
            |(v, m), (y_chunk, x_chunk)| {
                let columns = x_chunk.len() / image_len * tiles.per_image();
                let v = &mut v[..POSITIONS * g.in_channels * columns];
                let m = &mut m[..POSITIONS * g.out_channels * columns];
                transform_input(x_chunk, g, &tiles, v);
                multiply_positions(&u, v, m, g, columns);
                transform_output(m, bias, g, &tiles, y_chunk);
            },
        );
    y
}

/// Input gradient: `dx = conv(dy, W')` with `W'[c, k, i, j] = W[k, c, 2 − i, 2 − j]` and
/// padding `2 − p`, which gives back the input's size.
pub fn conv2d_input_grad(grad_out: &[f32], weight: &[f32], g: &Conv2dGeometry) -> Vec<f32> {
    assert!(
        supports(g),
        "Winograd F(2x2,3x3) needs a 3x3 kernel at stride 1, padding <= 2"
    );
    let (k, c) = (g.out_channels, g.in_channels);
    let mut flipped = vec![0.0; weight.len()];
    for (kc, kernel) in weight.chunks_exact(9).enumerate() {
        let (out, inp) = (kc / c, kc % c);
        let target = &mut flipped[(inp * k + out) * 9..(inp * k + out + 1) * 9];
        for (t, w) in target.iter_mut().zip(kernel.iter().rev()) {
            *t = *w;
        }
    }
    let transposed = Conv2dGeometry {
        in_channels: k,
        out_channels: c,
        in_h: g.out_h,
        in_w: g.out_w,
        padding: 2 - g.padding,
        out_h: g.in_h,
        out_w: g.in_w,
        ..*g
    };
    conv2d(grad_out, &flipped, None, &transposed)
}

/// Images per chunk: about [`TILES_PER_CHUNK`] tiles, in a number of chunks that the threads
/// share evenly.
fn images_per_chunk(batch: usize, tiles_per_image: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    let wanted = (batch * tiles_per_image).div_ceil(TILES_PER_CHUNK).max(1);
    let chunks = wanted.div_ceil(threads) * threads;
    batch.div_ceil(chunks).max(1)
}

/// How the output of one image is cut into 2×2 tiles (the last row/column may hang over).
struct Tiles {
    rows: usize,
    cols: usize,
}

impl Tiles {
    fn of(g: &Conv2dGeometry) -> Self {
        Tiles {
            rows: g.out_h.div_ceil(2),
            cols: g.out_w.div_ceil(2),
        }
    }

    fn per_image(&self) -> usize {
        self.rows * self.cols
    }
}

/// `U[ξ][k][c] = (G g Gᵀ)[ξ]` for every kernel `g = W[k, c]`, with
/// `G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]`.
fn transform_kernels(weight: &[f32], out_channels: usize, in_channels: usize) -> Vec<f32> {
    let pairs = out_channels * in_channels;
    let mut u = vec![0.0; POSITIONS * pairs];
    for (pair, g) in weight.chunks_exact(9).enumerate() {
        // rows: t = G g (4×3), then columns: t Gᵀ (4×4)
        let mut t = [[0.0f32; 3]; 4];
        for col in 0..3 {
            let (g0, g1, g2) = (g[col], g[3 + col], g[6 + col]);
            t[0][col] = g0;
            t[1][col] = 0.5 * (g0 + g1 + g2);
            t[2][col] = 0.5 * (g0 - g1 + g2);
            t[3][col] = g2;
        }
        for (row, [t0, t1, t2]) in t.into_iter().enumerate() {
            let values = [t0, 0.5 * (t0 + t1 + t2), 0.5 * (t0 - t1 + t2), t2];
            for (col, value) in values.into_iter().enumerate() {
                u[(row * 4 + col) * pairs + pair] = value;
            }
        }
    }
    u
}

/// `V[ξ][c][tile] = (Bᵀ d B)[ξ]` for every 4×4 input tile `d` of a chunk of images, with
/// `Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]`.
fn transform_input(x: &[f32], g: &Conv2dGeometry, tiles: &Tiles, v: &mut [f32]) {
    let columns = v.len() / (POSITIONS * g.in_channels);
    let plane_len = g.in_h * g.in_w;
    // The plane with its zero border, so tiles read it without bounds tests.
    let (padded_h, padded_w) = (2 * tiles.rows + 2, 2 * tiles.cols + 2);
    let mut padded = vec![0.0; padded_h * padded_w];
    for (plane_index, plane) in x.chunks_exact(plane_len).enumerate() {
        let (image, c) = (plane_index / g.in_channels, plane_index % g.in_channels);
        for (iy, row) in plane.chunks_exact(g.in_w).enumerate() {
            let start = (iy + g.padding) * padded_w + g.padding;
            padded[start..start + g.in_w].copy_from_slice(row);
        }
        for ty in 0..tiles.rows {
            for tx in 0..tiles.cols {
                let mut d = [[0.0f32; 4]; 4];
                for (r, d_row) in d.iter_mut().enumerate() {
                    let start = (2 * ty + r) * padded_w + 2 * tx;
                    d_row.copy_from_slice(&padded[start..start + 4]);
                }
                let column = image * tiles.per_image() + ty * tiles.cols + tx;
                let transformed = input_tile_transform(&d);
                for (position, value) in transformed.into_iter().enumerate() {
                    v[(position * g.in_channels + c) * columns + column] = value;
                }
            }
        }
    }
}

/// `Bᵀ d B` of one 4×4 tile, flattened row-major.
fn input_tile_transform(d: &[[f32; 4]; 4]) -> [f32; 16] {
    let b_t = |[a, b, c, e]: [f32; 4]| [a - c, b + c, c - b, b - e];
    // Bᵀ on every column of d, then on every row of the result.
    let columns: [[f32; 4]; 4] = from_fn(|col| b_t(from_fn(|row| d[row][col])));
    let rows: [[f32; 4]; 4] = from_fn(|row| b_t(from_fn(|col| columns[col][row])));
    from_fn(|i| rows[i / 4][i % 4])
}

/// `M[ξ] = U[ξ] · V[ξ]` for the 16 positions: (Cout × Cin) · (Cin × tiles).
fn multiply_positions(u: &[f32], v: &[f32], m: &mut [f32], g: &Conv2dGeometry, columns: usize) {
    let (k, c) = (g.out_channels, g.in_channels);
    for position in 0..POSITIONS {
        let u_p = MatRef {
            data: &u[position * k * c..(position + 1) * k * c],
            transposed: false,
        };
        let v_p = MatRef {
            data: &v[position * c * columns..(position + 1) * c * columns],
            transposed: false,
        };
        let m_p = &mut m[position * k * columns..(position + 1) * k * columns];
        sgemm(u_p, v_p, m_p, k, columns, c, 0.0);
    }
}

/// `Y = Aᵀ m A` (+ bias) for every tile, with `Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]`; tiles that
/// hang over an odd-sized output keep only their inside pixels.
fn transform_output(
    m: &[f32],
    bias: Option<&[f32]>,
    g: &Conv2dGeometry,
    tiles: &Tiles,
    y: &mut [f32],
) {
    let columns = m.len() / (POSITIONS * g.out_channels);
    let stride = g.out_channels * columns;
    let a_t = |[a, b, c, d]: [f32; 4]| [a + b + c, b - c - d];
    for (plane_index, plane) in y.chunks_exact_mut(g.out_pixels()).enumerate() {
        let (image, k) = (plane_index / g.out_channels, plane_index % g.out_channels);
        let b = bias.map_or(0.0, |bias| bias[k]);
        for ty in 0..tiles.rows {
            for tx in 0..tiles.cols {
                let column = image * tiles.per_image() + ty * tiles.cols + tx;
                let at = |position: usize| m[position * stride + k * columns + column];
                // Aᵀ m (2×4, column by column), then (Aᵀ m) A (2×2, row by row)
                let columns: [[f32; 2]; 4] = from_fn(|col| a_t(from_fn(|row| at(4 * row + col))));
                let t: [[f32; 4]; 2] = from_fn(|row| from_fn(|col| columns[col][row]));
                for (dy, t_row) in t.into_iter().enumerate() {
                    let oy = 2 * ty + dy;
                    if oy >= g.out_h {
                        continue;
                    }
                    for (dx, value) in a_t(t_row).into_iter().enumerate() {
                        let ox = 2 * tx + dx;
                        if ox < g.out_w {
                            plane[oy * g.out_w + ox] = value + b;
                        }
                    }
                }
            }
        }
    }
}

//! Bilinear image resizing on the CPU, matching `torch.nn.functional.interpolate(...,
//! mode="bilinear", align_corners=False)`.

use crate::backend::{GatherImages, ResizeGeometry};
use rayon::prelude::*;

/// For one output coordinate: the two input coordinates it blends and the weight of the second.
///
/// With `align_corners = False`, pixel *centers* are aligned: output pixel `o` sits at input
/// position `(o + 0.5) · in/out − 0.5`, clamped at 0 on the left (PyTorch's rule).
pub fn source_taps(out: usize, in_size: usize, out_size: usize) -> (usize, usize, f32) {
    let scale = in_size as f32 / out_size as f32;
    let position = (scale * (out as f32 + 0.5) - 0.5).max(0.0);
    let first = (position as usize).min(in_size - 1);
    let second = (first + 1).min(in_size - 1);
    (first, second, position - first as f32)
}

pub fn resize_bilinear(x: &[f32], g: &ResizeGeometry) -> Vec<f32> {
    let rows: Vec<_> = (0..g.out_h)
        .map(|o| source_taps(o, g.in_h, g.out_h))
        .collect();
    let cols: Vec<_> = (0..g.out_w)
        .map(|o| source_taps(o, g.in_w, g.out_w))
        .collect();
    let mut out = vec![0.0; g.planes * g.out_h * g.out_w];
    out.par_chunks_mut(g.out_h * g.out_w)
        .zip(x.par_chunks(g.in_h * g.in_w))
        .for_each(|(out, plane)| {
            for (out_row, &(y0, y1, wy)) in out.chunks_exact_mut(g.out_w).zip(&rows) {
                let (row0, row1) = (&plane[y0 * g.in_w..], &plane[y1 * g.in_w..]);
                for (o, &(x0, x1, wx)) in out_row.iter_mut().zip(&cols) {
                    let top = (1.0 - wx) * row0[x0] + wx * row0[x1];
                    let bottom = (1.0 - wx) * row1[x0] + wx * row1[x1];
                    *o = (1.0 - wy) * top + wy * bottom;
                }
            }
        });
    out
}

/// The byte at `index` of bytes packed four to a little-endian `u32`.
pub fn packed_byte(words: &[u32], index: usize) -> u8 {
    (words[index / 4] >> (8 * (index % 4))) as u8
}

/// Picks images out of a packed byte dataset, scales them to [0, 1] and resizes them.
pub fn gather_images(words: &[u32], picks: &[u32], g: &GatherImages) -> Vec<f32> {
    let image_len = g.in_h * g.in_w;
    let pixels: Vec<f32> = picks
        .iter()
        .flat_map(|&pick| {
            let first = pick as usize * image_len;
            (first..first + image_len).map(|i| packed_byte(words, i) as f32 / 255.0)
        })
        .collect();
    resize_bilinear(&pixels, &g.resize_geometry())
}

//! Turning dataset examples into model inputs: batch order, then pixels → [0, 1] floats →
//! resized NCHW tensor on the training device, and labels → `Indices`.

use super::fashion_mnist::Split;
use tensor::{Device, Indices, Rng, Tensor};

/// Example indices split into batches: shuffled with `seed` (training), or in file order when
/// `seed` is `None` (testing). The last batch may be smaller.
pub fn batch_order(len: usize, batch_size: usize, seed: Option<u64>) -> Vec<Vec<usize>> {
    assert!(batch_size > 0, "batch size must be at least 1");
    let mut order: Vec<usize> = (0..len).collect();
    if let Some(seed) = seed {
        Rng::new(seed).shuffle(&mut order);
    }
    order.chunks(batch_size).map(<[usize]>::to_vec).collect()
}

/// A batch ready for a model: images `[N, 1, size, size]` in [0, 1] and labels `[N]`.
pub struct ImageBatch {
    pub images: Tensor,
    pub labels: Indices,
}

impl ImageBatch {
    /// Gathers the examples `indices` of `split`, scales pixels to [0, 1] (as torchvision's
    /// `ToTensor`), moves them to `device` and resizes them bilinearly to `size`×`size` there
    /// (no resize when `size` is the images' own size).
    pub fn gather(
        split: &Split,
        indices: &[usize],
        size: usize,
        device: Device,
    ) -> tensor::Result<Self> {
        let (rows, cols) = (split.rows, split.cols);
        let pixels: Vec<f32> = indices
            .iter()
            .flat_map(|&i| split.image(i).iter().map(|&p| p as f32 / 255.0))
            .collect();
        let labels: Vec<u32> = indices.iter().map(|&i| split.labels[i] as u32).collect();
        let mut images = Tensor::from_vec(pixels, [indices.len(), 1, rows, cols]).to(device)?;
        if (size, size) != (rows, cols) {
            images = images.resize_bilinear(size, size);
        }
        Ok(ImageBatch {
            images,
            labels: Indices::from_vec(labels, [indices.len()]).to(device)?,
        })
    }
}

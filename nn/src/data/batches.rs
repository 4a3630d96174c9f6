//! Turning dataset examples into model inputs: batch order, then pixels → [0, 1] floats →
//! resized NCHW tensor on the training device, and labels → `Indices`.

use super::fashion_mnist::Split;
use tensor::{Device, Indices, PackedBytes, Rng, Tensor};

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

/// A split whose pixels were uploaded once to the training device, as bytes (a quarter of the
/// memory of floats). Each batch then uploads only its example numbers and labels; one kernel
/// gathers the images, scales them to [0, 1] (as torchvision's `ToTensor`) and resizes them.
pub struct DeviceSplit<'a> {
    split: &'a Split,
    pixels: PackedBytes,
    size: usize,
    device: Device,
}

impl<'a> DeviceSplit<'a> {
    /// Uploads `split`'s pixels to `device`; batches will be resized to `size`×`size`.
    pub fn upload(split: &'a Split, size: usize, device: Device) -> tensor::Result<Self> {
        let pixels = PackedBytes::new(&split.images).to(device)?;
        Ok(DeviceSplit {
            split,
            pixels,
            size,
            device,
        })
    }

    /// The examples `indices` as a batch on the device.
    pub fn batch(&self, indices: &[usize]) -> tensor::Result<ImageBatch> {
        let picks: Vec<u32> = indices.iter().map(|&i| i as u32).collect();
        let labels: Vec<u32> = indices
            .iter()
            .map(|&i| self.split.labels[i] as u32)
            .collect();
        let picks = Indices::from_vec(picks, [indices.len()]).to(self.device)?;
        let (rows, cols) = (self.split.rows, self.split.cols);
        Ok(ImageBatch {
            images: Tensor::gather_images(&self.pixels, &picks, rows, cols, self.size),
            labels: Indices::from_vec(labels, [indices.len()]).to(self.device)?,
        })
    }
}

impl ImageBatch {
    /// One batch straight from a split (uploads the whole split: for one-off use; loops should
    /// upload once with [`DeviceSplit`]).
    pub fn gather(
        split: &Split,
        indices: &[usize],
        size: usize,
        device: Device,
    ) -> tensor::Result<Self> {
        DeviceSplit::upload(split, size, device)?.batch(indices)
    }
}

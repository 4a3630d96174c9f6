//! `Indices`: integer tensors (class labels, argmax positions, example numbers), kept apart from
//! f32 tensors so that a label is never rounded and never differentiated. (Bytes packed into
//! `u32` words are not indices: see `packed_bytes.rs`.)

use crate::storage::IndexStorage;
use crate::{Device, Result, Shape};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Indices {
    shape: Shape,
    storage: Arc<IndexStorage>,
    /// The largest value, when it is known without reading the device: for values that came
    /// from the host (class labels do). Checks such as "every label < classes" use it, so they
    /// cost no device round trip and fail the same way on every device.
    largest: Option<u32>,
}

impl PartialEq for Indices {
    fn eq(&self, other: &Self) -> bool {
        self.shape == other.shape && self.storage == other.storage
    }
}

impl Eq for Indices {}

impl Indices {
    /// Indices computed by a kernel (argmax, pooling): their largest value is known on the CPU
    /// (one pass over them), not on a GPU (it would cost a device round trip).
    pub(crate) fn from_storage(storage: IndexStorage, shape: Shape) -> Self {
        let largest = match &storage {
            IndexStorage::Cpu(values) => values.iter().copied().max(),
            #[cfg(feature = "cuda")]
            IndexStorage::Cuda(_) => None,
        };
        Indices {
            shape,
            storage: Arc::new(storage),
            largest,
        }
    }

    pub(crate) fn storage(&self) -> &IndexStorage {
        &self.storage
    }

    /// CPU indices holding `values` in row-major order.
    #[track_caller]
    pub fn from_vec(values: Vec<u32>, shape: impl Into<Shape>) -> Self {
        let shape = shape.into();
        assert_eq!(
            values.len(),
            shape.numel(),
            "Indices::from_vec: {} values cannot fill shape {shape}",
            values.len()
        );
        Indices::from_storage(IndexStorage::Cpu(values), shape)
    }

    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }

    pub fn numel(&self) -> usize {
        self.shape.numel()
    }

    pub fn device(&self) -> Device {
        self.storage.device()
    }

    pub fn to(&self, device: Device) -> Result<Indices> {
        if device == self.device() {
            return Ok(self.clone());
        }
        let storage = IndexStorage::from_vec(self.to_vec(), device)?;
        Ok(Indices {
            largest: self.largest,
            ..Indices::from_storage(storage, self.shape.clone())
        })
    }

    /// The largest value, if known without reading the device (see the field's comment).
    pub fn largest_known(&self) -> Option<u32> {
        self.largest
    }

    pub fn to_vec(&self) -> Vec<u32> {
        self.storage.to_vec()
    }
}

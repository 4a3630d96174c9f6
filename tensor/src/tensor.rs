//! `Tensor`: a shape plus reference-counted, contiguous, row-major f32 storage on one device.
//!
//! Cloning a tensor clones a reference, not the data (the autograd tape saves activations this
//! way). Operations never modify a tensor in place; they return new tensors. The operations
//! themselves live in `crate::ops`, one file per family.

use crate::backend::Backend;
use crate::rng::Rng;
use crate::storage::Storage;
use crate::{Device, Result, Shape};
use std::fmt;
use std::sync::Arc;

#[derive(Clone)]
pub struct Tensor {
    shape: Shape,
    storage: Arc<Storage>,
}

impl Tensor {
    pub(crate) fn from_storage(storage: Storage, shape: Shape) -> Self {
        debug_assert_eq!(storage.len(), shape.numel());
        Tensor {
            shape,
            storage: Arc::new(storage),
        }
    }

    /// A tensor sharing this one's storage under another shape (same element count).
    pub(crate) fn with_shape(&self, shape: Shape) -> Self {
        Tensor {
            shape,
            storage: Arc::clone(&self.storage),
        }
    }

    pub(crate) fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The storage, to write in place, when no other tensor shares it.
    pub(crate) fn unique_storage_mut(&mut self) -> Option<&mut Storage> {
        Arc::get_mut(&mut self.storage)
    }

    /// The storage for an in-place update; copied first if another tensor shares it, so an
    /// in-place op never changes a value some other tensor (or a tape) still holds.
    pub(crate) fn storage_mut(&mut self) -> &mut Storage {
        Arc::make_mut(&mut self.storage)
    }

    /// A CPU tensor holding `values` in row-major order.
    #[track_caller]
    pub fn from_vec(values: Vec<f32>, shape: impl Into<Shape>) -> Self {
        let shape = shape.into();
        assert_eq!(
            values.len(),
            shape.check_numel("from_vec"),
            "from_vec: {} values cannot fill shape {shape}",
            values.len()
        );
        Tensor::from_storage(Storage::cpu(values), shape)
    }

    #[track_caller]
    pub fn from_slice(values: &[f32], shape: impl Into<Shape>) -> Self {
        Tensor::from_vec(values.to_vec(), shape)
    }

    /// A rank-0 tensor.
    pub fn scalar(value: f32) -> Self {
        Tensor::from_vec(vec![value], Shape::scalar())
    }

    #[track_caller]
    pub fn full(shape: impl Into<Shape>, value: f32) -> Self {
        Tensor::filled("full", shape.into(), value)
    }

    #[track_caller]
    pub fn zeros(shape: impl Into<Shape>) -> Self {
        Tensor::filled("zeros", shape.into(), 0.0)
    }

    #[track_caller]
    pub fn ones(shape: impl Into<Shape>) -> Self {
        Tensor::filled("ones", shape.into(), 1.0)
    }

    #[track_caller]
    fn filled(op: &str, shape: Shape, value: f32) -> Self {
        let mut values = host_buffer(op, &shape);
        values.resize(shape.numel(), value);
        Tensor::from_vec(values, shape)
    }

    /// Same shape and device as `self`, every element `value`.
    pub fn full_like(&self, value: f32) -> Self {
        let storage = Storage::full(self.numel(), value, self.device())
            .expect("the device already holds `self`");
        Tensor::from_storage(storage, self.shape.clone())
    }

    pub fn zeros_like(&self) -> Self {
        self.full_like(0.0)
    }

    pub fn ones_like(&self) -> Self {
        self.full_like(1.0)
    }

    /// Uniform samples in [low, high) from a seeded generator.
    #[track_caller]
    pub fn rand_uniform(shape: impl Into<Shape>, low: f32, high: f32, rng: &mut Rng) -> Self {
        let shape = shape.into();
        let mut values = host_buffer("rand_uniform", &shape);
        values.extend((0..shape.numel()).map(|_| rng.uniform(low, high)));
        Tensor::from_vec(values, shape)
    }

    /// Normal samples with the given mean and standard deviation from a seeded generator.
    #[track_caller]
    pub fn rand_normal(shape: impl Into<Shape>, mean: f32, std: f32, rng: &mut Rng) -> Self {
        let shape = shape.into();
        let mut values = host_buffer("rand_normal", &shape);
        values.extend((0..shape.numel()).map(|_| mean + std * rng.normal()));
        Tensor::from_vec(values, shape)
    }

    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    pub fn dims(&self) -> &[usize] {
        self.shape.dims()
    }

    pub fn rank(&self) -> usize {
        self.shape.rank()
    }

    pub fn numel(&self) -> usize {
        self.shape.numel()
    }

    pub fn device(&self) -> Device {
        self.storage.device()
    }

    /// The same values on `device` (a cheap clone when already there).
    pub fn to(&self, device: Device) -> Result<Tensor> {
        if device == self.device() {
            return Ok(self.clone());
        }
        let storage = Storage::from_vec(self.to_vec(), device)?;
        Ok(Tensor::from_storage(storage, self.shape.clone()))
    }

    /// The values in row-major order, copied to host memory.
    pub fn to_vec(&self) -> Vec<f32> {
        self.storage.to_vec()
    }

    /// The value of a one-element tensor.
    #[track_caller]
    pub fn item(&self) -> f32 {
        assert_eq!(
            self.numel(),
            1,
            "item: tensor of shape {} has {} elements, not 1",
            self.shape,
            self.numel()
        );
        self.to_vec()[0]
    }

    pub fn to_ndarray(&self) -> ndarray::ArrayD<f32> {
        ndarray::ArrayD::from_shape_vec(self.dims().to_vec(), self.to_vec())
            .expect("a tensor's element count matches its shape")
    }

    /// A CPU tensor with the array's values in row-major (logical) order, whatever its layout.
    pub fn from_ndarray(array: &ndarray::ArrayD<f32>) -> Self {
        let values = array.iter().copied().collect();
        Tensor::from_vec(values, array.shape())
    }
}

/// An empty host buffer with room for exactly the elements of `shape`, for `op` to fill.
///
/// Refuses, at the caller's line, a shape whose size overflows or whose bytes no allocation can
/// hold, and turns a failed allocation into a panic naming the op and the shape (a plain `vec!`
/// would abort the process with "memory allocation of N bytes failed" and no location).
#[track_caller]
fn host_buffer(op: &str, shape: &Shape) -> Vec<f32> {
    let numel = shape.check_numel(op);
    let mut values = Vec::new();
    if values.try_reserve_exact(numel).is_err() {
        panic!(
            "{op}: shape {shape} needs {} bytes, which could not be allocated",
            numel * std::mem::size_of::<f32>()
        );
    }
    values
}

impl From<&ndarray::ArrayD<f32>> for Tensor {
    fn from(array: &ndarray::ArrayD<f32>) -> Self {
        Tensor::from_ndarray(array)
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        let values = self.to_vec();
        write!(
            f,
            "Tensor(shape={}, device={}, values={:?}",
            self.shape,
            self.device(),
            &values[..values.len().min(SHOWN)]
        )?;
        if values.len() > SHOWN {
            write!(f, "…")?;
        }
        write!(f, ")")
    }
}

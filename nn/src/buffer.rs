//! A module's state that is saved with it but not trained: PyTorch's *buffers*, such as
//! BatchNorm's `running_mean`, `running_var` and `num_batches_tracked`.
//!
//! A [`Parameter`](crate::Parameter) changes only in the optimizer's step; a buffer changes
//! during the forward pass itself (BatchNorm in training updates its running statistics from
//! each batch). `forward` takes `&self`, so the value sits in a `RefCell`: the layer replaces it
//! with [`Buffer::set`] while it runs. Gradients never flow into a buffer.

use std::cell::RefCell;
use tensor::Tensor;

/// How a buffer is written to a checkpoint. Values live in f32 tensors here, but PyTorch keeps
/// counters as int64 (`num_batches_tracked`), and its `load_state_dict` expects that type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredAs {
    F32,
    /// Whole numbers, written as safetensors `I64`. An f32 counts exactly up to 2²⁴
    /// (16.7 million batches), far beyond any run here.
    I64,
}

#[derive(Debug)]
pub struct Buffer {
    value: RefCell<Tensor>,
    stored_as: StoredAs,
}

impl Buffer {
    /// A buffer of f32 values (running statistics).
    pub fn new(value: Tensor) -> Self {
        Buffer {
            value: RefCell::new(value),
            stored_as: StoredAs::F32,
        }
    }

    /// A counter, saved as int64 as PyTorch does (`num_batches_tracked`).
    pub fn counter(initial: u32) -> Self {
        Buffer {
            value: RefCell::new(Tensor::scalar(initial as f32)),
            stored_as: StoredAs::I64,
        }
    }

    /// The current value (a cheap clone: tensors share their storage).
    pub fn get(&self) -> Tensor {
        self.value.borrow().clone()
    }

    /// Replaces the value, e.g. with this batch's update of a running statistic.
    ///
    /// # Panics
    /// If the new value's shape differs: a buffer keeps its shape for life, as its checkpoint
    /// entry does.
    #[track_caller]
    pub fn set(&self, value: Tensor) {
        let mut current = self.value.borrow_mut();
        assert_eq!(
            current.shape(),
            value.shape(),
            "Buffer::set: a buffer of shape {} cannot take a value of shape {}",
            current.shape(),
            value.shape()
        );
        *current = value;
    }

    pub fn stored_as(&self) -> StoredAs {
        self.stored_as
    }
}

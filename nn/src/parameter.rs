//! A trainable tensor with an identity that outlives training steps.

use std::sync::atomic::{AtomicU64, Ordering};
use tensor::Tensor;

/// Identifies a parameter across steps: gradients and optimizer state are keyed by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId(u64);

impl ParamId {
    fn fresh() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        ParamId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

#[derive(Debug)]
pub struct Parameter {
    id: ParamId,
    pub value: Tensor,
}

impl Parameter {
    pub fn new(value: Tensor) -> Self {
        Parameter {
            id: ParamId::fresh(),
            value,
        }
    }

    pub fn id(&self) -> ParamId {
        self.id
    }
}

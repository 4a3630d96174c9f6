//! Losses.

use autograd::Var;
use tensor::Indices;

/// `nn.CrossEntropyLoss()`: mean over the batch of `−log softmax(logits)[label]`, computed by one
/// fused, numerically stable kernel (forward and backward).
#[track_caller]
pub fn cross_entropy(logits: &Var, labels: &Indices) -> Var {
    logits.cross_entropy(labels)
}

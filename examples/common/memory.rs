//! How much memory a training step or an evaluation pass needs at least: the floor that
//! `--batch-size` is checked against before any work starts (see `common::check_memory`).
//!
//! AlexNet knows its floors exactly (`AlexNet::training_bytes_at_least`); for any other model
//! they are estimated from the layer summary, which lists every layer's output shape.

use rustgrad::nn::models::AlexNet;
use rustgrad::nn::summary::Summary;
use rustgrad::nn::Module;

/// A model's memory floor, as a function of the batch size.
pub enum Floor {
    /// AlexNet's own count, for any image side.
    AlexNet,
    /// Estimated from a layer summary (see [`Floor::bytes`]).
    FromSummary {
        /// Values of every listed layer's output for one image, summed.
        outputs_per_image: usize,
        /// The largest of those outputs.
        largest_output: usize,
        /// The model's trainable values.
        parameters: usize,
        /// Copies of the parameters a training step keeps: the weights and their gradients,
        /// plus the optimizer's state (Adam: two moments; plain SGD: none).
        parameter_copies: usize,
    },
}

impl Floor {
    /// The floor of `model` (named `name`), whose layers for one image `summary` lists, trained
    /// with `optimizer` (`sgd` or `adam`).
    pub fn of(name: &str, summary: &Summary, model: &dyn Module, optimizer: &str) -> Floor {
        if name == "alexnet" {
            return Floor::AlexNet;
        }
        let outputs = summary.rows().iter().map(|row| row.output_shape.numel());
        Floor::FromSummary {
            outputs_per_image: outputs.clone().sum(),
            largest_output: outputs.max().unwrap_or(0),
            parameters: model.parameter_count(),
            parameter_copies: if optimizer == "adam" { 4 } else { 2 },
        }
    }

    /// Bytes (4 per f32 value) that `batch` images of `size`×`size` need at least, for a
    /// training step or, with `training` false, an evaluation pass:
    ///
    /// ```text
    /// training:   4 × (batch × (Σ layer outputs + largest output) + copies × parameters)
    /// evaluation: 4 × (batch × 2 × largest output + parameters)
    /// ```
    ///
    /// A training step keeps every layer's output for the backward pass (it is the next layer's
    /// saved input), and at the backward pass's peak a gradient as large as the largest output
    /// exists beside them; the parameters are there `copies` times. An evaluation pass keeps
    /// nothing: the largest layer's input and output at once. Scratch buffers, masks, pooling
    /// indices and what a block (residual, inception) computes inside come on top, so the real
    /// peak is higher: this is the floor a refusal can rely on.
    pub fn bytes(&self, batch: usize, size: usize, training: bool) -> f64 {
        match *self {
            Floor::AlexNet if training => AlexNet::training_bytes_at_least(batch, size),
            Floor::AlexNet => AlexNet::evaluation_bytes_at_least(batch, size),
            Floor::FromSummary {
                outputs_per_image,
                largest_output,
                parameters,
                parameter_copies,
            } => {
                let batch = batch as f64;
                let values = if training {
                    batch * (outputs_per_image + largest_output) as f64
                        + (parameter_copies * parameters) as f64
                } else {
                    batch * 2.0 * largest_output as f64 + parameters as f64
                };
                4.0 * values
            }
        }
    }
}

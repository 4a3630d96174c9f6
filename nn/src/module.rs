//! The `Module` trait: something with a forward pass and named parameters.

use crate::{ForwardContext, Parameter};
use autograd::Var;

/// A layer or a model. Parameter names follow PyTorch's `state_dict` convention: a layer's own
/// parameters are `weight` and `bias`; containers prefix their children's names with the
/// child's position or field name (`conv.0.weight`).
pub trait Module {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var;

    /// `relu(self.forward(input))` computed with one fused bias + ReLU pass, for layers that can
    /// (Conv2d, Linear); `None` otherwise. [`Sequential`](crate::layers::Sequential) uses it
    /// when a ReLU follows.
    fn forward_relu(&self, _input: &Var, _ctx: &mut ForwardContext) -> Option<Var> {
        None
    }

    /// Whether this layer is a ReLU (and can be fused into the layer before it).
    fn is_relu(&self) -> bool {
        false
    }

    /// The parameters, with their names, in a fixed order.
    fn parameters(&self) -> Vec<(String, &Parameter)> {
        Vec::new()
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Parameter)> {
        Vec::new()
    }

    /// Total number of trainable values.
    fn parameter_count(&self) -> usize {
        self.parameters().iter().map(|(_, p)| p.value.numel()).sum()
    }

    /// Moves every parameter to `device`.
    fn to_device(&mut self, device: tensor::Device) -> tensor::Result<()> {
        for (_, parameter) in self.parameters_mut() {
            parameter.value = parameter.value.to(device)?;
        }
        Ok(())
    }
}

/// Prefixes each name with `prefix.`: how containers name their children's parameters.
pub fn prefixed<P>(prefix: &str, named: Vec<(String, P)>) -> Vec<(String, P)> {
    named
        .into_iter()
        .map(|(name, p)| (format!("{prefix}.{name}"), p))
        .collect()
}

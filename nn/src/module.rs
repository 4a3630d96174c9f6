//! The `Module` trait: something with a forward pass, named parameters and named buffers.

use crate::{Buffer, ForwardContext, Parameter};
use autograd::Var;
use tensor::Shape;

/// A layer or a model. Parameter names follow PyTorch's `state_dict` convention: a layer's own
/// parameters are `weight` and `bias`; containers prefix their children's names with the
/// child's position or field name (`conv.0.weight`). Buffers (state that is saved but not
/// trained, such as BatchNorm's `running_mean`) are named the same way.
///
/// # Training and evaluation
///
/// There is no `train()`/`eval()` switch on the module: each forward pass is given a
/// [`ForwardContext`] whose [`mode`](ForwardContext::mode) every layer reads (dropout drops
/// only in training; batch norm uses batch statistics in training, running ones in evaluation).
/// So a model cannot be left in the wrong mode by a forgotten call: the mode is chosen where
/// the pass starts, for every layer at once.
///
/// # Shape mistakes
///
/// A layer given an input of the wrong shape panics with a message naming the layer, its place
/// in the model and the shape, e.g. `module fc.0, Linear(6400 → 4096): expected input [N, 6400],
/// got [8, 6300]` (containers name their children with [`ForwardContext::enter`]).
///
/// `forward` and `forward_relu` are `#[track_caller]` here, in the trait, so every
/// implementation inherits it and the panic is reported at the line that called `forward` on
/// the outermost module, also through `&dyn Module` and `Box<dyn Module>` (the vtable passes the
/// location on) and through containers such as `Sequential`. Only the outermost call's line is
/// known, which is why the message names the layer. The location stops at the first function
/// on the way that is not `#[track_caller]`: a closure (`layers.iter().fold(x, |x, l|
/// l.forward(&x, ctx))` reports the closure's line), or a helper such as a training loop
/// (reports its own line). Putting `#[track_caller]` on an `impl`'s method instead of here
/// would not survive `dyn` calls: they would report the method's definition.
pub trait Module {
    #[track_caller]
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var;

    /// `relu(self.forward(input))` computed with one fused bias + ReLU pass, for layers that can
    /// (Conv2d, Linear); `None` otherwise. [`Sequential`](crate::layers::Sequential) uses it
    /// when a ReLU follows.
    #[track_caller]
    fn forward_relu(&self, _input: &Var, _ctx: &mut ForwardContext) -> Option<Var> {
        None
    }

    /// Whether this layer is a ReLU (and can be fused into the layer before it).
    fn is_relu(&self) -> bool {
        false
    }

    /// `self.forward(relu(input))` as one op, for layers that can take in the ReLU before them
    /// (MaxPool2d: see `Var::relu_max_pool2d`); `None` otherwise.
    /// [`Sequential`](crate::layers::Sequential) uses it for a layer, ReLU, MaxPool2d run.
    #[track_caller]
    fn forward_after_relu(&self, _input: &Var, _ctx: &mut ForwardContext) -> Option<Var> {
        None
    }

    /// Whether [`forward_after_relu`](Module::forward_after_relu) gives `Some`.
    fn takes_relu_in(&self) -> bool {
        false
    }

    /// The parameters, with their names, in a fixed order.
    fn parameters(&self) -> Vec<(String, &Parameter)> {
        Vec::new()
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Parameter)> {
        Vec::new()
    }

    /// The buffers (saved, not trained: see [`Buffer`]), with their names, in a fixed order.
    /// Containers list their children's with [`prefixed`], as for parameters.
    fn buffers(&self) -> Vec<(String, &Buffer)> {
        Vec::new()
    }

    /// A short description for [`summary`](crate::summary) tables (`Conv2d(1 → 96, kernel 11,
    /// stride 4, padding 0)`); by default the type's name without its module path (`AlexNet`).
    fn describe(&self) -> String {
        short_type_name(std::any::type_name::<Self>()).to_string()
    }

    /// Floating-point operations one forward pass from `input` to `output` computes, counted as
    /// 2 per multiply-add (a multiplication and an addition), for [`summary`](crate::summary)
    /// tables. Of the built-in layers only Conv2d and Linear count anything: the others (ReLU,
    /// pooling, dropout) and the bias additions are one cheap pass over the activations and are
    /// left out, as in the usual FLOP figures for AlexNet.
    fn flops(&self, _input: &Shape, _output: &Shape) -> f64 {
        0.0
    }

    /// Total number of trainable values.
    fn parameter_count(&self) -> usize {
        self.parameters().iter().map(|(_, p)| p.value.numel()).sum()
    }

    /// Moves every parameter and buffer to `device`.
    fn to_device(&mut self, device: tensor::Device) -> tensor::Result<()> {
        for (_, parameter) in self.parameters_mut() {
            parameter.value = parameter.value.to(device)?;
        }
        for (_, buffer) in self.buffers() {
            buffer.set(buffer.get().to(device)?);
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

/// `nn::models::mlp::Mlp` → `Mlp`: the last segment of a type's path. A generic type's
/// parameters stay as they are (`my::Wrapper<nn::layers::ReLU>` → `Wrapper<nn::layers::ReLU>`).
fn short_type_name(full: &str) -> &str {
    let path_end = full.find('<').unwrap_or(full.len());
    match full[..path_end].rfind("::") {
        Some(separator) => &full[separator + 2..],
        None => full,
    }
}

#[cfg(test)]
mod tests {
    use super::short_type_name;

    #[test]
    fn short_type_names_drop_the_module_path() {
        assert_eq!(short_type_name("nn::models::mlp::Mlp"), "Mlp");
        assert_eq!(short_type_name("Local"), "Local");
        assert_eq!(short_type_name("a::Wrapper<b::Inner>"), "Wrapper<b::Inner>");
    }
}

//! What the models' own blocks share: running one named child, and [`NamedSequential`], the
//! `nn.Sequential` whose children have names (`b2`, `dense_blk1`, `last`) instead of positions,
//! as PyTorch's `net.add_module('b2', ...)` makes them.

use crate::module::prefixed;
use crate::{Buffer, ForwardContext, Module, Parameter};
use autograd::Var;

/// Runs `child` on `input` under `name`, as every container runs its children: entered on the
/// context's path, so that a shape error inside says `module net.b3.0.conv1`, and reported
/// afterwards, so that a summary lists it.
#[track_caller]
pub(crate) fn run_child(
    ctx: &mut ForwardContext,
    name: &str,
    child: &dyn Module,
    input: &Var,
) -> Var {
    let _child = ctx.enter(name);
    let output = child.forward(input, ctx);
    ctx.report_layer(child, input.shape(), output.shape());
    output
}

/// `relu(child(input))`, run as [`run_child`] runs it; in one fused bias + ReLU pass when the
/// child can (Conv2d and Linear can, see [`Module::forward_relu`]), as `Sequential` does when a
/// ReLU follows a layer.
#[track_caller]
pub(crate) fn run_child_relu(
    ctx: &mut ForwardContext,
    name: &str,
    child: &dyn Module,
    input: &Var,
) -> Var {
    let _child = ctx.enter(name);
    let output = match child.forward_relu(input, ctx) {
        Some(fused) => fused,
        None => child.forward(input, ctx).relu(),
    };
    ctx.report_layer(child, input.shape(), output.shape());
    output
}

/// Children applied in order, each under its own name: the parameters of the child `b3` are
/// `b3.0.conv1.weight`, ... (an `nn.Sequential` built with `add_module(name, child)`).
#[derive(Default)]
pub struct NamedSequential {
    children: Vec<(String, Box<dyn Module>)>,
}

impl NamedSequential {
    pub fn new() -> Self {
        NamedSequential::default()
    }

    /// Appends `child` under `name`: PyTorch's `add_module(name, child)`. Returns `self`, so
    /// that a model is built in one expression.
    ///
    /// # Panics
    /// If a child already has this name (its parameters would get the same names).
    #[track_caller]
    pub fn with(mut self, name: impl Into<String>, child: impl Module + 'static) -> Self {
        let name = name.into();
        assert!(
            self.get(&name).is_none(),
            "NamedSequential: two children named {name:?}"
        );
        self.children.push((name, Box::new(child)));
        self
    }

    /// The children with their names, in the order they run.
    pub fn children(&self) -> &[(String, Box<dyn Module>)] {
        &self.children
    }

    /// The child named `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&dyn Module> {
        let found = self.children.iter().find(|(n, _)| n == name);
        found.map(|(_, child)| &**child)
    }
}

impl Module for NamedSequential {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        let mut x = input.clone();
        for (name, child) in &self.children {
            x = run_child(ctx, name, &**child, &x);
        }
        x
    }

    fn parameters(&self) -> Vec<(String, &Parameter)> {
        let children = self.children.iter();
        children
            .flat_map(|(name, child)| prefixed(name, child.parameters()))
            .collect()
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Parameter)> {
        let children = self.children.iter_mut();
        children
            .flat_map(|(name, child)| prefixed(name, child.parameters_mut()))
            .collect()
    }

    fn buffers(&self) -> Vec<(String, &Buffer)> {
        let children = self.children.iter();
        children
            .flat_map(|(name, child)| prefixed(name, child.buffers()))
            .collect()
    }

    fn describe(&self) -> String {
        let names: Vec<&str> = self.children.iter().map(|(n, _)| n.as_str()).collect();
        format!("NamedSequential({})", names.join(", "))
    }
}

//! One forward pass's setting: training (recorded on a tape, dropout active) or evaluation.

use crate::summary::Row;
use crate::{Module, ParamId, Parameter};
use autograd::{Tape, Var};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use tensor::rng::splitmix64;
use tensor::{Shape, Tensor};

/// Passed down through every module's `forward`. In training it owns the tape, turns each
/// parameter into a tape leaf (remembering which leaf is which parameter), and hands out fresh
/// dropout seeds; in evaluation parameters are constants and nothing is recorded. In both it
/// knows which module is running, so that a layer given the wrong input can say where it sits,
/// and, for a [summary](crate::summary), it can list every layer that ran.
pub struct ForwardContext {
    tape: Option<Tape>,
    leaves: Vec<(ParamId, Var)>,
    seed: u64,
    seeds_drawn: u64,
    /// The names of the modules now running, outermost first (`["fc", "0"]`): see `enter`.
    /// Shared with the `ModuleScope` guards, which take their name off when dropped.
    path: Rc<RefCell<Vec<String>>>,
    /// Only while a summary is being taken: one row per layer that ran (see `report_layer`).
    /// `None` otherwise, so that reporting costs one branch.
    layers: Option<Vec<Row>>,
}

impl ForwardContext {
    /// A training pass; `seed` determines its dropout masks (use a different one each step).
    pub fn training(seed: u64) -> Self {
        ForwardContext {
            tape: Some(Tape::new()),
            leaves: Vec::new(),
            seed,
            seeds_drawn: 0,
            path: Rc::default(),
            layers: None,
        }
    }

    /// An evaluation pass: no tape, no dropout.
    pub fn evaluation() -> Self {
        ForwardContext {
            tape: None,
            leaves: Vec::new(),
            seed: 0,
            seeds_drawn: 0,
            path: Rc::default(),
            layers: None,
        }
    }

    /// An evaluation pass that lists every layer it runs: what
    /// [`summarize`](crate::summary::summarize) runs.
    pub(crate) fn listing_layers() -> Self {
        ForwardContext {
            layers: Some(Vec::new()),
            ..ForwardContext::evaluation()
        }
    }

    pub fn is_training(&self) -> bool {
        self.tape.is_some()
    }

    /// Names the child module a container is about to run: its position in a `Sequential`
    /// (`"3"`) or its field in a model (`"fc"`), as in the parameter names (`fc.3.weight`). The
    /// name stays on the path until the returned guard is dropped (also when a panic unwinds):
    /// `let _child = ctx.enter("fc"); self.fc.forward(x, ctx)`.
    pub fn enter(&mut self, name: impl Into<String>) -> ModuleScope {
        self.path.borrow_mut().push(name.into());
        ModuleScope {
            path: Rc::clone(&self.path),
        }
    }

    /// Where the running module sits (`"fc.3"`), or `None` when no container named it: how a
    /// layer's shape error says which layer of the model it is.
    pub fn module_path(&self) -> Option<String> {
        let path = self.path.borrow();
        (!path.is_empty()).then(|| path.join("."))
    }

    /// Whether this pass lists its layers for a summary (see `report_layer`).
    pub fn lists_layers(&self) -> bool {
        self.layers.is_some()
    }

    /// Tells a summary that `layer`, the child now running under this context's path (see
    /// `enter`), turned an input of shape `input` into one of shape `output`: containers call it
    /// after each child, which is how [`summarize`](crate::summary::summarize) sees every layer.
    /// Does nothing outside a summary, and nothing for a child that reported layers of its own
    /// (a container, such as a `Sequential` inside a model): the summary lists the layers
    /// themselves, not the boxes they come in.
    pub fn report_layer(&mut self, layer: &dyn Module, input: &Shape, output: &Shape) {
        let Some(rows) = &mut self.layers else {
            return;
        };
        let path = self.path.borrow().join(".");
        // The child's own layers, if it has any, were reported just before it returned.
        if rows.last().is_some_and(|row| is_inside(&row.path, &path)) {
            return;
        }
        rows.push(Row {
            path,
            description: layer.describe(),
            output_shape: output.clone(),
            parameters: layer.parameter_count(),
            flops: layer.flops(input, output),
        });
    }

    /// The layers listed so far (see `listing_layers`), leaving none.
    pub(crate) fn take_listed_layers(&mut self) -> Vec<Row> {
        self.layers.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// The parameter as a value in this pass: a tracked leaf in training, a constant otherwise.
    pub fn parameter(&mut self, parameter: &Parameter) -> Var {
        let Some(tape) = &self.tape else {
            return Var::constant(parameter.value.clone());
        };
        let leaf = tape.leaf(parameter.value.clone());
        self.leaves.push((parameter.id(), leaf.clone()));
        leaf
    }

    /// A seed for the next random op (dropout), distinct for each call within the pass.
    pub fn next_seed(&mut self) -> u64 {
        self.seeds_drawn += 1;
        splitmix64(self.seed ^ splitmix64(self.seeds_drawn))
    }

    /// Differentiates `loss` and returns the gradient of every parameter used in this pass.
    #[track_caller]
    pub fn backward(self, loss: &Var) -> Gradients {
        assert!(
            self.is_training(),
            "backward: this forward pass ran in evaluation mode"
        );
        let grads = autograd::backward(loss);
        let mut by_param = HashMap::new();
        for (id, leaf) in &self.leaves {
            if let Some(grad) = grads.get(leaf) {
                // A parameter used twice in one pass has two leaves: add their gradients.
                by_param
                    .entry(*id)
                    .and_modify(|sum: &mut Tensor| *sum = sum.add(grad))
                    .or_insert_with(|| grad.clone());
            }
        }
        Gradients { by_param }
    }
}

/// A module's name on the context's path (see [`ForwardContext::enter`]); dropping it takes
/// the name off.
#[must_use = "the name is taken off the path as soon as the guard is dropped"]
pub struct ModuleScope {
    path: Rc<RefCell<Vec<String>>>,
}

impl Drop for ModuleScope {
    fn drop(&mut self) {
        self.path.borrow_mut().pop();
    }
}

/// Whether the module at `path` sits inside the one at `scope` (`conv.3` is inside `conv`, not
/// inside `co`); everything is inside the outermost module, whose path is empty.
fn is_inside(path: &str, scope: &str) -> bool {
    scope.is_empty()
        || path
            .strip_prefix(scope)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// Gradients of a loss, keyed by parameter.
#[derive(Default)]
pub struct Gradients {
    by_param: HashMap<ParamId, Tensor>,
}

impl Gradients {
    pub fn get(&self, parameter: &Parameter) -> Option<&Tensor> {
        self.by_param.get(&parameter.id())
    }

    pub fn len(&self) -> usize {
        self.by_param.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_param.is_empty()
    }
}

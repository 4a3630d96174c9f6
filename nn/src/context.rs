//! One forward pass's setting: its mode (training or evaluation, which every layer reads) and
//! whether it is recorded on a tape for a backward pass.

use crate::summary::Row;
use crate::{Module, ParamId, Parameter};
use autograd::{Tape, Var};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use tensor::rng::splitmix64;
use tensor::{Shape, Tensor};

/// Whether layers behave as in training or as in evaluation, as PyTorch's `model.train()` and
/// `model.eval()`: dropout drops only in `Train`; batch norm normalises with the batch's
/// statistics (and updates its running ones) in `Train`, with the running ones in `Eval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Train,
    Eval,
}

/// Passed down through every module's `forward`. It carries the [`Mode`] every layer reads.
/// When the pass is recorded (training) it owns the tape, turns each parameter into a tape leaf
/// (remembering which leaf is which parameter), and hands out fresh dropout seeds; otherwise
/// parameters are constants and nothing is recorded. In both it
/// knows which module is running, so that a layer given the wrong input can say where it sits,
/// and, for a [summary](crate::summary), it can list every layer that ran.
pub struct ForwardContext {
    mode: Mode,
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
    /// A training pass: `Train` mode, recorded on a tape for `backward`; `seed` determines its
    /// dropout masks (use a different one each step).
    pub fn training(seed: u64) -> Self {
        ForwardContext {
            mode: Mode::Train,
            tape: Some(Tape::new()),
            leaves: Vec::new(),
            seed,
            seeds_drawn: 0,
            path: Rc::default(),
            layers: None,
        }
    }

    /// An evaluation pass: `Eval` mode (no dropout, running statistics), nothing recorded.
    pub fn evaluation() -> Self {
        ForwardContext {
            mode: Mode::Eval,
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

    /// The same pass in another mode, for the uncommon mixes: a recorded pass in `Eval` mode
    /// (fine-tuning with frozen batch statistics and no dropout), or an unrecorded one in
    /// `Train` mode (batch statistics without a backward pass, as `model.train()` under
    /// `torch.no_grad()`; it still updates running statistics). An unrecorded `Train` pass
    /// draws dropout masks from seed 0 unless given `with_seed`.
    pub fn with_mode(self, mode: Mode) -> Self {
        ForwardContext { mode, ..self }
    }

    /// The same pass with `seed` for its dropout masks.
    pub fn with_seed(self, seed: u64) -> Self {
        ForwardContext { seed, ..self }
    }

    /// Which way layers behave in this pass (see [`Mode`]).
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether layers behave as in training (`mode() == Mode::Train`).
    pub fn is_training(&self) -> bool {
        self.mode == Mode::Train
    }

    /// Whether this pass is recorded on a tape, so that `backward` can follow it.
    pub fn is_recorded(&self) -> bool {
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

    /// The parameter as a value in this pass: a tracked leaf when recorded, a constant
    /// otherwise. `name` is the parameter's name in its layer (`"weight"`): the leaf is labelled
    /// with its full name as in checkpoints (`"conv.0.weight"`, the running module's path plus
    /// `name`), which is what a drawing of the tape ([`Tape::to_dot`]) shows.
    pub fn parameter(&mut self, name: &str, parameter: &Parameter) -> Var {
        let Some(tape) = &self.tape else {
            return Var::constant(parameter.value.clone());
        };
        let label = match self.module_path() {
            Some(path) => format!("{path}.{name}"),
            None => name.to_string(),
        };
        let leaf = tape.parameter(parameter.value.clone(), label);
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
    pub fn backward(self, loss: &Var) -> ParameterGradients {
        assert!(
            self.is_recorded(),
            "backward: this forward pass was not recorded (made with ForwardContext::evaluation, \
             which keeps no tape); use ForwardContext::training"
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
        ParameterGradients { by_param }
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

/// The gradients of a loss, keyed by parameter (autograd's [`autograd::Gradients`] are keyed by
/// tape leaf; `ForwardContext::backward` maps one to the other).
#[derive(Default)]
pub struct ParameterGradients {
    by_param: HashMap<ParamId, Tensor>,
}

impl ParameterGradients {
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

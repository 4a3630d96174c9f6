//! One forward pass's setting: training (recorded on a tape, dropout active) or evaluation.

use crate::{ParamId, Parameter};
use autograd::{Tape, Var};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use tensor::rng::splitmix64;
use tensor::Tensor;

/// Passed down through every module's `forward`. In training it owns the tape, turns each
/// parameter into a tape leaf (remembering which leaf is which parameter), and hands out fresh
/// dropout seeds; in evaluation parameters are constants and nothing is recorded. In both it
/// knows which module is running, so that a layer given the wrong input can say where it sits.
pub struct ForwardContext {
    tape: Option<Tape>,
    leaves: Vec<(ParamId, Var)>,
    seed: u64,
    seeds_drawn: u64,
    /// The names of the modules now running, outermost first (`["fc", "0"]`): see `enter`.
    /// Shared with the `ModuleScope` guards, which take their name off when dropped.
    path: Rc<RefCell<Vec<String>>>,
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

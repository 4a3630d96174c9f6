//! `Var`: a tensor that may be tracked by a tape.
//!
//! A tracked `Var` knows its tape and node id, and every op on it records how to differentiate
//! itself. An untracked `Var` (made with [`Var::constant`]) records nothing: evaluation runs this
//! way, with no tape, no saved tensors and no extra memory.

use crate::tape::{GradFn, NodeKind, TapeInner};
use crate::Tape;
use std::rc::Rc;
use tensor::{Shape, Tensor};

#[derive(Clone)]
pub struct Var {
    value: Tensor,
    node: Option<(Rc<TapeInner>, usize)>,
}

impl Var {
    /// A value that no gradient flows into (inputs, labels, evaluation).
    pub fn constant(value: Tensor) -> Self {
        Var { value, node: None }
    }

    pub(crate) fn tracked(value: Tensor, tape: Rc<TapeInner>, id: usize) -> Self {
        Var {
            value,
            node: Some((tape, id)),
        }
    }

    pub(crate) fn node(&self) -> Option<(Rc<TapeInner>, usize)> {
        self.node.clone()
    }

    pub fn value(&self) -> &Tensor {
        &self.value
    }

    pub fn into_value(self) -> Tensor {
        self.value
    }

    /// The same tape node with its value replaced by `f(value)`, of the same shape: for fused
    /// ops whose intermediate tape node is never materialised (see `bias_relu`).
    pub(crate) fn map_value(self, f: impl FnOnce(Tensor) -> Tensor) -> Var {
        let Var { value, node } = self;
        let shape = value.shape().clone();
        let value = f(value);
        debug_assert_eq!(value.shape(), &shape);
        Var { value, node }
    }

    pub fn shape(&self) -> &Shape {
        self.value.shape()
    }

    pub fn dims(&self) -> &[usize] {
        self.value.dims()
    }

    /// Whether ops on this value are being recorded.
    pub fn is_tracked(&self) -> bool {
        self.node.is_some()
    }

    /// The tape this value is recorded on, `None` for a constant: how code that did not create
    /// the tape (a training loop's caller, given only the loss) can still read it, e.g. draw it
    /// with [`Tape::to_dot`].
    pub fn tape(&self) -> Option<Tape> {
        self.node
            .as_ref()
            .map(|(tape, _)| Tape::from_inner(Rc::clone(tape)))
    }

    /// Wraps the output of `op`: when any input is tracked, appends a node whose backward rules
    /// are the given closures (one per input, mapping the output gradient to that input's
    /// gradient). Untracked inputs' rules are dropped unused, so no gradient is computed for
    /// constants. `op` names the op in the panic when the tape's `backward` has already run, and
    /// in a drawing of the tape ([`Tape::to_dot`]), next to the output's shape.
    ///
    /// Like every op method, this is `#[track_caller]`: a panic here (inputs from two tapes, a
    /// consumed tape) or in a tensor op points at the user's line, not at autograd's.
    ///
    /// `inputs` is usually an array (`[(self, rule(...))]`); `cat` passes a `Vec`, one per part.
    #[track_caller]
    pub(crate) fn record<'a>(
        op: &'static str,
        value: Tensor,
        inputs: impl IntoIterator<Item = (&'a Var, GradFn)>,
    ) -> Var {
        let mut tape: Option<Rc<TapeInner>> = None;
        let mut rules = Vec::new();
        for (input, grad_fn) in inputs {
            let Some((input_tape, id)) = &input.node else {
                continue;
            };
            match &tape {
                Some(t) => assert!(
                    Rc::ptr_eq(t, input_tape),
                    "{op}: an op mixes Vars from two different tapes"
                ),
                None => tape = Some(Rc::clone(input_tape)),
            }
            rules.push((*id, grad_fn));
        }
        match tape {
            Some(tape) => {
                let id = tape.push(NodeKind::Op(op), value.shape(), rules);
                Var::tracked(value, tape, id)
            }
            None => Var::constant(value),
        }
    }
}

/// Boxes a backward rule; keeps each op's definition short.
pub(crate) fn rule(f: impl Fn(&Tensor) -> Tensor + 'static) -> GradFn {
    Box::new(move |g| f(&g))
}

/// Boxes a backward rule that takes the gradient's handle, so that it can pass it on as it is
/// or write over its buffer (see [`GradFn`]).
pub(crate) fn rule_owning(f: impl Fn(Tensor) -> Tensor + 'static) -> GradFn {
    Box::new(f)
}

impl std::fmt::Debug for Var {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Var({:?}, tracked: {})", self.value, self.is_tracked())
    }
}

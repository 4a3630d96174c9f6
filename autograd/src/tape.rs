//! The tape: a record of every differentiable op run during a forward pass, in order.
//!
//! Each op appends a [`Node`] holding, for each tracked input, the input's node id and a
//! closure that turns the output's gradient into that input's gradient (the chain rule for
//! one op). [`backward`] walks the nodes once in reverse, so every node's gradient is
//! complete before it is passed on to its inputs.
//!
//! Each node also remembers what it is (the op's name, or a leaf's label) and its value's shape:
//! nothing a gradient needs, but what [`Tape::to_dot`] draws (see `graph.rs`).

use crate::Var;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use tensor::{Shape, Tensor};

/// Maps the gradient of an op's output to the gradient of one of its inputs. It receives the
/// gradient as a tensor of its own (a handle; the last rule of a node gets the node's gradient
/// itself), so a rule may write its result over the gradient's buffer when nothing else holds it.
pub type GradFn = Box<dyn Fn(Tensor) -> Tensor>;

/// One recorded value: a leaf (no inputs) or an op's output with a rule per tracked input.
pub(crate) struct Node {
    pub(crate) inputs: Vec<(usize, GradFn)>,
    pub(crate) kind: NodeKind,
    /// The shape of the recorded value (a `Shape`, not the value: drawing the graph must not
    /// keep activations alive).
    pub(crate) shape: Shape,
}

/// What a node records, as a drawing of the tape names it.
pub(crate) enum NodeKind {
    /// A leaf made by [`Tape::leaf`]: a tracked input.
    Leaf,
    /// A leaf made by [`Tape::parameter`], with its label (`"conv.0"`, `"hidden.weight"`).
    Parameter(String),
    /// The output of the op of this name (`"conv2d"`).
    Op(&'static str),
}

impl NodeKind {
    /// The name an error message gives the node's creator.
    fn name(&self) -> &'static str {
        match self {
            NodeKind::Leaf => "leaf",
            NodeKind::Parameter(_) => "parameter",
            NodeKind::Op(op) => op,
        }
    }
}

#[derive(Default)]
pub(crate) struct TapeInner {
    nodes: RefCell<Vec<Node>>,
    /// Set once `backward` has consumed the nodes (and freed what they saved).
    consumed: std::cell::Cell<bool>,
}

impl TapeInner {
    /// Appends a node: a leaf, or an op's output with its `inputs`' rules; returns its id.
    /// `#[track_caller]` (as is every op that records) so that recording after `backward` is
    /// reported at the line of the user's op.
    #[track_caller]
    pub(crate) fn push(
        &self,
        kind: NodeKind,
        shape: &Shape,
        inputs: Vec<(usize, GradFn)>,
    ) -> usize {
        assert!(
            !self.consumed.get(),
            "{}: this tape's backward() has already run; record a new forward pass on a new Tape",
            kind.name()
        );
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node {
            inputs,
            kind,
            shape: shape.clone(),
        });
        nodes.len() - 1
    }

    /// The recorded nodes, for reading (`backward` empties them; see `consumed`).
    pub(crate) fn nodes(&self) -> std::cell::Ref<'_, Vec<Node>> {
        self.nodes.borrow()
    }

    pub(crate) fn is_consumed(&self) -> bool {
        self.consumed.get()
    }
}

/// Records a forward pass. Create one per training step; dropping it frees every saved tensor.
#[derive(Clone, Default)]
pub struct Tape {
    inner: Rc<TapeInner>,
}

impl Tape {
    pub fn new() -> Self {
        Tape::default()
    }

    /// A tracked input: `backward` will report its gradient.
    #[track_caller]
    pub fn leaf(&self, value: Tensor) -> Var {
        self.push_leaf(NodeKind::Leaf, value)
    }

    /// A tracked input that is a trainable parameter, named by `label` (where it sits in the
    /// model: `"conv.0"`, `"hidden.weight"`). It differentiates exactly like [`Tape::leaf`]; the
    /// label is only for reading the tape ([`Tape::to_dot`] draws parameters with it).
    #[track_caller]
    pub fn parameter(&self, value: Tensor, label: impl Into<String>) -> Var {
        self.push_leaf(NodeKind::Parameter(label.into()), value)
    }

    #[track_caller]
    fn push_leaf(&self, kind: NodeKind, value: Tensor) -> Var {
        let id = self.inner.push(kind, value.shape(), Vec::new());
        Var::tracked(value, Rc::clone(&self.inner), id)
    }

    /// The tape a tracked value was recorded on (see [`Var::tape`]).
    pub(crate) fn from_inner(inner: Rc<TapeInner>) -> Self {
        Tape { inner }
    }

    pub(crate) fn inner(&self) -> &TapeInner {
        &self.inner
    }

    /// Number of recorded nodes (leaves and op outputs).
    pub fn len(&self) -> usize {
        self.inner.nodes.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Reverse-mode differentiation of the scalar `loss` with respect to every leaf of its tape.
///
/// Consumes the tape's nodes (like PyTorch without `retain_graph`): the saved activations are
/// freed as the walk passes them, so memory peaks at the forward pass, not after it.
#[track_caller]
pub fn backward(loss: &Var) -> Gradients {
    let Some((tape, loss_id)) = loss.node() else {
        panic!("backward: the loss was computed without a tape (no input came from Tape::leaf)");
    };
    assert_eq!(
        loss.value().numel(),
        1,
        "backward: the loss must be a scalar, not shape {}",
        loss.value().shape()
    );
    assert!(
        !tape.consumed.replace(true),
        "backward: this tape's backward() has already run"
    );
    let nodes = std::mem::take(&mut *tape.nodes.borrow_mut());

    let mut grads: Vec<Option<Tensor>> = vec![None; nodes.len()];
    grads[loss_id] = Some(loss.value().ones_like());
    let mut leaves = HashMap::new();
    for (id, node) in nodes.into_iter().enumerate().take(loss_id + 1).rev() {
        let Some(grad) = grads[id].take() else {
            continue; // the loss does not depend on this node
        };
        if node.inputs.is_empty() {
            leaves.insert(id, grad);
            continue;
        }
        let mut grad = Some(grad);
        let last = node.inputs.len() - 1;
        for (k, (input, grad_fn)) in node.inputs.iter().enumerate() {
            // The last rule gets the gradient itself, the others a handle on it (a clone of a
            // tensor shares its buffer): a rule that can work in place then does so only when
            // no other rule still needs the gradient.
            let handed = if k == last { grad.take() } else { grad.clone() };
            let contribution = grad_fn(handed.expect("the gradient is handed on once"));
            grads[*input] = Some(match grads[*input].take() {
                Some(sum) => sum.add(&contribution),
                None => contribution,
            });
        }
        // `node` drops here, and with it the tensors its closures saved.
    }
    Gradients { leaves }
}

/// The gradients of a loss with respect to the leaves of its tape.
pub struct Gradients {
    leaves: HashMap<usize, Tensor>,
}

impl Gradients {
    /// The gradient for `leaf`, or `None` when the loss does not depend on it.
    #[track_caller]
    pub fn get(&self, leaf: &Var) -> Option<&Tensor> {
        let (_, id) = leaf
            .node()
            .expect("Gradients::get: this Var is not tracked by a tape");
        self.leaves.get(&id)
    }

    /// The gradient for `leaf`, or zeros of its shape when the loss does not depend on it.
    #[track_caller]
    pub fn get_or_zeros(&self, leaf: &Var) -> Tensor {
        self.get(leaf)
            .cloned()
            .unwrap_or_else(|| leaf.value().zeros_like())
    }
}

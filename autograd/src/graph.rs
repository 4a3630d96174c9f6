//! Seeing the tape: the recorded graph of a forward pass, written for Graphviz.
//!
//! Every node of the tape becomes a node of the picture: an op's output shows the op's name and
//! the output's shape (`conv2d` over `[32, 96, 54, 54]`), a parameter shows its label and shape
//! in a filled box, any other leaf a dashed box. Edges run from each op's inputs to the op, in
//! the direction the forward pass ran (the backward walk follows them the other way).
//!
//! Only what was recorded is drawn. Constants — the input images, the labels, anything made
//! with `Var::constant` — are not on the tape (no gradient flows into them), so the first
//! convolution of a network shows only its weight and bias as inputs.
//!
//! ```text
//! cargo run --release --example two_moons -- --graph g.dot && dot -Tsvg g.dot -o g.svg
//! ```

use crate::tape::{Node, NodeKind};
use crate::Tape;
use std::fmt::Write;

impl Tape {
    /// The graph recorded so far, in Graphviz's `dot` language (`dot -Tsvg graph.dot -o
    /// graph.svg` draws it).
    ///
    /// Call it after the forward pass and before [`backward`](crate::backward): `backward`
    /// consumes the nodes (that is how it frees the saved activations as it goes), so there is
    /// nothing left to draw afterwards, and asking then panics.
    #[track_caller]
    pub fn to_dot(&self) -> String {
        let inner = self.inner();
        assert!(
            !inner.is_consumed(),
            "to_dot: this tape's backward() has already run and freed its nodes; \
             call to_dot after the forward pass, before backward"
        );
        let nodes = inner.nodes();
        let mut dot = String::from(
            "// The tape of one forward pass, written by rustgrad's Tape::to_dot.\n\
             // Draw it with: dot -Tsvg FILE.dot -o FILE.svg\n\
             digraph tape {\n  \
             node [fontname=\"Helvetica\", fontsize=10];\n  \
             edge [arrowsize=0.6];\n",
        );
        for (id, node) in nodes.iter().enumerate() {
            writeln!(dot, "  n{id} [{}];", attributes(node)).expect("writing to a String");
        }
        for (id, node) in nodes.iter().enumerate() {
            for (input, _) in &node.inputs {
                writeln!(dot, "  n{input} -> n{id};").expect("writing to a String");
            }
        }
        dot.push_str("}\n");
        dot
    }
}

/// The label and style of one node: `label="relu\n[2, 32]", shape=ellipse`.
fn attributes(node: &Node) -> String {
    let (name, style) = match &node.kind {
        NodeKind::Op(op) => (op.to_string(), "shape=ellipse"),
        NodeKind::Parameter(label) => (
            label.clone(),
            "shape=box, style=filled, fillcolor=\"#dbe9f6\"",
        ),
        NodeKind::Leaf => ("leaf".to_string(), "shape=box, style=\"rounded,dashed\""),
    };
    // `\n` is dot's own line break inside a label.
    format!(
        "label=\"{}\\n{}\", {style}",
        escape(&name),
        escape(&node.shape.to_string())
    )
}

/// Makes `text` safe inside a double-quoted dot string: a label may contain any character.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

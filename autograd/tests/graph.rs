//! Drawing the tape: `Tape::to_dot` lists every recorded value with its op (or label) and shape,
//! and an edge from each op's inputs to the op.

use autograd::{backward, Tape, Var};
use tensor::{Indices, Tensor};

/// A one-layer classifier's forward pass: `cross_entropy(x · Wᵀ + b)` with a constant `x`.
fn tiny_graph() -> (Tape, Var) {
    let tape = Tape::new();
    let weight = tape.parameter(Tensor::zeros([3, 4]), "fc.weight");
    let bias = tape.parameter(Tensor::zeros([3]), "fc.bias");
    let x = Var::constant(Tensor::ones([2, 4]));
    let logits = x.matmul_t(&weight, false, true).add(&bias);
    let loss = logits.cross_entropy(&Indices::from_vec(vec![0, 2], [2]));
    (tape, loss)
}

/// The `label="…"` of node `n{id}` in `dot`.
fn label_of(dot: &str, id: usize) -> &str {
    let start = format!("  n{id} [label=\"");
    let line = dot
        .lines()
        .find(|l| l.starts_with(&start))
        .unwrap_or_else(|| panic!("no node n{id} in\n{dot}"));
    let rest = &line[start.len()..];
    &rest[..rest.find("\", ").expect("the label's closing quote")]
}

#[test]
fn every_recorded_value_is_drawn_with_its_op_and_shape() {
    let (tape, _loss) = tiny_graph();
    let dot = tape.to_dot();
    assert_eq!(label_of(&dot, 0), r"fc.weight\n[3, 4]");
    assert_eq!(label_of(&dot, 1), r"fc.bias\n[3]");
    assert_eq!(label_of(&dot, 2), r"matmul\n[2, 3]");
    assert_eq!(label_of(&dot, 3), r"add\n[2, 3]");
    assert_eq!(label_of(&dot, 4), r"cross_entropy\n[]");
    assert_eq!(dot.matches(" [label=").count(), tape.len());
    // The constant input x is not on the tape, so it is not drawn.
    assert!(!dot.contains("[2, 4]"), "{dot}");
}

#[test]
fn edges_run_from_inputs_to_ops_in_forward_order() {
    let (tape, _loss) = tiny_graph();
    let dot = tape.to_dot();
    let mut edges: Vec<&str> = dot
        .lines()
        .filter(|l| l.contains("->"))
        .map(str::trim)
        .collect();
    edges.sort_unstable();
    assert_eq!(edges, ["n0 -> n2;", "n1 -> n3;", "n2 -> n3;", "n3 -> n4;"]);
}

#[test]
fn parameters_ops_and_other_leaves_are_drawn_differently() {
    let tape = Tape::new();
    let w = tape.parameter(Tensor::ones([2]), "w");
    let x = tape.leaf(Tensor::ones([2]));
    let _y = w.mul(&x);
    let dot = tape.to_dot();
    let line = |id: usize| {
        dot.lines()
            .find(|l| l.starts_with(&format!("  n{id} [")))
            .unwrap()
    };
    assert!(line(0).contains("shape=box, style=filled"), "{dot}");
    assert!(line(1).contains(r#"label="leaf\n[2]", shape=box, style="rounded,dashed""#));
    assert!(line(2).contains("shape=ellipse"), "{dot}");
}

#[test]
fn the_text_is_one_balanced_digraph() {
    let (tape, _loss) = tiny_graph();
    let dot = tape.to_dot();
    let code: String = dot.lines().filter(|l| !l.starts_with("//")).collect();
    assert!(code.starts_with("digraph tape {"), "{dot}");
    assert!(dot.ends_with("}\n"));
    let mut depth = 0i32;
    for c in code.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        assert!(depth >= 0, "a '}}' closes nothing in\n{dot}");
    }
    assert_eq!(depth, 0, "unbalanced braces in\n{dot}");
    assert_eq!(
        dot.matches('"').count() % 2,
        0,
        "an unclosed string in\n{dot}"
    );
}

#[test]
fn labels_are_escaped() {
    let tape = Tape::new();
    tape.parameter(Tensor::ones([1]), r#"a "quoted" \ label"#);
    assert!(tape
        .to_dot()
        .contains(r#"label="a \"quoted\" \\ label\n[1]""#));
}

#[test]
fn a_tape_of_a_var_is_the_tape_it_was_recorded_on() {
    let (tape, loss) = tiny_graph();
    assert_eq!(loss.tape().expect("a tracked loss").to_dot(), tape.to_dot());
    assert!(Var::constant(Tensor::ones([1])).tape().is_none());
}

#[test]
fn parameters_differentiate_like_leaves() {
    let tape = Tape::new();
    let w = tape.parameter(Tensor::from_vec(vec![1.0, 2.0], [2]), "w");
    let grads = backward(&w.mul(&w).sum());
    assert_eq!(grads.get(&w).unwrap().to_vec(), vec![2.0, 4.0]);
}

#[test]
#[should_panic(expected = "to_dot: this tape's backward() has already run")]
fn drawing_after_backward_is_refused() {
    let (tape, loss) = tiny_graph();
    backward(&loss);
    tape.to_dot();
}

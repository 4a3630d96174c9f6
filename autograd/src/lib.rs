//! # autograd
//!
//! Tape-based reverse-mode automatic differentiation over [`tensor::Tensor`].
//!
//! ```
//! use autograd::{backward, Tape, Var};
//! use tensor::Tensor;
//!
//! let tape = Tape::new();
//! let w = tape.leaf(Tensor::from_vec(vec![2.0, -1.0], [2]));
//! let x = Var::constant(Tensor::from_vec(vec![3.0, 4.0], [2]));
//! let loss = w.mul(&x).sum(); // 2·3 − 1·4 = 2
//! let grads = backward(&loss);
//! assert_eq!(grads.get(&w).unwrap().to_vec(), vec![3.0, 4.0]); // d(w·x)/dw = x
//! ```
//!
//! Reading order: `tape.rs` (recording and the backward walk) → `var.rs` → `ops/`, where each
//! op's forward and its derivative stand side by side; `graph.rs` draws a recorded tape
//! ([`Tape::to_dot`]).

mod graph;
mod ops;
mod tape;
mod var;

pub use tape::{backward, GradFn, Gradients, Tape};
pub use tensor;
pub use var::Var;

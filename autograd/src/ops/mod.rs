//! Differentiable ops on [`Var`](crate::Var). Each method computes the forward value with a
//! tensor op and, right beside it, records the backward rule for each input: the derivative a
//! reader would write on paper, applied to the output gradient `g`.

mod conv;
mod elementwise;
mod layout;
mod matmul;
mod pool;
mod reduce;
mod softmax;

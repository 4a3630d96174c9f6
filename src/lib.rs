pub use autograd;
pub use nn;
pub use tensor;

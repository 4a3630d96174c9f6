pub use tensor;

//! The layers of a convolutional network, one per file.

mod conv2d;
mod dropout;
mod flatten;
mod linear;
mod max_pool2d;
mod relu;
mod sequential;

pub use conv2d::Conv2d;
pub use dropout::Dropout;
pub use flatten::Flatten;
pub use linear::Linear;
pub use max_pool2d::MaxPool2d;
pub use relu::ReLU;
pub use sequential::Sequential;

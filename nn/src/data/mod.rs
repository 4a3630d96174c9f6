//! Data: the IDX file format, the Fashion-MNIST dataset, and batches ready for a model.

mod batches;
mod fashion_mnist;
mod idx;

pub use batches::{batch_order, DeviceSplit, ImageBatch};
pub use fashion_mnist::{FashionMnist, Split, CLASS_NAMES, DEFAULT_DIR, DIR_VARIABLE};
pub use idx::{parse_idx, read_idx, IdxArray};

//! Fashion-MNIST (Zalando): 60 000 training and 10 000 test images of clothing, 28x28 grey,
//! in 10 classes. Debian ships it as the package `dataset-fashion-mnist`.

use super::idx::read_idx;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Where Debian's package puts the files.
pub const DEFAULT_DIR: &str = "/usr/share/datasets/fashion-mnist";
/// Environment variable naming another folder.
pub const DIR_VARIABLE: &str = "FASHION_MNIST_DIR";

pub const CLASS_NAMES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// One split: `len` images of `rows × cols` bytes each, and their labels.
#[derive(Clone, Debug)]
pub struct Split {
    pub images: Vec<u8>,
    pub labels: Vec<u8>,
    pub rows: usize,
    pub cols: usize,
}

impl Split {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Keeps the first `n` examples (file order); all of them when `n` is larger.
    pub fn truncate(&mut self, n: usize) {
        let n = n.min(self.len());
        self.labels.truncate(n);
        self.images.truncate(n * self.rows * self.cols);
    }

    pub fn image(&self, index: usize) -> &[u8] {
        let size = self.rows * self.cols;
        &self.images[index * size..(index + 1) * size]
    }
}

pub struct FashionMnist {
    pub train: Split,
    pub test: Split,
}

impl FashionMnist {
    /// The folder to read: `dir` if given, else `$FASHION_MNIST_DIR`, else [`DEFAULT_DIR`].
    pub fn resolve_dir(dir: Option<&Path>) -> PathBuf {
        match dir {
            Some(dir) => dir.to_path_buf(),
            None => std::env::var_os(DIR_VARIABLE)
                .map_or_else(|| PathBuf::from(DEFAULT_DIR), PathBuf::from),
        }
    }

    /// Loads both splits from [`resolve_dir`](Self::resolve_dir)`(dir)`.
    pub fn load(dir: Option<&Path>) -> Result<Self> {
        let dir = Self::resolve_dir(dir);
        Ok(FashionMnist {
            train: load_split(&dir, "train")?,
            test: load_split(&dir, "t10k")?,
        })
    }
}

/// Reads `<prefix>-images-idx3-ubyte[.gz]` and `<prefix>-labels-idx1-ubyte[.gz]` and checks that
/// they belong together.
fn load_split(dir: &Path, prefix: &str) -> Result<Split> {
    let images_path = find(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels_path = find(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let images = read_idx(&images_path)?;
    let labels = read_idx(&labels_path)?;
    let [count, rows, cols] = images.dims[..] else {
        return Err(corrupt(
            &images_path,
            format!("images must have 3 dimensions, found {:?}", images.dims),
        ));
    };
    if rows == 0 || cols == 0 {
        return Err(corrupt(
            &images_path,
            format!(
                "images of {rows}x{cols} pixels: an image needs at least one row and one column"
            ),
        ));
    }
    let [label_count] = labels.dims[..] else {
        return Err(corrupt(
            &labels_path,
            format!("labels must have 1 dimension, found {:?}", labels.dims),
        ));
    };
    if label_count != count {
        return Err(corrupt(
            &labels_path,
            format!(
                "{label_count} labels for {count} images in {}",
                images_path.display()
            ),
        ));
    }
    if let Some((example, bad)) = labels
        .values
        .iter()
        .enumerate()
        .find(|(_, &label)| label as usize >= CLASS_NAMES.len())
    {
        return Err(corrupt(
            &labels_path,
            format!(
                "label {bad} is not one of the {} classes (example {example})",
                CLASS_NAMES.len()
            ),
        ));
    }
    Ok(Split {
        images: images.values,
        labels: labels.values,
        rows,
        cols,
    })
}

/// The gzipped file if present, else the plain one.
fn find(dir: &Path, name: &str) -> Result<PathBuf> {
    let gz = dir.join(format!("{name}.gz"));
    let plain = dir.join(name);
    [gz, plain]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| Error::DatasetMissing {
            dir: dir.to_path_buf(),
            file: name.to_string(),
        })
}

fn corrupt(path: &Path, problem: String) -> Error {
    Error::CorruptDataset {
        path: path.to_path_buf(),
        problem,
    }
}

//! Errors of the fallible parts of nn: reading datasets and checkpoints. Each message says what
//! happened, to which file, and what to do about it.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// Reading or writing a file failed.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A dataset file exists but is not what it should be (bad magic, truncated, ...).
    CorruptDataset { path: PathBuf, problem: String },
    /// The dataset's files are not where we looked.
    DatasetMissing { dir: PathBuf, file: String },
    /// A checkpoint file is not valid safetensors, or holds a type we cannot read.
    CorruptCheckpoint { path: PathBuf, problem: String },
    /// A checkpoint does not match the model: names missing or unexpected, shapes different.
    CheckpointMismatch {
        path: PathBuf,
        problems: Vec<String>,
    },
    /// Training diverged: the loss stopped being a finite number. `broken_parameter` names a
    /// parameter that already held NaN or infinity before the step (then the cause is the
    /// weights, not the learning rate).
    NonFiniteLoss {
        epoch: usize,
        step: usize,
        loss: f32,
        broken_parameter: Option<String>,
    },
    /// An output file cannot or must not be written (checked before any work starts).
    OutputRefused { path: PathBuf, why: String },
    /// The GPU ran out of memory during a step.
    OutOfMemory { batch_size: usize, detail: String },
    /// A device could not be used.
    Device(tensor::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            // Reinstalling Debian's package repairs only Debian's files: a file in a folder of the
            // user's own (--data-dir, FASHION_MNIST_DIR) is theirs to replace.
            Error::CorruptDataset { path, problem } => {
                write!(f, "{}: {problem}. The file is damaged; ", path.display())?;
                if path.parent() == Some(std::path::Path::new(crate::data::DEFAULT_DIR)) {
                    write!(
                        f,
                        "reinstall the dataset (apt-get install --reinstall dataset-fashion-mnist)"
                    )
                } else {
                    write!(f, "replace it with an intact copy")
                }
            }
            Error::DatasetMissing { dir, file } => {
                write!(
                    f,
                    "Fashion-MNIST not found: {} has no {file}(.gz). ",
                    dir.display()
                )?;
                if dir == std::path::Path::new(crate::data::DEFAULT_DIR) {
                    write!(
                        f,
                        "Install it with `apt-get install -y dataset-fashion-mnist`, or point \
                         --data-dir / FASHION_MNIST_DIR at a folder with the four IDX files"
                    )
                } else {
                    write!(
                        f,
                        "Put the four IDX files there (train-images-idx3-ubyte, \
                         train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, \
                         each gzipped or not), or install Debian's copy with \
                         `apt-get install -y dataset-fashion-mnist` and leave out --data-dir / \
                         FASHION_MNIST_DIR to use it"
                    )
                }
            }
            Error::CorruptCheckpoint { path, problem } => {
                write!(f, "{}: not a usable safetensors checkpoint: {problem}", path.display())
            }
            Error::CheckpointMismatch { path, problems } => write!(
                f,
                "{} does not fit this model:\n  {}",
                path.display(),
                problems.join("\n  ")
            ),
            Error::NonFiniteLoss {
                epoch,
                step,
                loss,
                broken_parameter: None,
            } => write!(
                f,
                "training stopped: the loss became {loss} at epoch {epoch}, step {step}, with every \
                 weight still finite before the step. Try a lower learning rate (--lr)"
            ),
            Error::NonFiniteLoss {
                epoch,
                step,
                loss,
                broken_parameter: Some(name),
            } => write!(
                f,
                "training stopped: the loss became {loss} at epoch {epoch}, step {step} because the \
                 weights were already broken: {name} holds NaN or infinity. Start again from a fresh \
                 initialisation or a sound checkpoint"
            ),
            Error::OutputRefused { path, why } => write!(f, "{}: {why}", path.display()),
            Error::OutOfMemory { batch_size, detail } => write!(
                f,
                "the GPU ran out of memory at batch size {batch_size}; try --batch-size {} ({detail})",
                (batch_size / 2).max(1)
            ),
            Error::Device(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Device(error) => Some(error),
            _ => None,
        }
    }
}

impl From<tensor::Error> for Error {
    fn from(error: tensor::Error) -> Self {
        Error::Device(error)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Attaches the path to an I/O error.
pub(crate) fn io_error(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}

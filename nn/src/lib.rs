//! # nn
//!
//! Neural-network building blocks on top of [`autograd`]: the [`Module`] trait and layers,
//! PyTorch's default initialisation, the cross-entropy loss, the SGD and Adam optimizers,
//! Fashion-MNIST loading, safetensors checkpoints, and whole models (an MLP, AlexNet and the
//! CNNs of *Dive into Deep Learning*: LeNet, VGG, NiN, GoogLeNet, LeNet with batch norm, ResNet-18,
//! DenseNet).
//!
//! A training step:
//! ```no_run
//! # use nn::{ForwardContext, Module, models::Mlp, optim::{Adam, Optimizer}};
//! # use autograd::Var;
//! # let mut rng = tensor::Rng::new(0);
//! # let images = tensor::Tensor::zeros([8, 1, 28, 28]);
//! # let labels = tensor::Indices::from_vec(vec![0; 8], [8]);
//! let mut model = Mlp::new(&[784, 256, 10], &mut rng);
//! let mut optimizer = Adam::new(1e-3);
//! let mut ctx = ForwardContext::training(/* dropout seed */ 1);
//! let logits = model.forward(&Var::constant(images), &mut ctx);
//! let loss = nn::loss::cross_entropy(&logits, &labels);
//! let gradients = ctx.backward(&loss);
//! optimizer.step(model.parameters_mut(), &gradients);
//! ```

mod buffer;
pub mod checkpoint;
mod context;
pub mod data;
mod error;
pub mod init;
pub mod layers;
pub mod loss;
pub mod models;
mod module;
pub mod optim;
pub mod output_file;
mod parameter;
pub mod summary;
pub mod training;
pub mod training_state;

pub use autograd;
pub use buffer::{Buffer, StoredAs};
pub use context::{ForwardContext, Mode, ModuleScope, ParameterGradients};
pub use error::{Error, Result};
pub use module::{prefixed, Module};
pub use parameter::{ParamId, Parameter};
pub use tensor;

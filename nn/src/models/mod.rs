//! Whole models, defined exactly as their PyTorch counterparts so checkpoints move between them:
//! the MLP, the classic AlexNet, and the CNNs of "Dive into Deep Learning" (chapters 7 and 8)
//! for 1-channel Fashion-MNIST images, with the book's parameter and buffer names.
//!
//! [`NAMES`], [`recipe`] and [`build`] list them by command-line name, with the book's training
//! recipe for each.

mod alexnet;
mod bn_lenet;
mod container;
mod densenet;
mod googlenet;
mod lenet;
mod mlp;
mod nin;
mod resnet;
mod vgg;

pub use alexnet::AlexNet;
pub use bn_lenet::BnLeNet;
pub use container::NamedSequential;
pub use densenet::{DenseBlock, DenseNet};
pub use googlenet::{GoogLeNet, Inception};
pub use lenet::LeNet;
pub use mlp::Mlp;
pub use nin::NiN;
pub use resnet::{ResNet, Residual, RESNET18};
pub use vgg::{Vgg, SMALL_VGG11};

use crate::Module;
use tensor::Rng;

/// Fashion-MNIST's ten classes: every model here ends in ten scores.
const CLASSES: usize = 10;

/// The models of the book's CNN chapter by command-line name.
pub const NAMES: [&str; 8] = [
    "lenet",
    "alexnet",
    "vgg",
    "nin",
    "googlenet",
    "bn-lenet",
    "resnet18",
    "densenet",
];

/// The book's recipe for a model: input side, batch size, SGD learning rate, epochs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recipe {
    pub image_size: usize,
    pub batch_size: usize,
    pub learning_rate: f32,
    pub epochs: usize,
}

/// How the book trains the model `name` (one of [`NAMES`]): Fashion-MNIST resized to
/// `image_size`, plain SGD (no momentum, no weight decay) at `learning_rate`, batches of 128,
/// 10 epochs. `None` for an unknown name.
pub fn recipe(name: &str) -> Option<Recipe> {
    let (image_size, learning_rate) = match name {
        "lenet" | "bn-lenet" => (28, 0.1),
        "alexnet" | "vgg" => (224, 0.01),
        "nin" => (224, 0.05),
        "googlenet" | "resnet18" | "densenet" => (96, 0.01),
        _ => return None,
    };
    Some(Recipe {
        image_size,
        batch_size: 128,
        learning_rate,
        epochs: 10,
    })
}

/// A freshly initialised model `name` (one of [`NAMES`]), initialised as the book trains it
/// (Xavier-uniform weights for all but AlexNet and DenseNet, which keep PyTorch's defaults);
/// `None` for an unknown name.
pub fn build(name: &str, rng: &mut Rng) -> Option<Box<dyn Module>> {
    let model: Box<dyn Module> = match name {
        "lenet" => Box::new(LeNet::new(rng)),
        "alexnet" => Box::new(AlexNet::new(rng)),
        "vgg" => Box::new(Vgg::new(&SMALL_VGG11, rng)),
        "nin" => Box::new(NiN::new(rng)),
        "googlenet" => Box::new(GoogLeNet::new(rng)),
        "bn-lenet" => Box::new(BnLeNet::new(rng)),
        "resnet18" => Box::new(ResNet::resnet18(rng)),
        "densenet" => Box::new(DenseNet::new(rng)),
        _ => return None,
    };
    Some(model)
}

/// The `Module` impl of a model that keeps all its layers in one field `net`, as the book's
/// `d2l.Classifier` models (and the MLP) do: `wraps_net!(LeNet)` writes
///
/// ```text
/// impl Module for LeNet {
///     fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
///         let _net = ctx.enter("net"); // layers report themselves as `net.3`, …
///         self.net.forward(input, ctx)
///     }
///     fn parameters(&self) -> Vec<(String, &Parameter)> {
///         prefixed("net", self.net.parameters()) // `net.0.weight`, as in PyTorch
///     }
///     // parameters_mut and buffers likewise
/// }
/// ```
macro_rules! wraps_net {
    ($model:ident) => {
        impl $crate::Module for $model {
            fn forward(
                &self,
                input: &autograd::Var,
                ctx: &mut $crate::ForwardContext,
            ) -> autograd::Var {
                let _net = ctx.enter("net");
                self.net.forward(input, ctx)
            }

            fn parameters(&self) -> Vec<(String, &$crate::Parameter)> {
                $crate::prefixed("net", self.net.parameters())
            }

            fn parameters_mut(&mut self) -> Vec<(String, &mut $crate::Parameter)> {
                $crate::prefixed("net", self.net.parameters_mut())
            }

            fn buffers(&self) -> Vec<(String, &$crate::Buffer)> {
                $crate::prefixed("net", self.net.buffers())
            }
        }
    };
}
use wraps_net;

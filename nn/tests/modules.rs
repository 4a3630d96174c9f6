//! Layers, initialisation and the forward context.

use autograd::{backward, Tape, Var};
use nn::layers::{AvgPool2d, Conv2d, Dropout, Linear, MaxPool2d, ReLU, Sequential};
use nn::{init, ForwardContext, Module};
use tensor::{Rng, Tensor};

#[test]
fn linear_computes_x_times_w_transposed_plus_b() {
    let mut layer = Linear::new(3, 2, &mut Rng::new(0));
    layer.weight.value = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
    layer.bias.value = Tensor::from_vec(vec![0.5, -0.5], [2]);
    let x = Var::constant(Tensor::from_vec(vec![1.0, 0.0, -1.0], [1, 3]));
    let y = layer.forward(&x, &mut ForwardContext::evaluation());
    assert_eq!(y.value().to_vec(), vec![1.0 - 3.0 + 0.5, 4.0 - 6.0 - 0.5]);
}

#[test]
fn gradients_reach_the_parameters_by_identity() {
    let layer = Linear::new(3, 2, &mut Rng::new(0));
    let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, -1.0, 0.0, 1.0], [2, 3]);
    let mut ctx = ForwardContext::training(0);
    let loss = layer.forward(&Var::constant(x.clone()), &mut ctx).sum();
    let gradients = ctx.backward(&loss);
    // d(Σ x·Wᵀ + b)/dW[o, i] = Σ_n x[n, i]; d/db[o] = N.
    assert_eq!(
        gradients.get(&layer.weight).unwrap().to_vec(),
        vec![0.0, 2.0, 4.0, 0.0, 2.0, 4.0]
    );
    assert_eq!(gradients.get(&layer.bias).unwrap().to_vec(), vec![2.0, 2.0]);
    assert_eq!(gradients.len(), 2);
}

#[test]
fn a_parameter_used_twice_gets_both_gradients() {
    struct Twice(Linear);
    impl Module for Twice {
        fn forward(&self, x: &Var, ctx: &mut ForwardContext) -> Var {
            let once = self.0.forward(x, ctx);
            self.0.forward(&once, ctx)
        }
    }
    let mut layer = Linear::new(1, 1, &mut Rng::new(0));
    layer.weight.value = Tensor::from_vec(vec![3.0], [1, 1]);
    layer.bias.value = Tensor::zeros([1]);
    let model = Twice(layer);
    let mut ctx = ForwardContext::training(0);
    let y = model.forward(
        &Var::constant(Tensor::from_vec(vec![2.0], [1, 1])),
        &mut ctx,
    );
    let gradients = ctx.backward(&y.sum());
    // y = w·(w·x) = w²x → dy/dw = 2wx = 12.
    assert_eq!(gradients.get(&model.0.weight).unwrap().to_vec(), vec![12.0]);
}

#[test]
fn dropout_is_the_identity_in_evaluation_and_random_in_training() {
    let layer = Dropout::new(0.5);
    let x = Var::constant(Tensor::ones([1000]));
    let y = layer.forward(&x, &mut ForwardContext::evaluation());
    assert_eq!(y.value().to_vec(), vec![1.0; 1000]);
    let mut ctx = ForwardContext::training(7);
    let first = layer.forward(&x, &mut ctx).value().to_vec();
    let second = layer.forward(&x, &mut ctx).value().to_vec();
    assert_ne!(
        first, second,
        "each dropout call in a pass draws a new mask"
    );
    let kept = first.iter().filter(|&&v| v == 2.0).count();
    assert!((430..570).contains(&kept), "kept {kept} of 1000");
    assert!(first.iter().all(|&v| v == 0.0 || v == 2.0));
}

#[test]
fn default_initialisation_has_pytorchs_bounds_and_spread() {
    let conv = Conv2d::new(16, 32, 3, 1, 1, &mut Rng::new(0));
    let bound = 1.0 / (16.0f32 * 9.0).sqrt();
    let w = conv.weight.value.to_vec();
    assert!(w.iter().all(|v| v.abs() <= bound));
    let std = (w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32).sqrt();
    assert!(
        (std - bound / 3f32.sqrt()).abs() < 0.05 * bound,
        "std {std}"
    );
    assert!(conv.bias.value.to_vec().iter().all(|v| v.abs() <= bound));
    assert_eq!(init::default_bound(25), 0.2);
}

#[test]
fn sequential_names_children_by_position() {
    let mut rng = Rng::new(0);
    let net = Sequential::new(vec![
        Box::new(Conv2d::new(1, 2, 3, 1, 0, &mut rng)),
        Box::new(ReLU),
        Box::new(MaxPool2d::new(2, 2)),
        Box::new(Conv2d::new(2, 2, 1, 1, 0, &mut rng)),
    ]);
    let names: Vec<String> = net.parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias", "3.weight", "3.bias"]);
    let y = net.forward(
        &Var::constant(Tensor::ones([1, 1, 6, 6])),
        &mut ForwardContext::evaluation(),
    );
    assert_eq!(y.dims(), &[1, 2, 2, 2]);
}

#[test]
fn fused_bias_relu_in_sequential_matches_the_layers_one_by_one() {
    let mut rng = Rng::new(3);
    let net = Sequential::new(vec![
        Box::new(Conv2d::new(2, 3, 3, 1, 1, &mut rng)),
        Box::new(ReLU),
        Box::new(nn::layers::Flatten),
        Box::new(Linear::new(3 * 5 * 5, 4, &mut rng)),
        Box::new(ReLU),
    ]);
    let x = Var::constant(Tensor::rand_uniform([2, 2, 5, 5], -1.0, 1.0, &mut rng));
    let mut fused_ctx = ForwardContext::training(0);
    let fused = net.forward(&x, &mut fused_ctx);
    let fused_grads = fused_ctx.backward(&fused.sum());
    let mut ctx = ForwardContext::training(0);
    let mut y = x.clone();
    for layer in net.layers() {
        y = layer.forward(&y, &mut ctx); // one layer at a time: no fusion
    }
    let grads = ctx.backward(&y.sum());
    assert_eq!(fused.value().to_vec(), y.value().to_vec());
    for (name, parameter) in net.parameters() {
        let (a, b) = (
            fused_grads.get(parameter).unwrap().to_vec(),
            grads.get(parameter).unwrap().to_vec(),
        );
        for (u, v) in a.iter().zip(&b) {
            assert!(
                (u - v).abs() <= 1e-5 * (1.0 + v.abs()),
                "{name}: fused {u} vs unfused {v}"
            );
        }
    }
}

#[test]
fn avg_pool2d_counts_padded_zeros_like_pytorch() {
    // A 2x2 image of ones padded to 4x4: every 2x2 window divides by 4, however many of its
    // values are padding (PyTorch's default `count_include_pad=True`).
    let pool = AvgPool2d::new(2, 1, 1);
    let tape = Tape::new();
    let x = tape.leaf(Tensor::ones([1, 1, 2, 2]));
    let y = pool.forward(&x, &mut ForwardContext::evaluation());
    assert_eq!(y.dims(), &[1, 1, 3, 3]);
    let expected = [0.25, 0.5, 0.25, 0.5, 1.0, 0.5, 0.25, 0.5, 0.25];
    assert_eq!(y.value().to_vec(), expected);
    // Each input lies under 4 windows and gets 1/4 from each.
    let grads = backward(&y.sum());
    assert_eq!(grads.get(&x).unwrap().to_vec(), vec![1.0; 4]);
}

#[test]
fn avg_pool2d_in_a_sequential_describes_itself_and_has_no_parameters() {
    let pool = AvgPool2d::new(2, 2, 0);
    assert_eq!(pool.describe(), "AvgPool2d(kernel 2, stride 2, padding 0)");
    let net = Sequential::new(vec![
        Box::new(Conv2d::new(1, 2, 3, 1, 1, &mut Rng::new(4))),
        Box::new(AvgPool2d::new(3, 2, 1)),
    ]);
    let names: Vec<String> = net.parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias"]);
    let y = net.forward(
        &Var::constant(Tensor::ones([2, 1, 7, 6])),
        &mut ForwardContext::evaluation(),
    );
    assert_eq!(y.dims(), &[2, 2, 4, 3]);
}

#[test]
#[should_panic(
    expected = "AvgPool2d(kernel 2, stride 2, padding 0): expected input [N, C, H, W], got [2, 8]"
)]
fn avg_pool2d_refuses_an_input_that_is_not_nchw() {
    let x = Var::constant(Tensor::zeros([2, 8]));
    AvgPool2d::new(2, 2, 0).forward(&x, &mut ForwardContext::evaluation());
}

//! Layers, initialisation and the forward context.

use autograd::{backward, Tape, Var};
use nn::layers::{
    AdaptiveAvgPool2d, AvgPool2d, Conv2d, Dropout, Linear, MaxPool2d, ReLU, Sequential, Sigmoid,
};
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
    // Both fusions: conv, ReLU, max-pool (the ReLU taken into the pool), then Linear + ReLU.
    let net = Sequential::new(vec![
        Box::new(Conv2d::new(2, 3, 3, 1, 1, &mut rng)),
        Box::new(ReLU),
        Box::new(MaxPool2d::with_padding(3, 2, 1)),
        Box::new(Conv2d::new(3, 3, 3, 1, 1, &mut rng)),
        Box::new(ReLU),
        Box::new(nn::layers::Flatten),
        Box::new(Linear::new(3 * 5 * 5, 4, &mut rng)),
        Box::new(ReLU),
    ]);
    let x = Var::constant(Tensor::rand_uniform([2, 2, 9, 9], -1.0, 1.0, &mut rng));
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

#[test]
fn sigmoid_is_the_logistic_function_and_describes_itself() {
    let tape = Tape::new();
    let x = tape.leaf(Tensor::from_vec(vec![0.0, 2.0, -2.0, 100.0, -100.0], [5]));
    let y = Sigmoid.forward(&x, &mut ForwardContext::evaluation());
    let expected = [0.5, 0.880_797, 0.119_203, 1.0, 0.0];
    for (v, e) in y.value().to_vec().iter().zip(expected) {
        assert!((v - e).abs() < 1e-6, "{v} vs {e}");
    }
    // σ' = σ·(1 − σ): 1/4 at 0, and vanishing (not NaN) far out.
    let grad = backward(&y.sum()).get(&x).unwrap().to_vec();
    assert_eq!(grad[0], 0.25);
    assert!((grad[1] - 0.104_994).abs() < 1e-6 && (grad[2] - 0.104_994).abs() < 1e-6);
    assert!(grad[3].abs() < 1e-30 && grad[4].abs() < 1e-30, "{grad:?}");
    assert_eq!(Sigmoid.describe(), "Sigmoid");
    assert!(Sigmoid.parameters().is_empty());
}

#[test]
fn adaptive_avg_pool2d_to_1x1_is_the_mean_of_each_channel() {
    let pool = AdaptiveAvgPool2d::new(1, 1);
    assert_eq!(pool.describe(), "AdaptiveAvgPool2d((1, 1))");
    assert_eq!(
        AdaptiveAvgPool2d::new(3, 2).describe(),
        "AdaptiveAvgPool2d((3, 2))"
    );
    // Channel 0 holds 0..15, channel 1 holds 1 everywhere.
    let mut values: Vec<f32> = (0..15).map(|v| v as f32).collect();
    values.extend([1.0; 15]);
    let tape = Tape::new();
    let x = tape.leaf(Tensor::from_vec(values, [1, 2, 3, 5]));
    let y = pool.forward(&x, &mut ForwardContext::evaluation());
    assert_eq!(y.dims(), &[1, 2, 1, 1]);
    assert_eq!(y.value().to_vec(), vec![7.0, 1.0]);
    // Every pixel has weight 1/15 in its channel's mean.
    let grad = backward(&y.sum()).get(&x).unwrap().to_vec();
    assert!(
        grad.iter().all(|&g| (g - 1.0 / 15.0).abs() < 1e-7),
        "{grad:?}"
    );
}

#[test]
fn adaptive_avg_pool2d_windows_follow_floor_and_ceil() {
    // One row of 5: to 3 outputs, windows 0..2, 1..4, 3..5 (floor(i·5/3) .. ceil((i+1)·5/3)).
    let x = Var::constant(Tensor::from_vec(
        vec![1.0, 2.0, 3.0, 4.0, 5.0],
        [1, 1, 1, 5],
    ));
    let y = AdaptiveAvgPool2d::new(1, 3).forward(&x, &mut ForwardContext::evaluation());
    assert_eq!(y.value().to_vec(), vec![1.5, 3.0, 4.5]);
}

#[test]
#[should_panic(expected = "AdaptiveAvgPool2d((1, 1)): expected input [N, C, H, W], got [2, 8]")]
fn adaptive_avg_pool2d_refuses_an_input_that_is_not_nchw() {
    let x = Var::constant(Tensor::zeros([2, 8]));
    AdaptiveAvgPool2d::new(1, 1).forward(&x, &mut ForwardContext::evaluation());
}

#[test]
fn max_pool2d_with_padding_keeps_the_size_halved_as_in_resnet() {
    // ResNet's stem pool: kernel 3, stride 2, padding 1 turns 8x8 into 4x4 (and 7x7 into 4x4);
    // padding never wins, even over negative values.
    let pool = MaxPool2d::with_padding(3, 2, 1);
    assert_eq!(pool.describe(), "MaxPool2d(kernel 3, stride 2, padding 1)");
    assert_eq!(
        MaxPool2d::new(3, 2).describe(),
        "MaxPool2d(kernel 3, stride 2, padding 0)"
    );
    let x = Var::constant(Tensor::full([1, 1, 8, 8], -1.0));
    let y = pool.forward(&x, &mut ForwardContext::evaluation());
    assert_eq!(y.dims(), &[1, 1, 4, 4]);
    assert_eq!(y.value().to_vec(), vec![-1.0; 16]);
    let x = Var::constant(Tensor::zeros([2, 3, 7, 7]));
    let y = pool.forward(&x, &mut ForwardContext::evaluation());
    assert_eq!(y.dims(), &[2, 3, 4, 4]);
}

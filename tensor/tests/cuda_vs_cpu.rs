//! Every CUDA kernel against its CPU counterpart on random inputs (odd sizes, batch 1), forward
//! and gradients. Needs a GPU (or the emulated device of tools/cuda-emulator): without one each
//! test prints `skipped: no CUDA device` and returns, or fails with `RUSTGRAD_REQUIRE_GPU=1`.
#![cfg(feature = "cuda")]

use std::slice::from_ref;
use tensor::{AdamStep, Device, Indices, SgdStep, Tensor};

mod cuda_common;
use cuda_common::{assert_close, fused_adam_step, gpu, random, same_on_both};

#[test]
fn elementwise_ops() {
    let Some(device) = gpu() else { return };
    let x = random(&[3, 7, 5], 1);
    let positive = x.mul(&x).add_scalar(0.1);
    same_on_both(device, from_ref(&x), 1e-6, "neg", |v| v[0].neg());
    same_on_both(device, from_ref(&x), 1e-6, "exp", |v| v[0].exp());
    same_on_both(device, from_ref(&positive), 1e-6, "log", |v| v[0].log());
    same_on_both(device, from_ref(&positive), 1e-6, "sqrt", |v| v[0].sqrt());
    same_on_both(device, &[positive], 1e-5, "powf", |v| v[0].powf(1.7));
    same_on_both(device, from_ref(&x), 0.0, "relu", |v| v[0].relu());
    same_on_both(device, from_ref(&x), 0.0, "step", |v| v[0].step());
    same_on_both(device, from_ref(&x), 1e-6, "sigmoid", |v| v[0].sigmoid());
    let large = Tensor::from_vec(vec![-100.0, -90.0, -30.0, 30.0, 90.0, 100.0], [6]);
    same_on_both(device, &[large], 1e-6, "sigmoid of large |x|", |v| {
        v[0].sigmoid()
    });
    same_on_both(device, from_ref(&x), 1e-6, "scalars", |v| {
        v[0].mul_scalar(3.0).add_scalar(-0.5)
    });
    for (other, what) in [
        (vec![3, 7, 5], "same shape"),
        (vec![5], "row"),
        (vec![3, 1, 5], "middle"),
        (vec![7, 1], "column"),
    ] {
        let y = random(&other, 2).add_scalar(2.5);
        same_on_both(device, &[x.clone(), y.clone()], 1e-6, what, |v| {
            let mixed_signs = v[1].add_scalar(-3.0);
            (v[0].add(&v[1]).mul(&v[1]).sub(&v[0]).div(&v[1])).keep_where_positive(&mixed_signs)
        });
    }
}

#[test]
fn layout_and_reductions() {
    let Some(device) = gpu() else { return };
    let x = random(&[2, 3, 4, 5], 3);
    same_on_both(device, from_ref(&x), 0.0, "permute", |v| {
        v[0].permute(&[3, 1, 0, 2])
    });
    for axis in 0..4 {
        same_on_both(device, from_ref(&x), 1e-5, "sum", |v| {
            v[0].sum_axis(axis, false)
        });
        same_on_both(device, from_ref(&x), 0.0, "max", |v| {
            v[0].max_axis(axis, true)
        });
        let gpu_argmax = x.to(device).unwrap().argmax_axis(axis);
        assert_eq!(
            gpu_argmax.to_vec(),
            x.argmax_axis(axis).to_vec(),
            "argmax axis {axis}"
        );
        let values = random(gpu_argmax.dims(), 4);
        same_on_both(device, &[values], 0.0, "scatter", |v| {
            let winners = if v[0].device() == Device::Cpu {
                x.argmax_axis(axis)
            } else {
                gpu_argmax.clone()
            };
            v[0].scatter_along_axis(&winners, axis, x.dims()[axis])
        });
    }
    same_on_both(device, &[x], 1e-5, "sum all", |v| v[0].sum());
}

#[test]
fn cat_and_narrow_along_every_axis() {
    let Some(device) = gpu() else { return };
    for axis in 0..4 {
        // Three parts of sizes 2, 0 and 3 along `axis`.
        let parts: Vec<Tensor> = [2, 0, 3]
            .iter()
            .enumerate()
            .map(|(p, &size)| {
                let mut dims = vec![2, 3, 4, 5];
                dims[axis] = size;
                random(&dims, 30 + p as u64)
            })
            .collect();
        same_on_both(device, &parts, 0.0, &format!("cat axis {axis}"), |v| {
            Tensor::cat(v, axis)
        });
        let x = random(&[2, 3, 4, 5], 33);
        let (start, len) = (1, x.dims()[axis] - 1);
        same_on_both(
            device,
            from_ref(&x),
            0.0,
            &format!("narrow axis {axis}"),
            |v| v[0].narrow(axis, start, len),
        );
        let g = x.narrow(axis, start, len);
        same_on_both(device, &[g], 0.0, &format!("narrow backward {axis}"), |v| {
            v[0].narrow_backward(axis, start, x.dims()[axis])
        });
    }
}

#[test]
fn matmul_with_every_flag_and_batch() {
    let Some(device) = gpu() else { return };
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let (m, k, n) = (7, 13, 5);
        let a = random(&if ta { [k, m] } else { [m, k] }, 5);
        let b = random(&if tb { [n, k] } else { [k, n] }, 6);
        same_on_both(device, &[a, b], 1e-5, "matmul", |v| {
            v[0].matmul_t(&v[1], ta, tb)
        });
    }
    same_on_both(
        device,
        &[random(&[3, 4, 6], 7), random(&[3, 6, 2], 8)],
        1e-5,
        "batched",
        |v| v[0].matmul(&v[1]),
    );
}

#[test]
fn convolution_forward_and_gradients() {
    let Some(device) = gpu() else { return };
    // TF32 on the GPU rounds operands to 10 mantissa bits, so compare with a loose tolerance.
    let cases = [
        (2, 1, 4, 27, 11, 4, 0),
        (1, 3, 5, 9, 5, 1, 2),
        (3, 8, 7, 6, 3, 1, 1),
        (1, 2, 3, 7, 3, 2, 1),
    ];
    for (batch, cin, cout, size, kernel, stride, padding) in cases {
        let x = random(&[batch, cin, size, size], 9);
        let w = random(&[cout, cin, kernel, kernel], 10).mul_scalar(0.2);
        let b = random(&[cout], 11);
        let what = format!("conv k{kernel} s{stride} p{padding}");
        same_on_both(device, &[x.clone(), w.clone(), b], 2e-2, &what, |v| {
            v[0].conv2d(&v[1], Some(&v[2]), stride, padding)
        });
        let g = tensor::Conv2dGeometry::from_shapes(x.shape(), w.shape(), stride, padding);
        let dy = random(g.output_shape().dims(), 12);
        same_on_both(
            device,
            &[dy.clone(), w],
            2e-2,
            &format!("{what} input grad"),
            |v| v[0].conv2d_input_grad(&v[1], &g),
        );
        same_on_both(
            device,
            &[dy, x],
            2e-2,
            &format!("{what} weight grad"),
            |v| v[0].conv2d_weight_grad(&v[1], &g),
        );
    }
}

#[test]
fn max_pooling_forward_and_backward() {
    let Some(device) = gpu() else { return };
    for (shape, kernel, stride, padding) in [
        ([2, 3, 13, 13], 3, 2, 0),
        ([1, 2, 8, 9], 3, 2, 1),
        ([1, 1, 6, 6], 2, 2, 0),
    ] {
        let x = random(&shape, 13);
        same_on_both(device, from_ref(&x), 0.0, "pool", |v| {
            v[0].max_pool2d(kernel, stride, padding).0
        });
        let (out, indices) = x.max_pool2d(kernel, stride, padding);
        let (_, gpu_indices) = x.to(device).unwrap().max_pool2d(kernel, stride, padding);
        assert_eq!(gpu_indices.to_vec(), indices.to_vec(), "pool indices");
        let g = tensor::Pool2dGeometry::from_shape(x.shape(), kernel, stride, padding);
        let dy = random(out.dims(), 14);
        same_on_both(device, &[dy], 1e-6, "pool backward", |v| {
            let winners = if v[0].device() == Device::Cpu {
                indices.clone()
            } else {
                gpu_indices.clone()
            };
            v[0].max_pool2d_backward(&winners, &g)
        });
    }
}

#[test]
fn avg_pooling_forward_and_backward() {
    let Some(device) = gpu() else { return };
    for (shape, kernel, stride, padding) in [
        ([2, 3, 13, 13], 3, 2, 0),
        ([1, 2, 8, 9], 3, 2, 1),
        ([1, 1, 6, 7], 2, 2, 0),
        ([2, 2, 5, 5], 3, 1, 1),
    ] {
        let x = random(&shape, 16);
        let what = format!("avg pool k{kernel} s{stride} p{padding}");
        same_on_both(device, from_ref(&x), 1e-6, &what, |v| {
            v[0].avg_pool2d(kernel, stride, padding)
        });
        let g = tensor::Pool2dGeometry::from_shape(x.shape(), kernel, stride, padding);
        let dy = random(g.output_shape().dims(), 17);
        same_on_both(device, &[dy], 1e-6, &format!("{what} backward"), |v| {
            v[0].avg_pool2d_backward(&g)
        });
    }
}

#[test]
fn adaptive_avg_pooling_forward_and_backward() {
    let Some(device) = gpu() else { return };
    for (shape, out_h, out_w) in [
        ([2, 3, 7, 5], 3, 2),
        ([2, 3, 7, 7], 1, 1),
        ([1, 2, 13, 13], 6, 6),
        ([1, 2, 2, 3], 5, 4),
    ] {
        let x = random(&shape, 18);
        let what = format!("adaptive avg pool {shape:?} to {out_h}x{out_w}");
        same_on_both(device, from_ref(&x), 1e-6, &what, |v| {
            v[0].adaptive_avg_pool2d(out_h, out_w)
        });
        let g = tensor::AdaptivePool2dGeometry::from_shape(x.shape(), out_h, out_w);
        let dy = random(g.output_shape().dims(), 19);
        same_on_both(device, &[dy], 1e-6, &format!("{what} backward"), |v| {
            v[0].adaptive_avg_pool2d_backward(&g)
        });
    }
}

#[test]
fn softmax_and_cross_entropy() {
    let Some(device) = gpu() else { return };
    let x = random(&[5, 10], 15).mul_scalar(4.0);
    same_on_both(device, from_ref(&x), 1e-5, "softmax", |v| v[0].softmax(1));
    same_on_both(device, from_ref(&x), 1e-5, "log_softmax", |v| {
        v[0].log_softmax(0)
    });
    let labels = Indices::from_vec(vec![3, 0, 9, 3, 5], [5]);
    let gpu_labels = labels.to(device).unwrap();
    let pick = |t: &Tensor| {
        if t.device() == Device::Cpu {
            labels.clone()
        } else {
            gpu_labels.clone()
        }
    };
    same_on_both(device, from_ref(&x), 1e-5, "cross_entropy", |v| {
        v[0].cross_entropy(&pick(&v[0]))
    });
    same_on_both(
        device,
        &[x, Tensor::scalar(0.7)],
        1e-5,
        "cross_entropy backward",
        |v| v[0].cross_entropy_backward(&pick(&v[0]), &v[1]),
    );
}

#[test]
fn optimizer_steps() {
    let Some(device) = gpu() else { return };
    let (p, g) = (random(&[1001], 16), random(&[1001], 17));
    let adam = AdamStep {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.01,
        step: 3,
    };
    same_on_both(device, &[p.clone(), g.clone()], 1e-5, "adam", |v| {
        let (mut p, mut m, mut s) = (v[0].clone(), v[1].mul_scalar(0.5), v[1].mul(&v[1]));
        p.adam_step_(&v[1], &mut m, &mut s, &adam);
        p.add(&m).add(&s)
    });
    let sgd = SgdStep {
        lr: 0.1,
        momentum: 0.9,
        dampening: 0.0,
        weight_decay: 0.01,
        nesterov: true,
        first_step: false,
    };
    same_on_both(device, &[p.clone(), g.clone()], 1e-5, "sgd momentum", |v| {
        let (mut p, mut buffer) = (v[0].clone(), v[1].mul_scalar(0.3));
        p.sgd_step_(&v[1], Some(&mut buffer), &sgd);
        p.add(&buffer)
    });
    let plain = SgdStep {
        momentum: 0.0,
        nesterov: false,
        ..sgd
    };
    same_on_both(device, &[p, g], 1e-5, "sgd", |v| {
        let mut p = v[0].clone();
        p.sgd_step_(&v[1], None, &plain);
        p
    });
}

/// The fused Adam step over several tensors (one launch on the GPU) — odd sizes, a one-element
/// tensor and different step counts — matches the CPU's step on each tensor.
#[test]
fn fused_adam_over_many_tensors() {
    let Some(device) = gpu() else { return };
    let shapes: [&[usize]; 3] = [&[70_001], &[3, 7], &[1]];
    let mut inputs = Vec::new();
    for (i, shape) in shapes.iter().enumerate() {
        inputs.push(random(shape, 40 + i as u64));
        inputs.push(random(shape, 50 + i as u64));
    }
    for which in 0..shapes.len() {
        same_on_both(device, &inputs, 1e-5, "fused adam", |on_device| {
            let mut params: Vec<Tensor> = on_device.iter().step_by(2).cloned().collect();
            let grads: Vec<Tensor> = on_device.iter().skip(1).step_by(2).cloned().collect();
            let moments = fused_adam_step(&mut params, &grads, |i| AdamStep {
                lr: 0.01,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                weight_decay: 0.01 * i as f32,
                step: 1 + 2 * i as u32,
            });
            let (m, v) = &moments[which];
            params[which].add(m).add(v)
        });
    }
}

#[test]
fn resize_dropout_and_transfers() {
    let Some(device) = gpu() else { return };
    let images = random(&[2, 1, 28, 28], 18);
    same_on_both(device, from_ref(&images), 1e-5, "resize", |v| {
        v[0].resize_bilinear(224, 224)
    });
    same_on_both(device, from_ref(&images), 1e-5, "resize down", |v| {
        v[0].resize_bilinear(13, 17)
    });
    same_on_both(device, from_ref(&images), 0.0, "dropout mask", |v| {
        v[0].dropout_mask_like(0.5, 42)
    });
    same_on_both(device, &[images], 0.0, "full_like", |v| {
        v[0].full_like(0.25)
    });
}

#[test]
fn batches_gathered_from_a_byte_dataset() {
    let Some(device) = gpu() else { return };
    let bytes: Vec<u8> = (0..4 * 28 * 28).map(|i| (i * 7 % 256) as u8).collect();
    let (pixels, picks) = (
        tensor::PackedBytes::new(&bytes),
        Indices::from_vec(vec![3, 1, 3], [3]),
    );
    let on_gpu = Tensor::gather_images(
        &pixels.to(device).unwrap(),
        &picks.to(device).unwrap(),
        28,
        28,
        224,
    );
    let on_cpu = Tensor::gather_images(&pixels, &picks, 28, 28, 224);
    assert_close(&on_gpu, &on_cpu, 1e-5, "gather_images");
}

#[test]
fn fused_bias_relu() {
    let Some(device) = gpu() else { return };
    let inputs = [random(&[2, 3, 5, 7], 19), random(&[3], 20)];
    same_on_both(device, &inputs, 0.0, "bias_relu 4-D", |v| {
        v[0].bias_relu(&v[1], 1)
    });
    let inputs = [random(&[4, 9], 21), random(&[9], 22)];
    same_on_both(device, &inputs, 0.0, "bias_relu 2-D", |v| {
        v[0].bias_relu(&v[1], 1)
    });
}

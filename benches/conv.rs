//! Convolution kernels on AlexNet's layer geometries: forward, input gradient and weight
//! gradient, reported as FLOP/s (criterion's "elements" are floating-point operations here).
//!
//! `RAYON_NUM_THREADS=2 cargo bench --bench conv` reproduces the README's numbers.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rustgrad::tensor::{Conv2dGeometry, Rng, Tensor};
use std::hint::black_box;

/// One convolution layer's shape, at the batch size benchmarked.
struct Layer {
    name: &'static str,
    batch: usize,
    in_channels: usize,
    out_channels: usize,
    size: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
}

const LAYERS: &[Layer] = &[Layer {
    name: "conv3",
    batch: 32,
    in_channels: 256,
    out_channels: 384,
    size: 12,
    kernel: 3,
    stride: 1,
    padding: 1,
}];

fn bench_layer(c: &mut Criterion, layer: &Layer) {
    let mut rng = Rng::new(0);
    let input_shape = [layer.batch, layer.in_channels, layer.size, layer.size];
    let weight_shape = [
        layer.out_channels,
        layer.in_channels,
        layer.kernel,
        layer.kernel,
    ];
    let x = Tensor::rand_uniform(input_shape, -1.0, 1.0, &mut rng);
    let w = Tensor::rand_uniform(weight_shape, -0.1, 0.1, &mut rng);
    let b = Tensor::rand_uniform([layer.out_channels], -0.1, 0.1, &mut rng);
    let (stride, padding) = (layer.stride, layer.padding);
    let g = Conv2dGeometry::from_shapes(x.shape(), w.shape(), stride, padding);
    let dy = Tensor::rand_uniform(g.output_shape(), -1.0, 1.0, &mut rng);
    let bias_grad = |dy: &Tensor| {
        dy.reshape([layer.batch, layer.out_channels, g.out_pixels()])
            .sum_axis(2, false)
            .sum_axis(0, false)
    };

    let mut group = c.benchmark_group(format!("{}_batch{}", layer.name, layer.batch));
    group.sample_size(10);
    group.throughput(Throughput::Elements(g.forward_flops() as u64));
    group.bench_function(BenchmarkId::new("im2col_gemm", "forward"), |bench| {
        bench.iter(|| black_box(x.conv2d(&w, Some(&b), stride, padding)))
    });
    group.bench_function(BenchmarkId::new("im2col_gemm", "input_grad"), |bench| {
        bench.iter(|| black_box(dy.conv2d_input_grad(&w, &g)))
    });
    group.bench_function(BenchmarkId::new("im2col_gemm", "weight_grad"), |bench| {
        bench.iter(|| black_box(dy.conv2d_weight_grad(&x, &g)))
    });
    group.throughput(Throughput::Elements(3 * g.forward_flops() as u64));
    group.bench_function(
        BenchmarkId::new("im2col_gemm", "forward_backward"),
        |bench| {
            bench.iter(|| {
                let y = x.conv2d(&w, Some(&b), stride, padding);
                let dx = dy.conv2d_input_grad(&w, &g);
                let dw = dy.conv2d_weight_grad(&x, &g);
                black_box((y, dx, dw, bias_grad(&dy)))
            })
        },
    );
    group.finish();
}

fn conv_layers(c: &mut Criterion) {
    for layer in LAYERS {
        bench_layer(c, layer);
    }
}

criterion_group!(benches, conv_layers);
criterion_main!(benches);

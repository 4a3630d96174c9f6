//! Convolution kernels on AlexNet's layer geometries: forward, input gradient and weight
//! gradient, reported as FLOP/s.
//!
//! `cargo bench --bench conv` (2 threads are what the reference numbers in the README use:
//! `RAYON_NUM_THREADS=2 cargo bench --bench conv`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rustgrad::tensor::{Conv2dGeometry, Rng, Tensor};
use std::hint::black_box;

/// (name, batch, in channels, out channels, input size, kernel, stride, padding)
const LAYERS: &[(&str, usize, usize, usize, usize, usize, usize, usize)] =
    &[("conv3", 32, 256, 384, 12, 3, 1, 1)];

fn bench_layer(c: &mut Criterion, layer: &(&str, usize, usize, usize, usize, usize, usize, usize)) {
    let &(name, batch, cin, cout, size, kernel, stride, padding) = layer;
    let mut rng = Rng::new(0);
    let x = Tensor::rand_uniform([batch, cin, size, size], -1.0, 1.0, &mut rng);
    let w = Tensor::rand_uniform([cout, cin, kernel, kernel], -0.1, 0.1, &mut rng);
    let b = Tensor::rand_uniform([cout], -0.1, 0.1, &mut rng);
    let g = Conv2dGeometry::from_shapes(x.shape(), w.shape(), stride, padding);
    let dy = Tensor::rand_uniform(g.output_shape(), -1.0, 1.0, &mut rng);

    let mut group = c.benchmark_group(format!("{name}_batch{batch}"));
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
                let db = dy
                    .reshape([batch, cout, g.out_pixels()])
                    .sum_axis(2, false)
                    .sum_axis(0, false);
                black_box((y, dx, dw, db))
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

//! Convolution algorithms on AlexNet's five layer geometries: forward, input gradient and weight
//! gradient, reported as FLOP/s (criterion's "elements" are floating-point operations here).
//!
//! Per layer, group `<layer>_batch32`:
//! - `im2col_gemm/*`  — im2col + GEMM, the general algorithm;
//! - `winograd/*`     — Winograd F(2×2, r×r), on the 3×3 and 5×5 layers;
//! - `auto/*`         — what training runs: the algorithm `cpu::conv_algorithm` picks per pass,
//!   called through the `Tensor` API; `auto/forward_backward` is the layer's whole share of a
//!   training step (forward, weight and bias gradients, and the input gradient except for
//!   conv1, whose input needs none). `scripts/compare_pytorch.py` reads these.
//!
//! and group `<layer>_batch1` for the naive direct loops (the reference; batch 1 keeps them
//! to seconds, FLOP/s stay comparable). With `--features cuda` and a GPU, groups
//! `cuda_<layer>_batch32` time the same `auto` passes on the GPU.
//!
//! `RAYON_NUM_THREADS=2 cargo bench --bench conv` (about 6 minutes on 2 cores).

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use rustgrad::nn::models::AlexNet;
use rustgrad::tensor::cpu::conv_algorithm::ConvAlgorithm;
use rustgrad::tensor::{Conv2dGeometry, Device, Rng, Tensor};
use std::hint::black_box;
use std::time::Duration;

/// One of AlexNet's convolutions, as the example builds them (1×224×224 input).
struct Layer {
    name: String,
    geometry: Conv2dGeometry,
    /// The first layer's input is the images: training never needs its gradient.
    needs_input_grad: bool,
}

fn alexnet_layers(batch: usize) -> Vec<Layer> {
    let geometries = AlexNet::conv_geometries(batch, 224);
    (geometries.into_iter().enumerate())
        .map(|(i, geometry)| Layer {
            name: format!("conv{}", i + 1),
            geometry,
            needs_input_grad: i > 0,
        })
        .collect()
}

const BATCH: usize = 32;

/// Random input, weights, bias and output gradient for geometry `g`, on the CPU.
struct Problem {
    x: Tensor,
    w: Tensor,
    b: Tensor,
    dy: Tensor,
    g: Conv2dGeometry,
}

impl Problem {
    fn new(g: Conv2dGeometry) -> Self {
        let mut rng = Rng::new(0);
        let (k, c) = (g.kernel_h, g.in_channels);
        let x = Tensor::rand_uniform([g.batch, c, g.in_h, g.in_w], -1.0, 1.0, &mut rng);
        let w = Tensor::rand_uniform([g.out_channels, c, k, g.kernel_w], -0.1, 0.1, &mut rng);
        let b = Tensor::rand_uniform([g.out_channels], -0.1, 0.1, &mut rng);
        let dy = Tensor::rand_uniform(g.output_shape(), -1.0, 1.0, &mut rng);
        Problem { x, w, b, dy, g }
    }

    fn to(&self, device: Device) -> rustgrad::tensor::Result<Self> {
        Ok(Problem {
            x: self.x.to(device)?,
            w: self.w.to(device)?,
            b: self.b.to(device)?,
            dy: self.dy.to(device)?,
            g: self.g,
        })
    }
}

/// Short runs with equal iteration counts per sample: a conv2 pass takes a tenth of a second.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
}

/// One algorithm's three passes on raw buffers (`cpu::conv_algorithm`).
fn bench_algorithm(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    algorithm: ConvAlgorithm,
    problem: &Problem,
) {
    let (x, w, b, dy) = (
        problem.x.to_vec(),
        problem.w.to_vec(),
        problem.b.to_vec(),
        problem.dy.to_vec(),
    );
    let g = &problem.g;
    group.throughput(Throughput::Elements(g.forward_flops() as u64));
    group.bench_function(BenchmarkId::new(name, "forward"), |bench| {
        bench.iter(|| black_box(algorithm.forward(&x, &w, Some(&b), g)))
    });
    group.bench_function(BenchmarkId::new(name, "input_grad"), |bench| {
        bench.iter(|| black_box(algorithm.input_grad(&dy, &w, g)))
    });
    group.bench_function(BenchmarkId::new(name, "weight_grad"), |bench| {
        bench.iter(|| black_box(algorithm.weight_grad(&dy, &x, g)))
    });
}

/// The passes a training step runs, through the `Tensor` API on `device`.
fn bench_auto(
    group: &mut BenchmarkGroup<'_, WallTime>,
    layer: &Layer,
    p: &Problem,
    device: Device,
) {
    let (stride, padding, g) = (p.g.stride, p.g.padding, &p.g);
    let synchronized = |result| finished(device, result);
    let bias_grad = || {
        let batch = g.batch;
        p.dy.reshape([batch, g.out_channels, g.out_pixels()])
            .sum_axis(2, false)
            .sum_axis(0, false)
    };
    group.throughput(Throughput::Elements(g.forward_flops() as u64));
    group.bench_function(BenchmarkId::new("auto", "forward"), |bench| {
        bench.iter(|| synchronized(p.x.conv2d(&p.w, Some(&p.b), stride, padding)))
    });
    group.bench_function(BenchmarkId::new("auto", "input_grad"), |bench| {
        bench.iter(|| synchronized(p.dy.conv2d_input_grad(&p.w, g)))
    });
    group.bench_function(BenchmarkId::new("auto", "weight_grad"), |bench| {
        bench.iter(|| synchronized(p.dy.conv2d_weight_grad(&p.x, g)))
    });
    let passes = if layer.needs_input_grad { 3 } else { 2 };
    group.throughput(Throughput::Elements(passes * g.forward_flops() as u64));
    group.bench_function(BenchmarkId::new("auto", "forward_backward"), |bench| {
        bench.iter(|| {
            let y = p.x.conv2d(&p.w, Some(&p.b), stride, padding);
            let dx = layer
                .needs_input_grad
                .then(|| p.dy.conv2d_input_grad(&p.w, g));
            let dw = p.dy.conv2d_weight_grad(&p.x, g);
            finished(device, (y, dx, dw, bias_grad()))
        })
    });
}

/// `result` once the device has computed it (GPU kernels run asynchronously).
fn finished<T>(device: Device, result: T) -> T {
    device
        .synchronize()
        .expect("the device failed during the benchmark");
    black_box(result)
}

fn bench_layer(c: &mut Criterion, layer: &Layer) {
    let problem = Problem::new(layer.geometry);
    let mut group = c.benchmark_group(format!("{}_batch{BATCH}", layer.name));
    configure(&mut group);
    bench_algorithm(
        &mut group,
        "im2col_gemm",
        ConvAlgorithm::Im2colGemm,
        &problem,
    );
    if rustgrad::tensor::cpu::winograd::supports(&problem.g) {
        bench_algorithm(&mut group, "winograd", ConvAlgorithm::Winograd, &problem);
    }
    bench_auto(&mut group, layer, &problem, Device::Cpu);
    group.finish();

    let mut group = c.benchmark_group(format!("{}_batch1", layer.name));
    configure(&mut group);
    bench_algorithm(
        &mut group,
        "naive",
        ConvAlgorithm::Naive,
        &Problem::new(Conv2dGeometry {
            batch: 1,
            ..layer.geometry
        }),
    );
    group.finish();

    match problem.to(Device::Cuda(0)) {
        Ok(on_gpu) => {
            let mut group = c.benchmark_group(format!("cuda_{}_batch{BATCH}", layer.name));
            configure(&mut group);
            bench_auto(&mut group, layer, &on_gpu, Device::Cuda(0));
            group.finish();
        }
        Err(why) => println!("{}: no CUDA rows ({why})", layer.name),
    }
}

fn conv_layers(c: &mut Criterion) {
    for layer in &alexnet_layers(BATCH) {
        bench_layer(c, layer);
    }
}

criterion_group!(benches, conv_layers);
criterion_main!(benches);

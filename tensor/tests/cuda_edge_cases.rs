//! The CUDA backend at its edges: empty tensors, class labels out of range, allocations larger
//! than the GPU. Needs a GPU or the emulated device (see cuda_vs_cpu.rs).
#![cfg(feature = "cuda")]

use tensor::{Indices, Tensor};

mod cuda_common;
use cuda_common::{gpu, random};

/// The message of the panic `f` raises.
fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let payload = std::panic::catch_unwind(f).expect_err("should panic");
    match payload.downcast_ref::<String>() {
        Some(message) => message.clone(),
        None => payload.downcast_ref::<&str>().unwrap_or(&"").to_string(),
    }
}

#[test]
fn empty_tensors_allocate_nothing_and_stay_empty() {
    let Some(device) = gpu() else { return };
    let empty = Tensor::zeros([0, 3]).to(device).unwrap();
    assert_eq!(empty.numel(), 0);
    assert_eq!(empty.to_vec(), Vec::<f32>::new());
    let results = [
        empty.exp(),
        empty.add(&Tensor::ones([3]).to(device).unwrap()),
        empty.permute(&[1, 0]),
        empty.relu(),
        empty.sum_axis(0, false), // three sums of nothing: zeros
    ];
    for (i, result) in results.iter().enumerate() {
        let expected = if i == 4 { vec![0.0; 3] } else { Vec::new() };
        assert_eq!(result.to_vec(), expected, "result {i}");
    }
    // A product over an empty inner dimension is a matrix of zeros.
    let (a, b) = (Tensor::zeros([2, 0]), Tensor::zeros([0, 3]));
    let product = a.to(device).unwrap().matmul(&b.to(device).unwrap());
    assert_eq!(product.to_vec(), vec![0.0; 6]);
    assert_eq!(
        Indices::from_vec(vec![], [0]).to(device).unwrap().to_vec(),
        Vec::<u32>::new()
    );
}

#[test]
fn labels_out_of_range_fail_the_same_way_on_both_devices() {
    let Some(device) = gpu() else { return };
    let logits = random(&[3, 10], 1);
    let labels = Indices::from_vec(vec![2, 10, 4], [3]);
    let on_cpu = panic_message(|| {
        logits.cross_entropy(&labels);
    });
    let (gpu_logits, gpu_labels) = (logits.to(device).unwrap(), labels.to(device).unwrap());
    let on_gpu = panic_message(|| {
        gpu_logits.cross_entropy(&gpu_labels);
    });
    assert_eq!(
        on_cpu,
        "cross_entropy: label 10 is out of range for 10 classes"
    );
    assert_eq!(on_gpu, on_cpu);
}

#[test]
fn labels_made_on_the_device_out_of_range_give_nan_not_another_class() {
    let Some(device) = gpu() else { return };
    // argmax over 12 values makes "labels" up to 11 on the device, unseen by the host.
    let scores = Tensor::from_vec((0..36).map(|i| (i % 12) as f32).collect(), [3, 12]);
    let labels = scores.to(device).unwrap().argmax_axis(1); // 11, 11, 11
    let logits = random(&[3, 10], 2).to(device).unwrap();
    assert!(logits.cross_entropy(&labels).item().is_nan());
    let grad = logits.cross_entropy_backward(&labels, &Tensor::scalar(1.0).to(device).unwrap());
    assert!(grad.to_vec().iter().all(|g| g.is_nan()));
}

#[test]
fn an_allocation_larger_than_the_gpu_is_out_of_memory() {
    let Some(device) = gpu() else { return };
    let total = tensor::cuda::device(0).unwrap().total_memory();
    // A broadcast whose output needs more floats than the GPU has bytes / 4 + 1 GiB; the inputs
    // are small, so only the output's allocation fails.
    let side = ((total / 4 + (1 << 28)) as f64).sqrt().ceil() as usize;
    let column = Tensor::zeros([side, 1]).to(device).unwrap();
    let row = Tensor::zeros([1, side]).to(device).unwrap();
    let message = panic_message(|| {
        column.add(&row);
    });
    assert!(
        message.starts_with("CUDA out of memory allocating") && message.contains("--batch-size"),
        "{message}"
    );
    // The device is still usable afterwards.
    assert_eq!(column.sum().item(), 0.0);
}

#[test]
fn relu_keeps_nan_on_the_gpu_too() {
    let Some(device) = gpu() else { return };
    let x = Tensor::from_vec(vec![f32::NAN, -1.0, 2.0, 0.0], [1, 4, 1])
        .to(device)
        .unwrap();
    let bias = Tensor::zeros([4]).to(device).unwrap();
    for (what, out) in [("relu", x.relu()), ("bias_relu", x.bias_relu(&bias, 1))] {
        let out = out.to_vec();
        assert!(out[0].is_nan(), "{what}: {out:?}");
        assert_eq!(out[1..], [0.0, 2.0, 0.0], "{what}");
    }
}

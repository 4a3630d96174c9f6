#!/usr/bin/env python3
"""rustgrad next to PyTorch: AlexNet's five convolution layers (forward, input gradient, weight
gradient, and forward + backward) and one AlexNet training step, at batch 32 on the CPU with 2
threads (and on CUDA with --device cuda).

rustgrad's numbers come from criterion's results, so run the benches first:

    RAYON_NUM_THREADS=2 cargo bench --bench conv --bench alexnet_step
    python3 scripts/compare_pytorch.py            # prints the table, ratio = rustgrad / PyTorch

Forward + backward is what a training step does with the layer: forward, the weight and bias
gradients, and the input gradient except for conv1, whose input (the images) needs none.
"""
import argparse
import json
import os
import time

import torch
import torch.nn.functional as F

from alexnet_step_pytorch import AlexNet

# name, in channels, out channels, input size, kernel, stride, padding (as benches/conv.rs)
LAYERS = [
    ("conv1", 1, 96, 224, 11, 4, 0),
    ("conv2", 96, 256, 26, 5, 1, 2),
    ("conv3", 256, 384, 12, 3, 1, 1),
    ("conv4", 384, 384, 12, 3, 1, 1),
    ("conv5", 384, 256, 12, 3, 1, 1),
]
PARTS = ["forward", "input_grad", "weight_grad", "forward_backward"]


def median_seconds(fn, repeats, sync):
    for _ in range(2):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def pytorch_layer(layer, batch, device, repeats, sync):
    name, cin, cout, size, k, stride, pad = layer
    x = torch.rand(batch, cin, size, size, device=device)
    w = 0.1 * torch.rand(cout, cin, k, k, device=device)
    b = 0.1 * torch.rand(cout, device=device)
    y = F.conv2d(x, w, b, stride=stride, padding=pad)
    dy = torch.rand_like(y)
    needs_input_grad = name != "conv1"

    def backward(input_grad, weight_grad):
        return torch.ops.aten.convolution_backward(
            dy, x, w, [cout], [stride] * 2, [pad] * 2, [1, 1], False, [0, 0], 1,
            [input_grad, weight_grad, weight_grad])

    def forward_backward():
        F.conv2d(x, w, b, stride=stride, padding=pad)
        backward(needs_input_grad, True)

    return {
        "forward": median_seconds(lambda: F.conv2d(x, w, b, stride=stride, padding=pad), repeats, sync),
        "input_grad": median_seconds(lambda: backward(True, False), repeats, sync),
        "weight_grad": median_seconds(lambda: backward(False, True), repeats, sync),
        "forward_backward": median_seconds(forward_backward, repeats, sync),
    }


def pytorch_step(batch, device, repeats, sync):
    torch.manual_seed(0)
    model = AlexNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(batch, 1, 224, 224, device=device)
    y = torch.randint(0, 10, (batch,), device=device)

    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    return median_seconds(step, repeats, sync)


def criterion_seconds(criterion_dir, group, bench):
    """Median of a criterion benchmark in seconds, or None if it has not been run."""
    path = os.path.join(criterion_dir, group, *bench.split("/"), "new", "estimates.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"] / 1e9


def ms(seconds):
    return "      -" if seconds is None else f"{seconds * 1e3:7.1f}"


def ratio(ours, theirs):
    return "    -" if ours is None or theirs is None else f"{ours / theirs:5.2f}"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--criterion-dir", default=os.path.join(here, "..", "target", "criterion"))
    parser.add_argument("--layers-only", action="store_true", help="skip the training step")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)
    # Criterion groups: conv<N>_batch<B> (CPU) or cuda_conv<N>_batch<B>; the chosen algorithm
    # of each layer is benchmarked under "auto".
    prefix = "cuda_" if args.device == "cuda" else ""

    print(f"PyTorch {torch.__version__} vs rustgrad, {args.device}, "
          f"{args.threads} threads, batch {args.batch}; times in ms (medians), ratio = rustgrad / PyTorch")
    print(f"{'layer':6} {'part':17} {'PyTorch':>7} {'rustgrad':>8} {'ratio':>5}")
    for layer in LAYERS:
        theirs = pytorch_layer(layer, args.batch, args.device, args.repeats, sync)
        group = f"{prefix}{layer[0]}_batch{args.batch}"
        for part in PARTS:
            ours = criterion_seconds(args.criterion_dir, group, f"auto/{part}")
            print(f"{layer[0]:6} {part:17} {ms(theirs[part])} {ms(ours):>8} {ratio(ours, theirs[part])}")
    if not args.layers_only:
        theirs = pytorch_step(args.batch, args.device, args.repeats, sync)
        group = "alexnet_cuda" if args.device == "cuda" else "alexnet_cpu"
        ours = criterion_seconds(args.criterion_dir, group, f"training_step_batch{args.batch}")
        print(f"{'AlexNet':6} {'training step':17} {ms(theirs)} {ms(ours):>8} {ratio(ours, theirs)}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""rustgrad next to PyTorch: AlexNet's five convolution layers (forward, input gradient, weight
gradient, and forward + backward) and one AlexNet training step, at batch 32 on the CPU with 2
threads (or on CUDA with --device cuda), printed as one table with ratios.

    python3 scripts/compare_pytorch.py [--rounds 3] [--repeats 5] [--device cpu]
    python3 scripts/compare_pytorch.py --device cuda --binary gpu-bundle/bin/layer_timing

Both sides are timed in alternation — PyTorch in this process, rustgrad by
`cargo run --release --example layer_timing` — for --rounds rounds, so a busy machine slows
both alike; each number is the fastest run seen. Forward + backward is the layer's share of a
training step: forward, weight and bias gradients, and the input gradient except for conv1,
whose input (the images) needs none. Criterion's own numbers: `cargo bench --bench conv`.
"""
import argparse
import os
import subprocess
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


def fastest_seconds(fn, repeats, sync):
    fn()
    sync()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - start)
    return best


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
        "forward": fastest_seconds(lambda: F.conv2d(x, w, b, stride=stride, padding=pad), repeats, sync),
        "input_grad": fastest_seconds(lambda: backward(True, False), repeats, sync),
        "weight_grad": fastest_seconds(lambda: backward(False, True), repeats, sync),
        "forward_backward": fastest_seconds(forward_backward, repeats, sync),
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

    return fastest_seconds(step, repeats, sync)


def rustgrad_seconds(binary, layer, args):
    """{part: seconds} from one run of the layer_timing example."""
    command = [binary, "--layer", layer, "--batch", str(args.batch), "--repeats", str(args.repeats),
               "--device", args.device]
    environment = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=environment).stdout
    return {part: float(ms) / 1e3 for part, ms in (line.split() for line in output.splitlines())}


def build_layer_timing(root, device):
    features = ["--features", "cuda"] if device == "cuda" else []
    subprocess.run(["cargo", "build", "--release", "--example", "layer_timing", *features],
                   check=True, cwd=root)
    return os.path.join(root, "target", "release", "examples", "layer_timing")


def paired(rounds, theirs, ours):
    """Alternates the two timers; per part, the fastest each side reached."""
    best_theirs, best_ours = {}, {}
    for _ in range(rounds):
        for best, timer in ((best_theirs, theirs), (best_ours, ours)):
            for part, seconds in timer().items():
                best[part] = min(best.get(part, float("inf")), seconds)
    return best_theirs, best_ours


def ms(seconds):
    return f"{seconds * 1e3:8.1f}"


def ratio(ours, theirs):
    return f"{ours / theirs:5.2f}"


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--layers-only", action="store_true", help="skip the training step")
    parser.add_argument("--binary", help="a prebuilt layer_timing example (machines without cargo)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)
    binary = args.binary or build_layer_timing(root, args.device)

    print(f"PyTorch {torch.__version__} vs rustgrad, {args.device}, {args.threads} threads, "
          f"batch {args.batch}; fastest of {args.rounds}x{args.repeats} alternating runs, ms; "
          f"ratio = rustgrad / PyTorch")
    print(f"{'layer':7} {'part':17} {'PyTorch':>8} {'rustgrad':>8} {'ratio':>5}")
    for layer in LAYERS:
        theirs, ours = paired(
            args.rounds,
            lambda: pytorch_layer(layer, args.batch, args.device, args.repeats, sync),
            lambda: rustgrad_seconds(binary, layer[0], args))
        for part in PARTS:
            print(f"{layer[0]:7} {part:17} {ms(theirs[part])} {ms(ours[part])} "
                  f"{ratio(ours[part], theirs[part])}")
    if not args.layers_only:
        theirs, ours = paired(
            args.rounds,
            lambda: {"training_step": pytorch_step(args.batch, args.device, args.repeats, sync)},
            lambda: rustgrad_seconds(binary, "step", args))
        step = "training_step"
        print(f"{'AlexNet':7} {'training step':17} {ms(theirs[step])} {ms(ours[step])} "
              f"{ratio(ours[step], theirs[step])}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""rustgrad next to PyTorch: AlexNet's five convolution layers (forward, input gradient, weight
gradient, and forward + backward) and one AlexNet training step, at batch 32 on the CPU with 2
threads (or on CUDA with --device cuda), printed as one table with ratios.

    python3 scripts/compare_pytorch.py [--rounds 3] [--repeats 5] [--device cpu]
    python3 scripts/compare_pytorch.py --device cuda --binary gpu-bundle/bin/layer_timing
    python3 scripts/compare_pytorch.py --full      # everything issue #16's targets name (~15 min)

--full adds, on the CPU: the training step at the classic batch of 128 too, one evaluation batch
of 128 (eval mode, nothing recorded for backward), and the classic pipeline: the flagship example
(`--epochs 1 --limit-train 2048 --limit-test 1000`) against `alexnet_epoch_pytorch.py --mode
classic` (a DataLoader resizing on --threads worker processes), whole processes timed from outside
with their peak resident memory (the largest process of each side: PyTorch's workers are not
added, which favours PyTorch).

Both sides are timed in alternation — PyTorch in this process, rustgrad by
`cargo run --release --example layer_timing` — for --rounds rounds, so a busy machine slows
both alike; each number is the fastest run seen. Forward + backward is the layer's share of a
training step: forward, weight and bias gradients, and the input gradient except for conv1,
whose input (the images) needs none. Criterion's own numbers: `cargo bench --bench conv`.
"""
import argparse
import os
import subprocess
import sys
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


def pytorch_eval(batch, device, repeats, sync):
    torch.manual_seed(0)
    model = AlexNet().to(device).eval()
    x = torch.rand(batch, 1, 224, 224, device=device)

    def forward():
        with torch.no_grad():
            model(x)

    return fastest_seconds(forward, repeats, sync)


def rustgrad_seconds(binary, layer, args, batch=None):
    """{part: seconds} from one run of the layer_timing example."""
    command = [binary, "--layer", layer, "--batch", str(batch or args.batch), "--repeats", str(args.repeats),
               "--device", args.device]
    environment = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=environment).stdout
    return {part: float(ms) / 1e3 for part, ms in (line.split() for line in output.splitlines())}


def build_example(root, device, example="layer_timing"):
    features = ["--features", "cuda"] if device == "cuda" else []
    subprocess.run(["cargo", "build", "--release", "--example", example, *features],
                   check=True, cwd=root)
    return os.path.join(root, "target", "release", "examples", example)


# Runs argv[1:] and prints "<wall seconds> <peak resident KiB>". A small process of its own: a
# child forked from this one (which holds PyTorch and its models) would count this process's
# memory as its own until it execs.
MEASURE = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def whole_process(command):
    """{wall: seconds, peak: bytes} of one run of `command`, its output thrown away. The peak is
    the largest resident set of the process or of any child it waited for (not their sum)."""
    result = subprocess.run([sys.executable, "-c", MEASURE, *command], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}): {result.stderr[-2000:]}")
    wall, peak_kib = result.stderr.split()[-2:]
    return {"wall": float(wall), "peak": int(peak_kib) * 1024}


def pipeline_commands(root, args):
    """(PyTorch's, rustgrad's) commands for the classic pipeline's limited epoch on the CPU."""
    limits = ["--limit-train", str(args.limit_train), "--limit-test", str(args.limit_test)]
    theirs = [sys.executable, os.path.join(root, "scripts", "alexnet_epoch_pytorch.py"), "--device", "cpu",
              "--mode", "classic", "--threads", str(args.threads), "--workers", str(args.threads), *limits]
    ours = [build_example(root, "cpu", "alexnet"), "--device", "cpu", "--epochs", "1", "--batch-size", "128",
            "--threads", str(args.threads), *limits]
    return theirs, ours


def print_pipeline(root, args):
    theirs, ours = pipeline_commands(root, args)
    best_theirs, best_ours = paired(args.pipeline_rounds, lambda: whole_process(theirs),
                                    lambda: whole_process(ours))
    print(f"classic pipeline: 1 epoch of {args.limit_train} images + {args.limit_test} test images, batch 128, "
          f"whole processes, fastest/smallest of {args.pipeline_rounds} alternating runs")
    print(f"{'pipeline':7} {'wall, s':17} {best_theirs['wall']:8.1f} {best_ours['wall']:8.1f} "
          f"{ratio(best_ours['wall'], best_theirs['wall'])}")
    mib = 2**20
    print(f"{'pipeline':7} {'peak memory, MiB':17} {best_theirs['peak'] / mib:8.0f} {best_ours['peak'] / mib:8.0f} "
          f"{ratio(best_ours['peak'], best_theirs['peak'])}")


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
    parser.add_argument("--full", action="store_true",
                        help="also the step at batch 128, an evaluation batch of 128 and the classic pipeline (CPU)")
    parser.add_argument("--pipeline-rounds", type=int, default=2)
    parser.add_argument("--limit-train", type=int, default=2048)
    parser.add_argument("--limit-test", type=int, default=1000)
    args = parser.parse_args()
    if args.full and args.device != "cpu":
        parser.error("--full compares the CPU pipeline: use it with --device cpu")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)
    binary = args.binary or build_example(root, args.device)

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
    if args.layers_only:
        return
    step_batches = sorted({args.batch, 128}) if args.full else [args.batch]
    for batch in step_batches:
        theirs, ours = paired(
            args.rounds,
            lambda: {"training_step": pytorch_step(batch, args.device, args.repeats, sync)},
            lambda: rustgrad_seconds(binary, "step", args, batch))
        step = "training_step"
        print(f"{'AlexNet':7} {f'step, batch {batch}':17} {ms(theirs[step])} {ms(ours[step])} "
              f"{ratio(ours[step], theirs[step])}")
    if args.full:
        theirs, ours = paired(
            args.rounds,
            lambda: {"evaluation_batch": pytorch_eval(128, args.device, args.repeats, sync)},
            lambda: rustgrad_seconds(binary, "eval", args, 128))
        part = "evaluation_batch"
        print(f"{'AlexNet':7} {'eval, batch 128':17} {ms(theirs[part])} {ms(ours[part])} "
              f"{ratio(ours[part], theirs[part])}")
        print_pipeline(root, args)


if __name__ == "__main__":
    main()

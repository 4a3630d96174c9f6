#!/usr/bin/env python3
"""PyTorch's CPU time for the convolution that benches/conv.rs measures: AlexNet's conv3
geometry (256->384 channels, 3x3, padding 1, 12x12 input) at batch 32, forward + backward
(input, weight and bias gradients), on 2 threads.

    python3 scripts/bench_conv_pytorch.py [--threads 2] [--batch 32] [--repeats 20]
"""
import argparse
import time

import torch
import torch.nn.functional as F


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    x = torch.rand(args.batch, 256, 12, 12, requires_grad=True)
    w = (0.1 * torch.rand(384, 256, 3, 3)).requires_grad_()
    b = (0.1 * torch.rand(384)).requires_grad_()
    flops = 3 * 2 * args.batch * 384 * 12 * 12 * 256 * 3 * 3

    def step():
        y = F.conv2d(x, w, b, padding=1)
        y.backward(torch.ones_like(y))

    for _ in range(3):
        step()
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    times.sort()
    median = times[len(times) // 2]
    print(f"torch {torch.__version__}, {args.threads} threads, conv3 batch {args.batch} forward+backward: "
          f"median {median * 1e3:.1f} ms (min {times[0] * 1e3:.1f}), {flops / median / 1e9:.0f} GFLOP/s")


if __name__ == "__main__":
    main()

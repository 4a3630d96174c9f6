#!/usr/bin/env python3
"""PyTorch's time for one AlexNet training step (forward, cross-entropy, backward, Adam) on the
CPU: the reference for rustgrad's `alexnet_step` benchmark. Batch 32 of 1x224x224 images, 2
threads by default.

    python3 scripts/alexnet_step_pytorch.py [--threads 2] [--batch 32] [--steps 10]
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class AlexNet(nn.Module):
    """The classic definition; its state_dict names (conv.0.weight, ..., fc.6.bias) are rustgrad's."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 96, 11, stride=4), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
        self.fc = nn.Sequential(
            nn.Linear(6400, 4096), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(4096, 10))

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = AlexNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(args.batch, 1, 224, 224)
    y = torch.randint(0, 10, (args.batch,))

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    for _ in range(2):
        step()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    times.sort()
    median = times[len(times) // 2]
    print(f"torch {torch.__version__}, {args.threads} threads, AlexNet training step, batch {args.batch}: "
          f"median {median * 1e3:.0f} ms (min {times[0] * 1e3:.0f}), {args.batch / median:.1f} images/s")


if __name__ == "__main__":
    main()

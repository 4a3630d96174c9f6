#!/usr/bin/env python3
"""Checks that AlexNet checkpoints move between rustgrad and PyTorch.

    # a checkpoint written by rustgrad (examples/alexnet --save) evaluated by PyTorch:
    python3 scripts/checkpoint_interop.py evaluate model.safetensors --limit-test 1000
    # a PyTorch state_dict saved as safetensors, for `alexnet --load FILE --epochs 0`:
    python3 scripts/checkpoint_interop.py export pytorch.safetensors

`evaluate` loads the file with load_state_dict(strict=True) — every name and shape must match —
and prints `test acc` on the first N test images, preprocessed as rustgrad does (pixels / 255,
bilinear resize to 224 with align_corners=False), so the number can be compared with
`cargo run --release --example alexnet -- --load FILE --epochs 0 --limit-test N`.
"""
import argparse
import gzip
import os

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from alexnet_step_pytorch import AlexNet


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    values = torch.frombuffer(bytearray(data[4 + 4 * rank:]), dtype=torch.uint8)
    return values.reshape(dims)


def evaluate(path, data_dir, limit):
    model = AlexNet()
    model.load_state_dict(load_file(path), strict=True)
    model.eval()
    images = read_idx(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"))[:limit]
    labels = read_idx(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz"))[:limit].long()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(labels), 128):
            x = images[start:start + 128].float().div(255).unsqueeze(1)
            x = F.interpolate(x, size=(224, 224), mode="bilinear", align_corners=False)
            correct += (model(x).argmax(1) == labels[start:start + 128]).sum().item()
    print(f"test acc {correct / len(labels):.4f}")


def export(path):
    torch.manual_seed(0)
    state = {k: v.contiguous() for k, v in AlexNet().state_dict().items()}
    save_file(state, path)
    print(f"wrote {len(state)} tensors to {path}")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("evaluate")
    e.add_argument("path")
    e.add_argument("--data-dir", default=os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    e.add_argument("--limit-test", type=int, default=10000)
    x = sub.add_parser("export")
    x.add_argument("path")
    args = parser.parse_args()
    if args.command == "evaluate":
        evaluate(args.path, args.data_dir, args.limit_test)
    else:
        export(args.path)


if __name__ == "__main__":
    main()

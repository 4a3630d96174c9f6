#!/usr/bin/env python3
"""Checks that checkpoints move between rustgrad and PyTorch, for every model of the book's CNN
chapter (scripts/d2l_models.py: the book's own PyTorch code) and the classic AlexNet.

    # a checkpoint written by rustgrad (examples/train --save, examples/alexnet --save)
    # evaluated by PyTorch:
    python3 scripts/checkpoint_interop.py evaluate model.safetensors --model bn-lenet
    # a freshly initialised PyTorch model's state_dict saved as safetensors, for
    # `train --model NAME --load FILE` (or `alexnet --load FILE`):
    python3 scripts/checkpoint_interop.py export pytorch.safetensors --model resnet18

`--model` takes rustgrad's names (lenet, alexnet, vgg, nin, googlenet, bn-lenet, resnet18,
densenet); the default is alexnet. `evaluate` loads the file with load_state_dict(strict=True) —
every name and shape must match, batch norm's running statistics included — and prints
`test acc` on the first N test images (`--limit-test N`, default all), preprocessed as rustgrad
does (pixels / 255, bilinear resize to the recipe's side with align_corners=False), in eval mode,
so the number can be compared with
`cargo run --release --example train -- --model NAME --load FILE --epochs 0 --limit-test N`.
`export` initialises the model as the book trains it (seed 0).
"""
import argparse
import gzip
import os

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from d2l_models import MODELS, build


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    values = torch.frombuffer(bytearray(data[4 + 4 * rank:]), dtype=torch.uint8)
    return values.reshape(dims)


def idx_file(data_dir, stem):
    """The IDX file `stem` in data_dir, gzipped or not (as rustgrad looks for it)."""
    for name in (stem + ".gz", stem):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"no {stem}(.gz) in {data_dir}")


def evaluate(path, name, data_dir, limit):
    model = build(name)
    model.load_state_dict(load_file(path), strict=True)
    model.eval()
    side = MODELS[name].image_size
    images = read_idx(idx_file(data_dir, "t10k-images-idx3-ubyte"))[:limit]
    labels = read_idx(idx_file(data_dir, "t10k-labels-idx1-ubyte"))[:limit].long()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(labels), 128):
            x = images[start:start + 128].float().div(255).unsqueeze(1)
            x = F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False)
            correct += (model(x).argmax(1) == labels[start:start + 128]).sum().item()
    print(f"test acc {correct / len(labels):.4f}")


def export(path, name):
    torch.manual_seed(0)
    state = {k: v.contiguous() for k, v in build(name, init=True).state_dict().items()}
    save_file(state, path)
    print(f"wrote {len(state)} tensors of {name} to {path}")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("evaluate")
    e.add_argument("path")
    e.add_argument("--data-dir", default=os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    e.add_argument("--limit-test", type=int, default=10000)
    x = sub.add_parser("export")
    x.add_argument("path")
    for p in (e, x):
        p.add_argument("--model", default="alexnet", choices=list(MODELS))
    args = parser.parse_args()
    if args.command == "evaluate":
        evaluate(args.path, args.model, args.data_dir, args.limit_test)
    else:
        export(args.path, args.model)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch's side of a limited run of one of the book's CNNs: the book's recipe (plain SGD at the
model's learning rate, batch 128, the book's initialisation) for one epoch over the first N
training images, then the accuracy on the first M test images. The data is prepared exactly as
rustgrad's `train` example prepares it (pixels / 255, bilinear resize with align_corners=False,
a shuffled order), so the two accuracies can be compared:

    python3 scripts/d2l_limited_run.py --model resnet18 --limit-train 4096 --limit-test 1000
    cargo run --release --example train -- --model resnet18 --limit-train 4096 \\
        --limit-test 1000 --epochs 1

`scripts/compare_limited_runs.sh` runs both for every model. Prints
`RESULT model=<name> train_images=<n> seconds=<s> images_per_s=<x> test_acc=<a>`, where the
seconds are the epoch's (training and the test pass, as in rustgrad's epoch line) and the
images/s are training images per second of that.
"""
import argparse
import os
import time

import torch
import torch.nn.functional as F

from checkpoint_interop import read_idx
from d2l_models import MODELS, build


def load(data_dir, prefix, limit):
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))[:limit]
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))[:limit].long()
    return images, labels


def prepare(images, size):
    x = images.float().div(255).unsqueeze(1)
    if size != x.shape[-1]:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return x


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, choices=list(MODELS))
    parser.add_argument("--limit-train", type=int, default=4096)
    parser.add_argument("--limit-test", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--data-dir", default=os.environ.get(
        "FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    spec = MODELS[args.model]
    model = build(args.model, init=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=spec.lr)
    train_images, train_labels = load(args.data_dir, "train", args.limit_train)
    test_images, test_labels = load(args.data_dir, "t10k", args.limit_test)

    model.train()
    started = time.perf_counter()
    order = torch.randperm(len(train_labels))
    loss_sum, correct = 0.0, 0
    for at in range(0, len(order), args.batch_size):
        picked = order[at:at + args.batch_size]
        x, y = prepare(train_images[picked], spec.image_size), train_labels[picked]
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()

    model.eval()
    hits = 0
    with torch.no_grad():
        for at in range(0, len(test_labels), args.batch_size):
            x = prepare(test_images[at:at + args.batch_size], spec.image_size)
            hits += (model(x).argmax(1) == test_labels[at:at + args.batch_size]).sum().item()
    seconds = time.perf_counter() - started  # training and the test pass, as rustgrad's epoch
    n = len(train_labels)
    print(f"epoch 1, train loss {loss_sum / n:.4f}, train acc {correct / n:.4f}, "
          f"test acc {hits / len(test_labels):.4f}, time {seconds:.1f} sec")
    print(f"RESULT model={args.model} train_images={n} seconds={seconds:.1f} "
          f"images_per_s={n / seconds:.1f} test_acc={hits / len(test_labels):.4f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The PyTorch reference for rustgrad's flagship: AlexNet on Fashion-MNIST at 224x224, batch 128,
Adam lr 0.001, timed per epoch (training + test pass), on the GPU (or the CPU with --device cpu).
Two pipelines:

  classic  the notebook way: a DataLoader with worker processes resizing each 28x28 image to
           224x224 on the CPU (torchvision's Resize when available), batches copied to the GPU;
  compute  the data uploaded once as bytes and resized per batch on the GPU: only compute.

    python3 scripts/alexnet_epoch_pytorch.py --mode compute --data-dir DIR [--epochs 1]
    python3 scripts/alexnet_epoch_pytorch.py --device cpu --threads 2 --mode classic \
        --limit-train 2048 --limit-test 1000

On the CPU, peak_mib is this process's maximum resident set (the DataLoader's worker processes
are not added: `scripts/compare_pytorch.py --pipeline` measures each side from outside).

Prints one line per epoch like rustgrad's example and a final
`RESULT <mode> seconds=<s> images_per_s=<x> peak_mib=<m> test_acc=<a>` line for gpu-check.sh.
"""
import argparse
import os
import resource
import time

import torch
import torch.nn.functional as F

from alexnet_step_pytorch import AlexNet
from checkpoint_interop import read_idx


def load(data_dir, prefix):
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz")).long()
    return images, labels


class ResizedFashionMnist(torch.utils.data.Dataset):
    """One example at a time, resized on the CPU, as the classic notebook's transforms do."""

    def __init__(self, images, labels, size):
        self.images, self.labels, self.size = images, labels, size
        try:
            from torchvision.transforms import v2 as transforms
            self.resize = transforms.Resize(size, antialias=True)
        except ImportError:
            self.resize = None

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i].float().div(255).unsqueeze(0)
        if self.resize is not None:
            x = self.resize(x)
        else:
            x = F.interpolate(x.unsqueeze(0), size=(self.size, self.size), mode="bilinear", align_corners=False)[0]
        return x, self.labels[i]


def batches_classic(images, labels, size, batch, shuffle, workers, device):
    loader = torch.utils.data.DataLoader(ResizedFashionMnist(images, labels, size), batch_size=batch, shuffle=shuffle,
                                         num_workers=workers, pin_memory=device.type == "cuda",
                                         persistent_workers=False)
    for x, y in loader:
        yield x.to(device, non_blocking=True), y.to(device, non_blocking=True)


def batches_compute(images, labels, size, batch, shuffle, device):
    order = torch.randperm(len(labels), device=device) if shuffle else torch.arange(len(labels), device=device)
    for start in range(0, len(labels), batch):
        index = order[start:start + batch]
        x = images[index].float().div(255).unsqueeze(1)
        yield F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False), labels[index]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["classic", "compute"], default="compute")
    parser.add_argument("--data-dir", default=os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1))
    parser.add_argument("--resize", type=int, default=224)
    parser.add_argument("--limit-train", type=int, help="train on the first N training images only")
    parser.add_argument("--limit-test", type=int, help="test on the first N test images only")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--threads", type=int, help="CPU threads of the training process (--device cpu)")
    args = parser.parse_args()
    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    train_x, train_y = load(args.data_dir, "train")
    test_x, test_y = load(args.data_dir, "t10k")
    train_x, train_y = train_x[:args.limit_train], train_y[:args.limit_train]
    test_x, test_y = test_x[:args.limit_test], test_y[:args.limit_test]
    if args.mode == "compute":
        train_x, train_y, test_x, test_y = (t.to(device) for t in (train_x, train_y, test_x, test_y))

    def batches(images, labels, shuffle):
        if args.mode == "classic":
            return batches_classic(images, labels, args.resize, args.batch_size, shuffle, args.workers, device)
        return batches_compute(images, labels, args.resize, args.batch_size, shuffle, device)

    model = AlexNet().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    synchronize = torch.cuda.synchronize if on_gpu else (lambda: None)
    if on_gpu:
        torch.cuda.reset_peak_memory_stats()
    for epoch in range(1, args.epochs + 1):
        synchronize()
        start = time.perf_counter()
        model.train()
        loss_sum, correct, seen = torch.zeros((), device=device), torch.zeros((), device=device), 0
        for x, y in batches(train_x, train_y, True):
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(y)
            correct += (logits.argmax(1) == y).sum()
            seen += len(y)
        model.eval()
        test_correct = torch.zeros((), device=device)
        with torch.no_grad():
            for x, y in batches(test_x, test_y, False):
                test_correct += (model(x).argmax(1) == y).sum()
        synchronize()
        seconds = time.perf_counter() - start
        test_acc = test_correct.item() / len(test_y)
        print(f"epoch {epoch}, train loss {loss_sum.item() / seen:.4f}, train acc {correct.item() / seen:.4f}, "
              f"test acc {test_acc:.4f}, time {seconds:.1f} sec", flush=True)
    if on_gpu:
        peak_mib = torch.cuda.max_memory_reserved() / 2**20
    else:
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"RESULT {args.mode} seconds={seconds:.2f} images_per_s={len(train_y) / seconds:.0f} "
          f"peak_mib={peak_mib:.0f} test_acc={test_acc:.4f}")


if __name__ == "__main__":
    main()

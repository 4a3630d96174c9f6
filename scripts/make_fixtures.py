#!/usr/bin/env python3
"""Writes the PyTorch-computed fixtures that rustgrad's tests compare against.

Each case stores its inputs, an upstream gradient `grad_out` (the gradient of some loss with
respect to the op's output), the op's output and the gradients PyTorch computes for every input.
Everything is float32 except labels and indices (int64, as PyTorch keeps them).

Run from the repository root (needs torch and safetensors):
    python3 scripts/make_fixtures.py
"""
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

OUT = "autograd/tests/fixtures/pytorch_ops.safetensors"


def conv_case(name, batch, cin, cout, size, kernel, stride, padding):
    x = torch.randn(batch, cin, size, size, requires_grad=True)
    w = torch.randn(cout, cin, kernel, kernel, requires_grad=True)
    b = torch.randn(cout, requires_grad=True)
    y = F.conv2d(x, w, b, stride=stride, padding=padding)
    g = torch.randn_like(y)
    y.backward(g)
    return {
        f"{name}.x": x, f"{name}.w": w, f"{name}.b": b, f"{name}.out": y,
        f"{name}.grad_out": g, f"{name}.grad_x": x.grad, f"{name}.grad_w": w.grad,
        f"{name}.grad_b": b.grad,
    }


def pool_case(name, shape, kernel, stride, padding):
    x = torch.randn(*shape, requires_grad=True)
    y, indices = F.max_pool2d(x, kernel, stride, padding, return_indices=True)
    g = torch.randn_like(y)
    y.backward(g)
    return {
        f"{name}.x": x, f"{name}.out": y, f"{name}.indices": indices,
        f"{name}.grad_out": g, f"{name}.grad_x": x.grad,
    }


def avg_pool_case(name, shape, kernel, stride, padding):
    # PyTorch's defaults: count_include_pad=True (padded zeros count), ceil_mode=False.
    x = torch.randn(*shape, requires_grad=True)
    y = F.avg_pool2d(x, kernel, stride, padding)
    g = torch.randn_like(y)
    y.backward(g)
    return {
        f"{name}.x": x, f"{name}.out": y, f"{name}.grad_out": g, f"{name}.grad_x": x.grad,
    }


def cross_entropy_case(name, rows, classes):
    logits = (3 * torch.randn(rows, classes)).requires_grad_()
    labels = torch.randint(0, classes, (rows,))
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    return {
        f"{name}.logits": logits, f"{name}.labels": labels,
        f"{name}.loss": loss.reshape(1), f"{name}.grad_logits": logits.grad,
    }


def sigmoid_case(name, shape):
    # Normal values, then very large magnitudes on both sides (σ saturates, its slope vanishes).
    x = torch.cat([torch.randn(*shape).flatten(), torch.tensor([-90.0, -30.0, -12.0, 12.0, 30.0, 90.0])])
    x.requires_grad_()
    y = torch.sigmoid(x)
    g = torch.randn_like(y)
    y.backward(g)
    return {f"{name}.x": x, f"{name}.out": y, f"{name}.grad_out": g, f"{name}.grad_x": x.grad}


def cat_case(name, shapes, dim):
    parts = [torch.randn(*shape, requires_grad=True) for shape in shapes]
    y = torch.cat(parts, dim)
    g = torch.randn_like(y)
    y.backward(g)
    tensors = {f"{name}.out": y, f"{name}.grad_out": g}
    for i, part in enumerate(parts):
        tensors |= {f"{name}.x{i}": part, f"{name}.grad_x{i}": part.grad}
    return tensors


def narrow_case(name, shape, dim, start, length):
    x = torch.randn(*shape, requires_grad=True)
    y = x.narrow(dim, start, length)
    g = torch.randn_like(y)
    y.backward(g)
    return {f"{name}.x": x, f"{name}.out": y, f"{name}.grad_out": g, f"{name}.grad_x": x.grad}


def adaptive_avg_pool_case(name, shape, output_size):
    x = torch.randn(*shape, requires_grad=True)
    y = F.adaptive_avg_pool2d(x, output_size)
    g = torch.randn_like(y)
    y.backward(g)
    return {f"{name}.x": x, f"{name}.out": y, f"{name}.grad_out": g, f"{name}.grad_x": x.grad}


def main():
    torch.manual_seed(0)
    tensors = {}
    # AlexNet's conv1 geometry (kernel 11, stride 4, no padding) and conv2's (kernel 5, padding 2).
    tensors |= conv_case("conv_k11_s4", batch=2, cin=1, cout=4, size=27, kernel=11, stride=4, padding=0)
    tensors |= conv_case("conv_k5_p2", batch=2, cin=3, cout=4, size=9, kernel=5, stride=1, padding=2)
    tensors |= conv_case("conv_k3_p1", batch=1, cin=5, cout=3, size=7, kernel=3, stride=1, padding=1)
    # Overlapping windows (kernel 3, stride 2), as after every AlexNet conv block; and with padding.
    tensors |= pool_case("pool_k3_s2", (2, 3, 13, 13), kernel=3, stride=2, padding=0)
    tensors |= pool_case("pool_k3_s2_p1", (1, 2, 8, 9), kernel=3, stride=2, padding=1)
    tensors |= cross_entropy_case("cross_entropy", rows=7, classes=10)
    # Added after the others so that their random draws (and tensors) stay as they were.
    tensors |= avg_pool_case("avg_pool_k3_s2", (2, 3, 13, 13), kernel=3, stride=2, padding=0)
    tensors |= avg_pool_case("avg_pool_k3_s2_p1", (1, 2, 8, 9), kernel=3, stride=2, padding=1)
    tensors |= avg_pool_case("avg_pool_k2_s2", (2, 2, 6, 7), kernel=2, stride=2, padding=0)
    # The ops of issue #15 (LeNet's sigmoid, GoogLeNet's channel concatenation, NiN's and
    # ResNet's global average pooling), again after the others.
    tensors |= sigmoid_case("sigmoid", (3, 5))
    tensors |= cat_case("cat_dim1", [(2, 3, 4, 5), (2, 1, 4, 5), (2, 2, 4, 5)], dim=1)
    tensors |= narrow_case("narrow_dim2", (2, 3, 7, 5), dim=2, start=2, length=4)
    tensors |= adaptive_avg_pool_case("adaptive_avg_pool_7x5_to_3x2", (2, 3, 7, 5), (3, 2))
    tensors |= adaptive_avg_pool_case("adaptive_avg_pool_to_1x1", (2, 4, 7, 7), (1, 1))
    tensors |= adaptive_avg_pool_case("adaptive_avg_pool_2x3_to_5x4", (1, 2, 2, 3), (5, 4))
    tensors = {k: v.detach().contiguous() for k, v in tensors.items()}
    save_file(tensors, OUT)
    print(f"wrote {len(tensors)} tensors to {OUT} (torch {torch.__version__})")


if __name__ == "__main__":
    main()

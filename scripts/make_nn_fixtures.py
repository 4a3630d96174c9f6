#!/usr/bin/env python3
"""Writes the PyTorch-computed fixtures of the nn crate's tests (nn/tests/fixtures/):

- optimizers.safetensors: a parameter, four gradients, and the parameter after each step of
  torch.optim.Adam / SGD under several settings;
- resize.safetensors: images and their F.interpolate(mode="bilinear", align_corners=False) resizes;
- mlp_{f32,f16,bf16}.safetensors + mlp_io.safetensors: a small PyTorch MLP's state_dict in three
  precisions, an input batch and PyTorch's logits for it;
- alexnet_state_dict.txt: name and shape of every entry of the classic AlexNet's state_dict;
- batch_norm.safetensors: BatchNorm1d/2d in training (output, gradients of x, weight and bias,
  the running statistics after the step) and then in evaluation;
- batch_norm_state.safetensors: the state_dict of Conv2d + BatchNorm2d after three training-mode
  batches: parameters and the buffers running_mean, running_var and num_batches_tracked (int64).

Run from the repository root (needs torch and safetensors):
    python3 scripts/make_nn_fixtures.py
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

from alexnet_step_pytorch import AlexNet

OUT = "nn/tests/fixtures"


def optimizer_cases():
    torch.manual_seed(0)
    p0 = torch.randn(5, 3)
    grads = [torch.randn(5, 3) for _ in range(4)]
    tensors = {"p0": p0}
    for i, g in enumerate(grads):
        tensors[f"grad{i}"] = g
    cases = {
        "adam": lambda p: torch.optim.Adam([p], lr=0.01),
        "adam_wd": lambda p: torch.optim.Adam([p], lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        "sgd": lambda p: torch.optim.SGD([p], lr=0.1),
        "sgd_momentum_wd": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01),
        "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True),
    }
    for name, make in cases.items():
        p = p0.clone().requires_grad_()
        opt = make(p)
        for i, g in enumerate(grads):
            p.grad = g.clone()
            opt.step()
            tensors[f"{name}.step{i}"] = p.detach().clone()
    save_file(tensors, f"{OUT}/optimizers.safetensors")


def resize_cases():
    torch.manual_seed(1)
    x = torch.rand(1, 1, 28, 28)
    tensors = {"x": x}
    for h, w in [(224, 224), (50, 37), (13, 13)]:
        tensors[f"to_{h}x{w}"] = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
    save_file(tensors, f"{OUT}/resize.safetensors")


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 10))

    def forward(self, x):
        return self.net(x)


def checkpoint_cases():
    torch.manual_seed(2)
    model = Mlp()
    x = torch.rand(4, 1, 28, 28)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, f"{OUT}/mlp_f32.safetensors")
    save_file({k: v.half() for k, v in state.items()}, f"{OUT}/mlp_f16.safetensors")
    save_file({k: v.bfloat16() for k, v in state.items()}, f"{OUT}/mlp_bf16.safetensors")
    with torch.no_grad():
        save_file({"x": x, "logits": model(x)}, f"{OUT}/mlp_io.safetensors")


def alexnet_names():
    with open(f"{OUT}/alexnet_state_dict.txt", "w") as f:
        for name, tensor in AlexNet().state_dict().items():
            f.write(f"{name} {','.join(map(str, tensor.shape))}\n")


def batch_norm_cases():
    torch.manual_seed(4)
    tensors = {}
    for name, layer, shape in [
        ("bn2d", nn.BatchNorm2d(3), (4, 3, 5, 5)),
        ("bn1d", nn.BatchNorm1d(6), (5, 6)),
        ("bn1d_3d", nn.BatchNorm1d(2), (3, 2, 4)),
    ]:
        with torch.no_grad():
            layer.weight.uniform_(0.5, 1.5)
            layer.bias.uniform_(-0.5, 0.5)
        x = (torch.randn(shape) * 2 + 1).requires_grad_()
        g = torch.randn(shape)
        tensors.update({f"{name}.x": x.detach().clone(), f"{name}.g": g,
                        f"{name}.weight": layer.weight.detach().clone(),
                        f"{name}.bias": layer.bias.detach().clone()})
        layer.train()
        y = layer(x)
        (y * g).sum().backward()
        tensors.update({f"{name}.y_train": y.detach(), f"{name}.dx": x.grad,
                        f"{name}.dweight": layer.weight.grad, f"{name}.dbias": layer.bias.grad,
                        f"{name}.running_mean": layer.running_mean.clone(),
                        f"{name}.running_var": layer.running_var.clone()})
        layer.eval()
        with torch.no_grad():
            tensors[f"{name}.y_eval"] = layer(x)
    save_file({k: v.contiguous() for k, v in tensors.items()}, f"{OUT}/batch_norm.safetensors")


def batch_norm_state():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3))
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.rand(4, 1, 6, 6))
    save_file(dict(model.state_dict()), f"{OUT}/batch_norm_state.safetensors")


if __name__ == "__main__":
    optimizer_cases()
    resize_cases()
    checkpoint_cases()
    alexnet_names()
    batch_norm_state()
    batch_norm_cases()
    print(f"wrote the nn fixtures to {OUT} (torch {torch.__version__})")

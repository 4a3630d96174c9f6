#!/usr/bin/env python3
"""Writes nn/tests/fixtures/models/<model>.safetensors: what PyTorch computes with the book's CNNs
(scripts/d2l_models.py) from weights and a batch that nn/tests/models_vs_pytorch.rs computes too,
so that the test can show each of rustgrad's models is the book's model: same outputs, same loss,
same gradients and the same parameters after one SGD step.

The weights are not in the fixtures (ResNet-18 has 11M parameters, VGG 43M): both sides make them
from a formula (`twin` below; the test's `twin` module is its twin, and each must be changed with
the other). Every value comes out bit-identical on both sides: integer hashing in u64, then a
few IEEE double operations (+, -, *, /, sqrt, all correctly rounded in Python and Rust alike) and
one rounding to f32.

A fixture holds (names as the test reads them):
    logits         [B, 10]  a model with neither dropout nor batch norm (LeNet, GoogLeNet): one mode
    logits.eval    [B, 10]  eval mode (model.eval()): dropout off, batch norm's running statistics
    logits.train   [B, 10]  batch-norm models in train mode (batch statistics)
    loss           []       the mean cross-entropy of the pass the step is taken from
    running.<buffer>        batch-norm models: every buffer after the train-mode pass, whole
    grad.<param>.norm, grad.<param>.samples      the gradient: L2 norm and 16 sampled values
    step.<param>.norm, step.<param>.samples      the parameter after one torch.optim.SGD step
and in its metadata the model, the batch size, the input side, the learning rate and
`zero_gradients`: the parameters whose gradient is exactly 0 (found by the same pass in float64):
the bias of a layer whose output feeds only batch norms, which subtract the batch mean and so
undo any constant shift; what f32 leaves there is rounding noise.

Which pass the step is taken from, as the book trains each model (model.train()):
- batch-norm models (bn-lenet, resnet18, densenet): train mode.
- models with dropout (alexnet, vgg, nin) and no batch norm: in train mode with dropout off they
  compute exactly what eval mode does, so the step is taken from an eval-mode pass with
  gradients (model.eval(), grad enabled), which draws no random masks.
- lenet, googlenet: train mode, which is the only mode they have.

Batches: 2 images, 4 for the batch-norm models (so that batch statistics mean something) and 8
for BN-LeNet, whose BatchNorm1d layers normalise each feature over the batch alone: over 4 values
they amplify rounding about 50-fold (gradients then agree to ~1e-4 only), over 8 about 10-fold.

    /tmp/torch/bin/python scripts/make_model_fixtures.py [NAME ...]   # about half a minute
    /tmp/torch/bin/python scripts/make_model_fixtures.py --sensitivity [NAME ...]

`--sensitivity` writes nothing: it shows how far a model's gradients are from a smooth function of
its weights, the reason for the test's gradient tolerances. In float64 it perturbs every weight by
a relative 1e-6 (the size of the rounding an f32 forward pass accumulates) and prints, per run,
how far the sampled gradients and their norms move, relative to their scale. Through sigmoids and
average pooling they move by ~1e-6 · the conditioning; through ReLU and max pooling, whenever a
decision sits within rounding of its threshold, by up to a few 1e-2 in some runs.
(torch 2.x on CPU was used. The values written do not change from run to run; the order of
the metadata in the header does.)
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from d2l_models import MODELS, build

OUT = "nn/tests/fixtures/models"

BATCH_NORM = {"bn-lenet", "resnet18", "densenet"}
DROPOUT = {"alexnet", "vgg", "nin"}
# Images per batch (see above); the test has the same numbers.
BATCH = {"bn-lenet": 8, "resnet18": 4, "densenet": 4}


class twin:
    """The formula for weights and inputs. Twin of `mod twin` in nn/tests/models_vs_pytorch.rs."""

    MASK = 2**64 - 1
    # Labels of the batch's images (the first B of them).
    LABELS = [3, 7, 0, 9, 1, 5, 8, 2]
    SAMPLES = 16

    @staticmethod
    def fnv1a(text):
        """64-bit FNV-1a of the text's UTF-8 bytes: a seed per tensor name."""
        h = 0xCBF29CE484222325
        for byte in text.encode():
            h = ((h ^ byte) * 0x100000001B3) & twin.MASK
        return h

    @staticmethod
    def splitmix64(z):
        """splitmix64's output function, on numpy uint64 arrays (which wrap as u64 does)."""
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))

    @staticmethod
    def hashes(name, count):
        """`splitmix64(fnv1a(name) ^ i)` for i in 0..count."""
        i = np.arange(count, dtype=np.uint64)
        return twin.splitmix64(np.uint64(twin.fnv1a(name)) ^ i)

    @staticmethod
    def uniform(name, count):
        """u_i in [0, 1): the top 24 bits of hash i, over 2^24 (exact in f32 and f64)."""
        return (twin.hashes(name, count) >> np.uint64(40)).astype(np.float64) / 2.0**24

    @staticmethod
    def value(name, shape):
        """The tensor `name` of a state_dict, of this shape:
        - a weight of rank 2 or more (convolution, linear): (2u - 1) * sqrt(6 / fan_in), He's
          uniform bound, so that activations keep their scale through deep ReLU networks;
        - batch norm's `weight` and `running_var`: 1 + (2u - 1) / 4, in [0.75, 1.25);
        - any other of rank 1 (biases, `running_mean`): (2u - 1) / 4;
        - `num_batches_tracked` (rank 0): 0.
        Computed in f64, then rounded once to f32."""
        count = math.prod(shape)
        if len(shape) == 0:
            return torch.zeros(shape, dtype=torch.int64)
        u = twin.uniform(name, count)
        if len(shape) >= 2:
            values = (2 * u - 1) * math.sqrt(6 / (count // shape[0]))
        elif name.endswith(".weight") or name.endswith(".running_var"):
            values = 1 + (2 * u - 1) / 4
        else:
            values = (2 * u - 1) / 4
        return torch.from_numpy(values.astype(np.float32)).reshape(shape)

    @staticmethod
    def input_batch(batch, side):
        """The images: pixels u_i of the name "input", [batch, 1, side, side]."""
        count = batch * side * side
        values = twin.uniform("input", count).astype(np.float32)
        return torch.from_numpy(values).reshape(batch, 1, side, side)

    @staticmethod
    def sample_indices(name, count):
        """Which values of a tensor of `count` values a digest keeps: all of them if there are
        at most 16, else hash j of the name "sample <name>" modulo count, for j in 0..16."""
        if count <= twin.SAMPLES:
            return np.arange(count)
        return (twin.hashes(f"sample {name}", twin.SAMPLES) % np.uint64(count)).astype(np.int64)


def digest(prefix, name, tensor, out):
    """Its L2 norm (in f64) and its values at `twin.sample_indices`."""
    flat = tensor.detach().reshape(-1)
    out[f"{prefix}.{name}.norm"] = torch.linalg.vector_norm(flat.double()).float()
    out[f"{prefix}.{name}.samples"] = flat[twin.sample_indices(name, flat.numel())].clone()


def setup(name, dtype=torch.float32):
    """Model `name` with the twin weights, in the mode its step is taken from (see above), and its
    batch (images, labels)."""
    spec = MODELS[name]
    model = build(name)
    state = {key: twin.value(key, tuple(t.shape)) for key, t in model.state_dict().items()}
    model.load_state_dict(state, strict=True)
    model.to(dtype)
    if name in DROPOUT:
        model.eval()  # no batch norm, so this is train mode with dropout off
    else:
        model.train()
    batch = BATCH.get(name, 2)
    x = twin.input_batch(batch, spec.image_size).to(dtype)
    y = torch.tensor(twin.LABELS[:batch])
    return model, x, y


def gradients(model, x, y):
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()
    return {key: p.grad.clone() for key, p in model.named_parameters()}


def exact_zeros(grads):
    """The parameters whose float64 gradient (of `gradients`) is exactly 0 but for rounding: a
    bias whose gradient is below 1e-9 of its layer's weight's (rounding leaves ~1e-14 there)."""
    zero = []
    for key, g in grads.items():
        weight = grads.get(key.rsplit(".", 1)[0] + ".weight")
        if key.endswith(".bias") and weight is not None and g.norm() <= 1e-9 * weight.norm():
            zero.append(key)
    return zero


def zero_gradients(name):
    """The parameters of model `name` whose gradient is exactly 0, seen in float64."""
    return exact_zeros(gradients(*setup(name, torch.float64)))


def make(name):
    spec = MODELS[name]
    model, x, y = setup(name)
    out = {}
    if name in BATCH_NORM:
        model.eval()
        with torch.no_grad():
            out["logits.eval"] = model(x)
        model.train()
        logits = out["logits.train"] = model(x)
        for key, buffer in model.named_buffers():
            out[f"running.{key}"] = buffer.detach().clone()
    elif name in DROPOUT:
        logits = out["logits.eval"] = model(x)
    else:
        logits = out["logits"] = model(x)
    loss = out["loss"] = F.cross_entropy(logits, y)

    optimizer = torch.optim.SGD(model.parameters(), lr=spec.lr)
    optimizer.zero_grad()
    loss.backward()
    for key, parameter in model.named_parameters():
        digest("grad", key, parameter.grad, out)
    optimizer.step()
    for key, parameter in model.named_parameters():
        digest("step", key, parameter, out)

    out = {k: v.detach().contiguous() for k, v in out.items()}
    metadata = {
        "model": name,
        "batch": str(len(y)),
        "image_size": str(spec.image_size),
        "lr": repr(spec.lr),
        "zero_gradients": " ".join(zero_gradients(name) if name in BATCH_NORM else []),
        "torch": torch.__version__,
    }
    path = f"{OUT}/{name.replace('-', '_')}.safetensors"
    save_file(out, path, metadata=metadata)
    print(f"{path}: loss {loss.item():.6f}, {len(metadata['zero_gradients'].split())} zero "
          f"gradients, {os.path.getsize(path):,} bytes")


def sensitivity(name, runs=6, relative=1e-6):
    """Prints how far the float64 gradients move when every weight moves by `relative`."""
    torch.manual_seed(0)
    model, x, y = setup(name, torch.float64)
    base = gradients(model, x, y)
    zero = exact_zeros(base)
    weights = {key: p.detach().clone() for key, p in model.named_parameters()}
    samples, norms = [], []
    for _ in range(runs):
        with torch.no_grad():
            for key, p in model.named_parameters():
                noise = 2 * torch.rand_like(p) - 1
                p.copy_(weights[key] * (1 + relative * noise))
        moved = gradients(model, x, y)
        sample_change, norm_change = 0.0, 0.0
        for key, g in base.items():
            flat, new = g.reshape(-1), moved[key].reshape(-1)
            if key in zero:
                continue
            rms = flat.norm() / flat.numel() ** 0.5
            at = twin.sample_indices(key, flat.numel())
            scale = torch.maximum(flat[at].abs(), rms)
            sample_change = max(sample_change, ((new[at] - flat[at]).abs() / scale).max().item())
            norm_change = max(norm_change, abs(new.norm().item() / flat.norm().item() - 1))
        samples.append(sample_change)
        norms.append(norm_change)
    print(f"{name}: weights moved by {relative:g}: sampled gradients move by "
          f"{' '.join(f'{v:.0e}' for v in samples)} (of max(|g|, rms)); "
          f"norms by {' '.join(f'{v:.0e}' for v in norms)}")


def main():
    args = sys.argv[1:]
    if args and args[0] == "--sensitivity":
        for name in args[1:] or list(MODELS):
            sensitivity(name)
        return
    os.makedirs(OUT, exist_ok=True)
    for name in args or list(MODELS):
        make(name)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes nn/tests/fixtures/<model>_state_dict.txt: the name, shape and kind of every entry of the
state_dict of the CNNs of "Dive into Deep Learning" (d2l-en, PyTorch edition, chapters 7 and 8),
which nn/tests/models.rs compares with rustgrad's models.

The models are the book's code (Lazy layers and all), defined once in scripts/d2l_models.py,
which this script shares with make_model_fixtures.py and checkpoint_interop.py. Lazy layers get
their shapes from one forward pass on zeros at the book's input size, as in the book's
`apply_init`; the weights themselves do not matter, only names and shapes.

Each line is `<kind> <name> <shape>`, in state_dict order, e.g.
    parameter net.0.0.weight [64, 1, 7, 7]
    buffer net.0.1.num_batches_tracked []
PyTorch lists each module's parameters, then its buffers, then the next module's; rustgrad's
Module lists all parameters, then all buffers, so the test compares each kind in order.

Run from the repository root (needs torch):
    python3 scripts/make_model_names.py
(/tmp/torch/bin/python was used: torch 2.x on CPU.)
"""
from d2l_models import MODELS, build

OUT = "nn/tests/fixtures"

# The book's models; AlexNet's state_dict is listed by make_nn_fixtures.py.
BOOK_MODELS = ["lenet", "vgg", "nin", "googlenet", "bn-lenet", "resnet18", "densenet"]


def main():
    for name in BOOK_MODELS:
        model = build(name)
        count = MODELS[name].parameters
        parameters = sum(p.numel() for p in model.parameters())
        assert parameters == count, (name, parameters, count)
        parameter_names = {n for n, _ in model.named_parameters()}
        buffer_names = {n for n, _ in model.named_buffers()}
        state = model.state_dict()
        assert set(state) == parameter_names | buffer_names, name
        path = f"{OUT}/{name.replace('-', '_')}_state_dict.txt"
        with open(path, "w") as f:
            for key, tensor in state.items():
                kind = "parameter" if key in parameter_names else "buffer"
                f.write(f"{kind} {key} {list(tensor.shape)}\n")
        print(f"{path}: {len(state)} entries, {parameters:,} parameters")


if __name__ == "__main__":
    main()

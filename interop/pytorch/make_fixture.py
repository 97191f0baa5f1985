#!/usr/bin/python3
"""Makes the PyTorch side of vecmlp's interop test (src/test/java/dev/vecmlp/io/PyTorchInteropTest.java).

Needs Debian's python3-torch (1.13.1; it pulls in python3-numpy), which installs for the
system interpreter, so run it with that one rather than whatever python3 is first on PATH:

    apt-get install -y python3-torch
    /usr/bin/python3 interop/pytorch/make_fixture.py

For each network below it writes into src/test/resources/interop/pytorch/ (or the directory
given as the only argument):

    <name>.safetensors          the nn.Sequential's state dict, as a PyTorch user would save
                                it: no vecmlp metadata, so vecmlp must be told the architecture
    <name>.fixture.safetensors  a batch and what PyTorch made of it: x, target, y (the last
                                layer's outputs, logits for cross-entropy), loss, and
                                grad.<parameter> for every parameter; its metadata holds the
                                architecture as vecmlp's Mlp.toString spells it

The networks cover every activation vecmlp and torch share, a linear hidden layer (which takes
one Sequential index where the others take two), labels and probability targets for
cross-entropy, and an L2 term; widths avoid multiples of 16, vecmlp's row padding.

Seeded, float32, one thread and deterministic kernels: a re-run on the same machine and
torch build rewrites the files bit for bit. Another CPU or torch build may change the last
bits (vectorised random draws and kernels), which does not matter: the test compares vecmlp
with whatever fixture is committed, within a float32 tolerance.
"""

import pathlib
import sys

import torch

import safetensors_layout
import vecmlp_torch

BATCH = 5

# name, seed, inputs, layers, loss, l2, target kind
NETWORKS = [
    ("relu_tanh_ce", 61, 7, [(13, "relu"), (11, "tanh"), (5, "linear")], "softmax_cross_entropy", 0.0, "labels"),
    ("sigmoid_softplus_se", 62, 6, [(9, "logistic"), (8, "softplus"), (3, "linear")], "squared_error", 0.01, "values"),
    ("linear_relu_soft_ce", 63, 4, [(6, "linear"), (17, "relu"), (3, "linear")], "softmax_cross_entropy", 0.001,
     "distributions"),
]


def architecture(inputs, layers, loss, l2):
    """The network as vecmlp's Mlp.toString spells it, e.g. "7-13 relu-5 linear, softmax_cross_entropy"."""
    text = str(inputs) + "".join(f"-{width} {activation}" for width, activation in layers) + ", " + loss
    return text + (f", l2 {l2}" if l2 else "")


def targets(kind, outputs):
    if kind == "labels":
        return torch.randint(0, outputs, (BATCH,))
    if kind == "distributions":
        return torch.softmax(2 * torch.randn(BATCH, outputs), dim=1)
    return torch.randn(BATCH, outputs)


def main(out):
    vecmlp_torch.make_deterministic()
    for name, seed, inputs, layers, loss, l2, kind in NETWORKS:
        # Seeded per network, so that adding or reordering one leaves the others' files alone.
        torch.manual_seed(seed)
        net = vecmlp_torch.sequential(inputs, layers)
        x = 1.5 * torch.randn(BATCH, inputs)
        t = targets(kind, layers[-1][0])
        safetensors_layout.save(out / f"{name}.safetensors", net.state_dict())
        safetensors_layout.save(out / f"{name}.fixture.safetensors", vecmlp_torch.record(net, x, t, loss, l2),
                                {"architecture": architecture(inputs, layers, loss, l2), "torch": torch.__version__})
        print(f"wrote {name}: {architecture(inputs, layers, loss, l2)}")


if __name__ == "__main__":
    root = pathlib.Path(__file__).resolve().parents[2]
    main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "src/test/resources/interop/pytorch")

#!/usr/bin/python3
"""Makes the PyTorch files that vecmlp's command line is tested with (src/test/java/dev/vecmlp/cli/
PyTorchCommandsTest.java and src/test/java/dev/vecmlp/io/TorchSequentialTest.java).

Needs Debian's python3-torch, for the system interpreter, as make_fixture.py does:

    apt-get install -y python3-torch
    /usr/bin/python3 interop/pytorch/make_cli_fixture.py

Writes into src/test/resources/interop/pytorch/ (or the directory given as the only argument)
state dicts saved as a PyTorch user saves them (no vecmlp metadata), of nn.Sequential models
whose module numbering is not vecmlp's:

    dropout_identity.safetensors          Linear, ReLU, Dropout, Linear, Tanh, Identity, Linear:
                                          the Linear modules are 0, 3 and 6, where vecmlp's
                                          numbering of the same layers is 0, 2 and 4
    dropout_identity.fixture.safetensors  a batch x and what the network (in eval mode, so
                                          Dropout passes its input through) made of it: y, the
                                          logits, and p, their softmax
    batchnorm.safetensors                 Linear, BatchNorm1d, ReLU, Linear: a module with
                                          parameters that is not a Linear, which vecmlp refuses
    wrapped.safetensors                   the state dict of a module holding the Sequential as
                                          its attribute "layers", so every name starts "layers."

Seeded, float32, one thread: a re-run on the same machine and torch build rewrites the files
bit for bit.
"""

import pathlib
import sys

import torch
from torch import nn

import safetensors_layout
import vecmlp_torch

BATCH = 4


class Wrapped(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))

    def forward(self, x):
        return self.layers(x)


def main(out):
    vecmlp_torch.make_deterministic()

    torch.manual_seed(71)
    net = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Dropout(0.5), nn.Linear(7, 6), nn.Tanh(), nn.Identity(),
                        nn.Linear(6, 3))
    net.eval()
    x = 2 * torch.randn(BATCH, 5)
    with torch.no_grad():
        y = net(x)
    safetensors_layout.save(out / "dropout_identity.safetensors", net.state_dict())
    safetensors_layout.save(out / "dropout_identity.fixture.safetensors", {"x": x, "y": y, "p": torch.softmax(y, dim=1)},
                            {"architecture": "5-7 relu-6 tanh-3 linear, softmax_cross_entropy",
                             "torch": torch.__version__})
    print("wrote dropout_identity:", list(net.state_dict()))

    torch.manual_seed(72)
    net = nn.Sequential(nn.Linear(5, 7), nn.BatchNorm1d(7), nn.ReLU(), nn.Linear(7, 3))
    safetensors_layout.save(out / "batchnorm.safetensors", net.state_dict())
    print("wrote batchnorm:", list(net.state_dict()))

    torch.manual_seed(73)
    net = Wrapped()
    safetensors_layout.save(out / "wrapped.safetensors", net.state_dict())
    print("wrote wrapped:", list(net.state_dict()))


if __name__ == "__main__":
    root = pathlib.Path(__file__).resolve().parents[2]
    main(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "src/test/resources/interop/pytorch")

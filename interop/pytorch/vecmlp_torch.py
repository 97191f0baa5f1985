"""vecmlp's networks and objectives in PyTorch terms, shared by the interop scripts.

A vecmlp layer is nn.Linear followed by its activation module, with no module for a linear
layer, so tensor names come out as vecmlp's ModelFile names them ("0.weight", "2.bias", ...).
"""

import torch
from torch import nn

# vecmlp.layers spells activations in lower case; hard_threshold is left out on purpose: torch
# has no module for it, and its zero derivative makes it no use to a PyTorch user anyway.
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "logistic": nn.Sigmoid, "softplus": nn.Softplus}


def sequential(inputs, layers):
    """nn.Sequential for vecmlp's layers, a list of (width, activation name)."""
    modules = []
    for width, activation in layers:
        modules.append(nn.Linear(inputs, width))
        if activation != "linear":
            if activation not in ACTIVATIONS:
                raise ValueError(f"activation: expected linear or one of {sorted(ACTIVATIONS)}, found {activation!r}")
            modules.append(ACTIVATIONS[activation]())
        inputs = width
    return nn.Sequential(*modules)


def objective(net, y, target, loss, l2):
    """vecmlp's training objective: the data term averaged over the batch, plus l2/2 * sum of squared weights."""
    if loss == "softmax_cross_entropy":
        data = nn.functional.cross_entropy(y, target, reduction="mean")
    elif loss == "squared_error":
        data = 0.5 * ((y - target) ** 2).sum(dim=1).mean()
    else:
        raise ValueError(f"loss: expected softmax_cross_entropy or squared_error, found {loss!r}")
    if l2 == 0:
        return data
    weights = [p for name, p in net.named_parameters() if name.endswith(".weight")]
    # vecmlp holds λ as a float32 (0.01 is 0.0099999998f there), and so does this.
    half = torch.tensor(l2, dtype=torch.float32) / 2
    return data + half * sum((w ** 2).sum() for w in weights)


def record(net, x, target, loss, l2):
    """One forward and backward pass, as the tensors the Java test compares against vecmlp's."""
    net.zero_grad()
    y = net(x)
    value = objective(net, y, target, loss, l2)
    value.backward()
    out = {"x": x, "target": target, "y": y.detach(), "loss": value.detach()}
    for name, p in net.named_parameters():
        out["grad." + name] = p.grad.detach()
    return out


def make_deterministic():
    """One thread and deterministic kernels, so re-running a script rewrites the same bytes."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

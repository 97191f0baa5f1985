#!/usr/bin/python3
"""Loads a model file that vecmlp wrote into PyTorch, and records what PyTorch makes of a batch.

Needs Debian's python3-torch (1.13.1; it pulls in python3-numpy), for the system interpreter:

    apt-get install -y python3-torch
    /usr/bin/python3 interop/pytorch/check_vecmlp_file.py [MODEL.safetensors [FIXTURE.safetensors]]

The defaults are src/test/resources/interop/pytorch/vecmlp_model.safetensors, written by
src/test/java/dev/vecmlp/io/VecmlpInteropModel.java (its comment says how), and
vecmlp_model.fixture.safetensors beside it. Everything PyTorch needs comes from the file: the
nn.Sequential is built from the metadata (vecmlp.inputs, vecmlp.layers), the parameters are
loaded with strict=True (no tensor missing or left over), the inputs are scaled as
vecmlp.scaling says, and the loss is vecmlp.loss plus vecmlp.l2. The fixture holds the raw
batch x (vecmlp scales it itself), target, y, loss and grad.<parameter>, as make_fixture.py's do.

Seeded and deterministic like make_fixture.py: a re-run on the same machine and torch build
rewrites the fixture bit for bit.
"""

import pathlib
import sys

import torch

import safetensors_layout
import vecmlp_torch

BATCH = 5
SEED = 64


def float_list(text):
    # vecmlp writes each float with Java's Float.toString, the shortest decimal that reads back
    # to it, so parsing to double and rounding to float32 gives the same float.
    return torch.tensor([float(v) for v in text.strip("[]").split(",")], dtype=torch.float32)


def main(model_path, fixture_path):
    vecmlp_torch.make_deterministic()
    tensors, meta = safetensors_layout.load(model_path)
    if meta.get("vecmlp.version") != "1":
        raise SystemExit(f"{model_path}: expected vecmlp.version 1, found {meta.get('vecmlp.version')!r}")
    inputs = int(meta["vecmlp.inputs"])
    layers = [(int(width), activation) for width, activation in
              (part.split(":") for part in meta["vecmlp.layers"].split(","))]
    loss, l2 = meta["vecmlp.loss"], float(meta["vecmlp.l2"])

    net = vecmlp_torch.sequential(inputs, layers)
    net.load_state_dict(tensors, strict=True)

    torch.manual_seed(SEED)
    x = 3 * torch.randn(BATCH, inputs)
    outputs = layers[-1][0]
    target = torch.randint(0, outputs, (BATCH,)) if loss == "softmax_cross_entropy" else torch.randn(BATCH, outputs)
    scaled = x
    if meta.get("vecmlp.scaling", "none") != "none":
        # vecmlp's Scaling.apply: (x - offset) * factor per column, in float32.
        scaled = (x - float_list(meta["vecmlp.scaling.offset"])) * float_list(meta["vecmlp.scaling.factor"])

    fixture = vecmlp_torch.record(net, scaled, target, loss, l2)
    # The raw batch: the Java side applies the file's scaling itself, as a user of the file would.
    fixture["x"] = x
    safetensors_layout.save(fixture_path, fixture, {"model": pathlib.Path(model_path).name, "torch": torch.__version__})
    print(f"wrote {fixture_path}: {inputs} inputs, layers {meta['vecmlp.layers']}, {loss}, l2 {l2}, "
          f"loss {fixture['loss'].item()}")


if __name__ == "__main__":
    fixtures = pathlib.Path(__file__).resolve().parents[2] / "src/test/resources/interop/pytorch"
    model = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else fixtures / "vecmlp_model.safetensors"
    main(model, pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else model.with_suffix(".fixture.safetensors"))

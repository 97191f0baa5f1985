#!/usr/bin/python3
"""Exports a model file that vecmlp wrote to ONNX, through PyTorch, for the ONNX Runtime peer
benchmark (perf/cold-start.sh, dev.vecmlp.perf.ort.OrtColdStart).

    /usr/bin/python3 interop/pytorch/export_onnx.py MODEL.safetensors OUT.onnx

The nn.Sequential is built from the file's metadata and loaded with strict=True, as
check_vecmlp_file.py does; the graph takes inputs already scaled (vecmlp's Predictor does not
scale either) as "input" [batch, inputs] with a dynamic batch, and gives the last layer's
activations as "output". Needs Debian's python3-torch (1.13).
"""

import sys

import torch

import safetensors_layout
import vecmlp_torch


def main(model_path, onnx_path):
    tensors, meta = safetensors_layout.load(model_path)
    if meta.get("vecmlp.version") != "1":
        raise SystemExit(f"{model_path}: expected vecmlp.version 1 in the metadata, found {meta.get('vecmlp.version')!r}")
    inputs = int(meta["vecmlp.inputs"])
    layers = [(int(width), activation) for width, activation in
              (part.split(":") for part in meta["vecmlp.layers"].split(","))]
    net = vecmlp_torch.sequential(inputs, layers)
    net.load_state_dict(tensors, strict=True)
    net.eval()
    torch.onnx.export(net, torch.zeros(1, inputs), onnx_path, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=13)
    print(f"{onnx_path}: {inputs} inputs, layers {meta['vecmlp.layers']}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: export_onnx.py MODEL.safetensors OUT.onnx")
    main(sys.argv[1], sys.argv[2])

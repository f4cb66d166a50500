#!/usr/bin/env python3
"""Record parameter counts of torchvision reference models for DeepSwift's model-zoo tests.

Usage (needs torch + torchvision; CPU is enough):

    /work/venv-torch/bin/pip install torchvision
    /work/venv-torch/bin/python Tests/Fixtures/torch/generate_zoo_counts.py

Writes zoo_parameter_counts.json next to this script:

    {
      "_meta": {...versions, conventions...},
      "<model>": {
        "parameters": total number of parameter elements,
        "trainable": elements of parameters with requires_grad,
        "buffers": buffer elements, num_batches_tracked excluded,
        "per_module": [[dotted_name, shape, count], ...]   # named_parameters() order
      },
      ...,
      "resnet18_shapes": {"conv1": [1, 64, 112, 112], ...}
    }

Models: torchvision.models.<name>(weights=None, num_classes=1000) for vgg16, vgg19,
resnet18, resnet34, resnet50, mobilenet_v2, alexnet. Counts do not depend on the
random initialisation; models are built on the "meta" device (no memory, no
init cost) and resnet18 is cross-checked on the CPU. resnet18_shapes: output
shape of each top-level child for a (1, 3, 224, 224) input, applied in
order as ResNet.forward does (torch.flatten(x, 1) between avgpool and fc).
The output is deterministic (no randomness enters any recorded number).
"""

import json
import os
import sys

import torch
import torchvision
from torchvision import models

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "zoo_parameter_counts.json")
SIZE_LIMIT = 400_000  # bytes
MODELS = ["vgg16", "vgg19", "resnet18", "resnet34", "resnet50", "mobilenet_v2", "alexnet"]

torch.set_num_threads(1)
torch.manual_seed(0)


def build(name, device):
    with torch.device(device):
        return getattr(models, name)(weights=None, num_classes=1000)


def summarize(model):
    per = [[n, list(p.shape), p.numel()] for n, p in model.named_parameters()]
    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "buffers": sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked")),
        "per_module": per,
    }


def resnet18_shapes():
    m = build("resnet18", "cpu").eval()
    x = torch.zeros(1, 3, 224, 224)
    shapes = {}
    with torch.no_grad():
        for name, child in m.named_children():
            if name == "fc":
                x = torch.flatten(x, 1)
            x = child(x)
            shapes[name] = list(x.shape)
    assert list(shapes) == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4",
                            "avgpool", "fc"], list(shapes)
    return shapes, m


def dump(obj):
    """json with one line per per_module entry (readable, stable, compact)."""
    lines = ["{"]
    items = list(obj.items())
    for i, (k, v) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(v, dict) and isinstance(v.get("per_module"), list):
            lines.append(f"  {json.dumps(k)}: {{")
            sub = [(kk, vv) for kk, vv in v.items() if kk != "per_module"]
            for kk, vv in sub:
                lines.append(f"    {json.dumps(kk)}: {json.dumps(vv)},")
            lines.append('    "per_module": [')
            pm = v["per_module"]
            for j, e in enumerate(pm):
                lines.append("      " + json.dumps(e) + ("," if j < len(pm) - 1 else ""))
            lines.append("    ]")
            lines.append("  }" + comma)
        elif isinstance(v, dict):
            lines.append(f"  {json.dumps(k)}: {{")
            sub = list(v.items())
            for j, (kk, vv) in enumerate(sub):
                lines.append(f"    {json.dumps(kk)}: {json.dumps(vv)}" + ("," if j < len(sub) - 1 else ""))
            lines.append("  }" + comma)
        else:
            lines.append(f"  {json.dumps(k)}: {json.dumps(v)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    out = {
        "_meta": {
            "generator": "Tests/Fixtures/torch/generate_zoo_counts.py",
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "constructor": "torchvision.models.<name>(weights=None, num_classes=1000)",
            "parameters": "sum of numel over model.parameters()",
            "trainable": "sum of numel over parameters with requires_grad (all of them for a fresh model)",
            "buffers": "sum of numel over model.named_buffers(), num_batches_tracked excluded "
                       "(i.e. BatchNorm running_mean + running_var)",
            "per_module": "[dotted parameter name, shape, numel] for every parameter, in named_parameters() order",
            "resnet18_shapes": "output shape of each top-level child of resnet18 for a (1,3,224,224) input, "
                               "children applied in order; torch.flatten(x, 1) before fc as in ResNet.forward",
        }
    }
    for name in MODELS:
        out[name] = summarize(build(name, "meta"))
        print(f"  {name:13s} parameters {out[name]['parameters']:>11,d}  buffers {out[name]['buffers']:>6d}  "
              f"tensors {len(out[name]['per_module'])}")
    shapes, r18 = resnet18_shapes()
    assert summarize(r18) == out["resnet18"], "meta vs cpu resnet18 summary differ"
    out["resnet18_shapes"] = shapes

    text = dump(out)
    assert json.loads(text) == json.loads(json.dumps(out))
    with open(OUT, "w") as fh:
        fh.write(text)
    sz = os.path.getsize(OUT)
    print(f"wrote {OUT}: {sz} bytes (torch {torch.__version__}, torchvision {torchvision.__version__})")
    if sz >= SIZE_LIMIT:
        print(f"ERROR: over {SIZE_LIMIT} bytes", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

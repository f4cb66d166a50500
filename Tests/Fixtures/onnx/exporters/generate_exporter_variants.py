#!/usr/bin/env python3
"""Exports of the same architectures by both of PyTorch's ONNX exporters, without post-processing:
the TorchScript exporter (opset 17; its Transformer graph keeps the `Mod` node that
generate_onnx_fixtures.py folds away) and the dynamo exporter (opset 20; different operator choices:
Reshape instead of Flatten, ReduceMean instead of GlobalAveragePool, Expand/Slice around the LSTM).
Plus a MobileNet-style block with ReLU6 (`Clip`) and Hardswish.

Usage: /work/venv-torch/bin/python Tests/Fixtures/onnx/exporters/generate_exporter_variants.py
(torch, onnx, onnxscript). Writes NAME_{ts,dynamo}.onnx and NAME_io.npz (input_0, output_0: PyTorch's
eval-mode output) next to this script.
"""
import os
os.chdir(os.path.dirname(os.path.abspath(__file__)))
import torch, numpy as np, onnx, collections, io, zipfile
torch.manual_seed(0)
class TE(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.l = torch.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True); s.fc = torch.nn.Linear(16, 3)
    def forward(s, x): return s.fc(s.l(x).mean(1))
class LSTMText(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.e = torch.nn.Embedding(30, 8); s.r = torch.nn.LSTM(8, 16, batch_first=True); s.fc = torch.nn.Linear(16, 5)
    def forward(s, x): y, _ = s.r(s.e(x)); return s.fc(y[:, -1])
class Res(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.c1 = torch.nn.Conv2d(3, 8, 3, padding=1, bias=False); s.b1 = torch.nn.BatchNorm2d(8); s.c2 = torch.nn.Conv2d(8, 8, 3, padding=1, bias=False); s.b2 = torch.nn.BatchNorm2d(8); s.sc = torch.nn.Conv2d(3, 8, 1); s.fc = torch.nn.Linear(8, 3)
    def forward(s, x):
        y = torch.relu(s.b1(s.c1(x))); y = s.b2(s.c2(y)); y = torch.relu(y + s.sc(x)); return s.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(y, 1), 1))
lenet = torch.nn.Sequential(torch.nn.Conv2d(1,6,5,padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(6,16,5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(400,120), torch.nn.ReLU(), torch.nn.Linear(120,84), torch.nn.ReLU(), torch.nn.Linear(84,10))
mobile = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU6(), torch.nn.Conv2d(8, 8, 3, padding=1, groups=8), torch.nn.Hardswish(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, 4))
cases = {"te": (TE(), torch.randn(3, 6, 16)), "lstm": (LSTMText(), torch.randint(0, 30, (3, 7))), "res": (Res(), torch.randn(3, 3, 8, 8)),
         "mobile": (mobile, torch.randn(3, 3, 16, 16))}
for name, (m, x) in cases.items():
    m.eval()
    with torch.no_grad(): y = m(x)
    for dyn in [True, False]:
        path = f"{name}_{'dynamo' if dyn else 'ts'}.onnx"
        try:
            if dyn:
                torch.onnx.export(m, (x,), path, dynamo=True, dynamic_shapes=({0: torch.export.Dim("N", min=1, max=64)},), external_data=False)
            else:
                torch.onnx.export(m, (x,), path, dynamo=False, opset_version=17, input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
            mo = onnx.load(path)
            ops = collections.Counter(n.op_type for n in mo.graph.node)
            print(path, [o.version for o in mo.opset_import if o.domain in ("", "ai.onnx")], dict(ops))
            with zipfile.ZipFile(f"{name}_io.npz", "w", compression=zipfile.ZIP_STORED) as zf:
                for key, array in [("input_0", x.numpy()), ("output_0", y.numpy().astype(np.float32))]:
                    buffer = io.BytesIO(); np.save(buffer, array)
                    zf.writestr(zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue())
        except Exception as e:
            print(path, "FAILED", str(e)[:200])

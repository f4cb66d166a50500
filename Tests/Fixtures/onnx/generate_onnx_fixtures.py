#!/usr/bin/env python3
"""Generate ONNX model fixtures (+ reference inputs/outputs) for DeepSwift's ONNX importer.

Usage (from the repository root):

    /work/venv-torch/bin/python Tests/Fixtures/onnx/generate_onnx_fixtures.py

Requirements: torch (2.15 was used), numpy, onnx, onnxscript (only for the opset-21 variant,
which needs the dynamo exporter) and onnxruntime (verification).

For every case NAME this writes, next to this script:
  NAME.onnx         opset 17, TorchScript exporter (torch.onnx.export(..., dynamo=False))
  NAME_op13.onnx    (cases marked op13) same module at opset 13
  NAME_op20.onnx    (gelu_layernorm) opset 20, which has a native Gelu op
  mlp_op21.onnx     opset 21 via the dynamo (torch.export) exporter; TorchScript tops out at 20
  NAME_io.npz       input_0.. (graph inputs in order) and output_0.. (graph outputs in order),
                    batch 3; outputs computed by PyTorch (eval mode) and checked against
                    onnxruntime for every .onnx variant of the case (max abs diff < 1e-4)
  NAME_io_b5.npz    same keys, batch 5 (exercises the symbolic batch dimension)
and MANIFEST.md (per-file summary: ops, I/O, initializers, RNN node details, diffs).

Everything is deterministic: torch.manual_seed(0) plus np.random.default_rng(seed) per case.
"""

import collections
import hashlib
import io
import os
import sys
import warnings
import zlib

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = 1e-4
BATCH_DIM = "N"

ALLOWED_OPS = set("""Gemm MatMul Add Sub Mul Div Pow Sqrt Exp Log Erf Relu LeakyRelu Sigmoid Tanh
Gelu Softmax LogSoftmax Conv ConvTranspose MaxPool AveragePool GlobalAveragePool
BatchNormalization LayerNormalization Flatten Reshape Transpose Concat Split Slice Gather
Squeeze Unsqueeze Shape Constant ConstantOfShape Cast Identity Dropout ReduceMean ReduceSum
Where Equal Expand LSTM GRU""".split())


# --------------------------------------------------------------------------------------------
# Modules
# --------------------------------------------------------------------------------------------

def make_mlp():
    return nn.Sequential(
        nn.Linear(20, 32), nn.ReLU(), nn.Dropout(0.1),
        nn.Linear(32, 16), nn.Tanh(),
        nn.Linear(16, 4), nn.Softmax(dim=1))


def make_lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


class ResNetBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.shortcut = nn.Conv2d(3, 8, 1, stride=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        y = F.relu(y + self.shortcut(x))
        y = torch.flatten(self.pool(y), 1)
        return self.fc(y)


class ConvMisc(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, stride=2, padding=1, dilation=1, groups=2)
        self.act = nn.LeakyReLU(0.1)
        self.deconv = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1)
        self.pool = nn.AvgPool2d(2, stride=2)

    def forward(self, x):                      # [N,2,8,8]
        y = self.act(self.conv(x))             # [N,4,4,4]
        y = torch.sigmoid(self.deconv(y))      # [N,3,8,8]
        y = self.pool(y)                       # [N,3,4,4]
        y = y * 0.5 + 1.0                      # Mul / Add with constants
        y = torch.sqrt(y * y + 1.0)            # Mul, Add, Sqrt
        y = y.mean(dim=(2, 3), keepdim=True)   # ReduceMean -> [N,3,1,1]
        return torch.flatten(y, 1)             # [N,3]


class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(30, 8)
        self.lstm = nn.LSTM(8, 16, batch_first=True)
        self.fc = nn.Linear(16, 5)

    def forward(self, ids):                    # int64 [N,7]
        out, _ = self.lstm(self.emb(ids))      # [N,7,16]
        return self.fc(out[:, -1, :])          # [N,5]


class GRUTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(6, 10, batch_first=True, num_layers=1)
        self.fc = nn.Linear(10, 3)

    def forward(self, x):                      # [N,5,6]
        out, _ = self.gru(x)                   # [N,5,10]
        return self.fc(out)                    # [N,5,3]


class BiLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 6, batch_first=True, bidirectional=True)

    def forward(self, x):                      # [N,5,4]
        out, _ = self.lstm(x)
        return out                             # [N,5,12]


class TransformerClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32,
                                              dropout=0.0, batch_first=True)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):                      # [N,6,16]
        return self.fc(self.enc(x).mean(dim=1))


class _NeedWeightsEncoderLayer(nn.TransformerEncoderLayer):
    """Identical maths to nn.TransformerEncoderLayer, but self-attention is called with
    need_weights=True so F.multi_head_attention_forward takes the explicit
    bmm/softmax/bmm path instead of F.scaled_dot_product_attention (which the TorchScript
    exporter only supports from opset 14)."""

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=True, is_causal=is_causal)[0]
        return self.dropout1(x)


class TransformerClassifierNoSDPA(TransformerClassifier):
    def __init__(self):
        super().__init__()
        self.enc = _NeedWeightsEncoderLayer(d_model=16, nhead=4, dim_feedforward=32,
                                            dropout=0.0, batch_first=True)


def make_gelu_layernorm():
    return nn.Sequential(nn.Linear(8, 8), nn.GELU(approximate="none"), nn.LayerNorm(8),
                         nn.Linear(8, 2))


class ShapeOps(nn.Module):
    """Shape-manipulation / elementwise grab bag. Input [N,4,6]; two outputs."""

    def forward(self, x):
        n = x.size(0)
        flat = x.view(n, -1)                            # Shape/Gather/Unsqueeze/Concat/Reshape [N,24]
        t = x.permute(0, 2, 1)                          # Transpose [N,6,4]
        a, b = torch.split(x, [2, 4], dim=2)            # Split [N,4,2], [N,4,4]
        s = x[:, 1:3]                                   # Slice [N,2,6]
        # leaky-relu-like select without Greater: Relu -> Equal(0) -> Where
        w = torch.where(torch.relu(x) == 0, x * 0.1, x)
        ls = F.log_softmax(x, dim=-1)                   # LogSoftmax
        e = torch.exp(x * 0.5)                          # Exp
        lg = torch.log(torch.sqrt(x * x) + 1.0)         # |x| via sqrt(x*x) (no Abs), Log
        p = torch.pow(x, 2)                             # Pow
        rs = x.sum(dim=1)                               # ReduceSum [N,6]
        ex = rs.unsqueeze(1).expand(-1, 4, -1)          # Unsqueeze + Expand [N,4,6]
        sq = x[:, :1, :].squeeze(1)                     # Slice + Squeeze [N,6]
        # branch 1: [N,4,*] pieces concatenated on the last axis
        br1 = torch.cat([w, ls, e - lg, p, ex, b - a.sum(dim=2, keepdim=True)], dim=2)  # [N,4,34]
        # branch 2: flat vectors
        br2 = torch.cat([flat, t.reshape(n, -1), s.reshape(n, -1), rs, sq], dim=1)      # [N,72]
        return br1, br2


class CastConstant(nn.Module):
    """x: float [N,4]; ids: int64 [N,4] (values 0..9)."""

    def forward(self, x, ids):
        f = ids.float()                                 # Cast int64 -> float
        z = torch.zeros_like(x)                         # ConstantOfShape(Shape(x)) or constant
        o = torch.ones(x.size(0), 2)                    # ConstantOfShape with value 1, dynamic N
        y = x + f * 0.5
        return torch.cat([y, z + f, o * 2.0], dim=1)    # [N,10]


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------

def f32_inputs(*shape):
    return lambda rng, n: [rng.standard_normal((n,) + shape).astype(np.float32)]


def shape_ops_inputs(rng, n):
    x = rng.standard_normal((n, 4, 6)).astype(np.float32)
    x[0, 0, :3] = 0.0   # exercise the Equal(relu(x), 0) branch with exact zeros
    return [x]


CASES = [
    # name, factory, input maker, extra opsets (TorchScript), dynamo-exported extra opsets, description
    dict(name="mlp", make=make_mlp, inputs=f32_inputs(20), extra=[13], dynamo_extra=[21],
         desc="Linear(20,32) ReLU Dropout(0.1) Linear(32,16) Tanh Linear(16,4) Softmax(dim=1); input [N,20]"),
    dict(name="lenet", make=make_lenet, inputs=f32_inputs(1, 28, 28), extra=[13],
         desc="Conv(1,6,5,p2) ReLU MaxPool2 Conv(6,16,5) ReLU MaxPool2 Flatten Linear(400,120) ReLU "
              "Linear(120,84) ReLU Linear(84,10); input [N,1,28,28]"),
    dict(name="resnet_block", notes=["Exported with training=TrainingMode.PRESERVE (module in eval()) so BatchNormalization survives (training_mode=0, inputs X, scale, B, mean, var); the default EVAL mode folds BN into the Convs. AdaptiveAvgPool2d(1) -> GlobalAveragePool."], make=ResNetBlock, inputs=f32_inputs(3, 8, 8), extra=[],
         preserve_bn=True,
         desc="conv3x3(no bias)-BN-ReLU-conv3x3(no bias)-BN + 1x1 conv shortcut, add, ReLU, "
              "AdaptiveAvgPool2d(1), Flatten, Linear(8,3); input [N,3,8,8]"),
    dict(name="conv_misc", make=ConvMisc, inputs=f32_inputs(2, 8, 8), extra=[],
         desc="Conv(2,4,3,s2,p1,groups=2) LeakyReLU(0.1) ConvTranspose(4,3,3,s2,p1,op1) Sigmoid "
              "AvgPool(2,s2) x*0.5+1 sqrt(x*x+1) mean(2,3,keepdim) flatten; input [N,2,8,8]"),
    dict(name="lstm", notes=["Embedding exports as Gather(weight, ids) (int64 indices, no axis attribute => 0). out[:, -1, :] exports as Gather(axis=1) with the 0-d index -1 (negative index). LSTM Y [seq,1,N,H] -> Squeeze(axes=[1]) -> Transpose(1,0,2)."], make=LSTMClassifier,
         inputs=lambda rng, n: [rng.integers(0, 30, size=(n, 7)).astype(np.int64)], extra=[13],
         desc="Embedding(30,8) LSTM(8,16,batch_first) last step Linear(16,5); input int64 [N,7]"),
    dict(name="gru", notes=["Linear(10,3) on a 3-D tensor exports as MatMul(x, W^T initializer) + Add(bias), not Gemm."], make=GRUTagger, inputs=f32_inputs(5, 6), extra=[],
         desc="GRU(6,10,batch_first) full sequence -> Linear(10,3) per step; input [N,5,6]"),
    dict(name="bilstm", notes=["Output path: Y [seq,2,N,H] -> Transpose(perm 0,2,1,3) -> [seq,N,2,H] -> Reshape([0,0,-1]) -> [seq,N,2H] -> Transpose(1,0,2) -> [N,seq,2H]; i.e. per time step the forward direction occupies features 0..H-1 and the reverse direction H..2H-1 (PyTorch layout). The reverse direction's Y at step t is the state after processing x[T-1..t]."], make=BiLSTM, inputs=f32_inputs(5, 4), extra=[],
         desc="LSTM(4,6,batch_first,bidirectional) output sequence; input [N,5,4] -> [N,5,12]"),
    dict(name="transformer", notes=["The opset-17 graph is the stock nn.TransformerEncoderLayer export (MultiheadAttention via F.scaled_dot_product_attention): the q/k scaling is computed at runtime as sqrt(1/sqrt(float(head_dim))) from Shape, and q and k are each multiplied by it. head_dim = embed_dim / num_heads is computed with an int64 Div and Cast(int64->int64). The packed in-projection is MatMul + Add followed by an unflatten (Reshape to [6,N,3,16]) and Unsqueeze/Transpose/Squeeze/Gather(0,1,2) to split q/k/v. Linear layers on 3-D tensors export as MatMul + Add; on 2-D as Gemm."], make=TransformerClassifier, inputs=f32_inputs(6, 16), extra=[13],
         alt_module={13: (TransformerClassifierNoSDPA,
                          "opset 13: aten::scaled_dot_product_attention is not exportable below "
                          "opset 14, so this file is exported from TransformerClassifierNoSDPA "
                          "(same weights via load_state_dict; self-attention called with "
                          "need_weights=True -> explicit MatMul/Softmax/MatMul path). "
                          "Outputs are checked against the same NAME_io.npz.")},
         desc="TransformerEncoderLayer(d_model=16,nhead=4,ff=32,dropout=0,batch_first) "
              "mean over time, Linear(16,3); input [N,6,16]"),
    dict(name="gelu_layernorm", make=make_gelu_layernorm, inputs=f32_inputs(8), extra=[20],
         desc="Linear(8,8) GELU(erf) LayerNorm(8) Linear(8,2); input [N,8]"),
    dict(name="shape_ops", notes=["torch.where(relu(x)==0, 0.1*x, x) is used instead of x>0 so that no Greater is emitted (Relu, Equal, Where). |x| is written sqrt(x*x) (no Abs). expand(-1,4,-1) exports as Expand with shape Where(Equal([-1,4,-1], ConstantOfShape([3],1)*-1), ConstantOfShape([3],1), [-1,4,-1]) = [1,4,1] (int64 Equal/Where/Mul). torch.split -> Split with a constant split input [2,4]. x[:, 1:3] -> 5-input Slice (starts, ends, axes, steps). input_0[0,0,:3] is exactly 0 in both batches."], make=ShapeOps, inputs=shape_ops_inputs, extra=[],
         desc="view/permute/split/slice/where(relu(x)==0)/log_softmax/exp/log/pow/sum/"
              "unsqueeze+expand/squeeze/concat; input [N,4,6]; outputs [N,4,34], [N,72]"),
    dict(name="cast_constant", notes=["zeros_like(x) -> ConstantOfShape(Shape(x)) value 0.0; torch.ones(x.size(0), 2) -> ConstantOfShape(Concat(Unsqueeze(Gather(Shape(x),0)), [2])) value 1.0. The exporter could not infer the static width of the concatenated output, so output_0 is declared [N, Concatoutput_0_dim_1] (a second symbolic dim; actual value 10)."], make=CastConstant,
         inputs=lambda rng, n: [rng.standard_normal((n, 4)).astype(np.float32),
                                rng.integers(0, 10, size=(n, 4)).astype(np.int64)],
         extra=[],
         desc="x + ids.float()*0.5, zeros_like(x)+ids.float(), ones(N,2)*2, concat; "
              "inputs float [N,4], int64 [N,4]; output [N,10]"),
]


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def randomize(model, rng):
    """Deterministic, modest random parameters: weights ~ N(0,1)/sqrt(fan_in), biases ~ 0.1 N(0,1),
    norm gains 1 + 0.1 N, norm shifts 0.1 N, BN running mean U(-.5,.5), var U(.5,1.5),
    embeddings N(0,1)."""
    def normal(t, scale, offset=0.0):
        t.copy_(torch.from_numpy((offset + scale * rng.standard_normal(tuple(t.shape)))
                                 .astype(np.float32)))

    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, (nn.BatchNorm2d, nn.LayerNorm)):
                normal(mod.weight, 0.1, 1.0)
                normal(mod.bias, 0.1)
                if isinstance(mod, nn.BatchNorm2d):
                    mod.running_mean.copy_(torch.from_numpy(
                        rng.uniform(-0.5, 0.5, mod.num_features).astype(np.float32)))
                    mod.running_var.copy_(torch.from_numpy(
                        rng.uniform(0.5, 1.5, mod.num_features).astype(np.float32)))
            elif isinstance(mod, nn.Embedding):
                normal(mod.weight, 1.0)
            else:
                for pname, p in mod.named_parameters(recurse=False):
                    if p.dim() >= 2:
                        fan_in = p[0].numel()
                        normal(p, 1.0 / np.sqrt(fan_in))
                    else:
                        normal(p, 0.1)


def torch_forward(model, inputs):
    # Grad mode on (as during export) so e.g. TransformerEncoderLayer takes the same
    # (non-fused) code path that was traced.
    outs = model(*[torch.from_numpy(a) for a in inputs])
    if isinstance(outs, torch.Tensor):
        outs = (outs,)
    return [o.detach().numpy().astype(np.float32) for o in outs]


def ort_run(path, inputs):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feed = {f"input_{i}": a for i, a in enumerate(inputs)}
    assert [i.name for i in sess.get_inputs()] == list(feed), sess.get_inputs()
    return [np.asarray(o, dtype=np.float32) for o in sess.run(None, feed)]


def strip_metadata(model):
    """Drop exporter debug metadata (stack traces with absolute paths, etc.)."""
    def clean_graph(g):
        for n in g.node:
            del n.metadata_props[:]
            n.doc_string = ""
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    clean_graph(a.g)
        for coll in (g.input, g.output, g.value_info):
            for v in coll:
                del v.metadata_props[:]
                v.doc_string = ""
        for t in g.initializer:
            del t.metadata_props[:]
        del g.metadata_props[:]
    clean_graph(model.graph)
    del model.metadata_props[:]
    return model


def export_torchscript(model, inputs, n_out, opset, path, preserve_bn=False):
    in_names = [f"input_{i}" for i in range(len(inputs))]
    out_names = [f"output_{i}" for i in range(n_out)]
    dyn = {k: {0: BATCH_DIM} for k in in_names + out_names}
    kwargs = {}
    if preserve_bn:
        # TrainingMode.EVAL (the default) runs the eval peephole pass that folds
        # BatchNormalization into the preceding Conv. PRESERVE keeps the BN node; the
        # module is in eval() mode so BN still uses running statistics.
        kwargs["training"] = torch.onnx.TrainingMode.PRESERVE
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, tuple(torch.from_numpy(a) for a in inputs), buf,
                          dynamo=False, opset_version=opset, input_names=in_names,
                          output_names=out_names, dynamic_axes=dyn, do_constant_folding=True,
                          **kwargs)
    m = onnx.load_from_string(buf.getvalue())
    strip_metadata(m)
    notes = fold_constant_out_of_list_ops(m)
    onnx.save(m, path)
    return notes


def verify_rnn_packing(model, path):
    """Assert that W/R/B of every LSTM/GRU node equal PyTorch's weights re-packed into ONNX
    gate order (LSTM torch i,f,g,o -> onnx i,o,f,c; GRU torch r,z,n -> onnx z,r,h)."""
    m = onnx.load(path)
    consts = const_tensors(m)
    notes = []
    for n in all_nodes(m.graph):
        if n.op_type not in ("LSTM", "GRU"):
            continue
        mod = next(x for x in model.modules() if isinstance(x, (nn.LSTM, nn.GRU)))
        H = mod.hidden_size
        perm = [0, 3, 1, 2] if n.op_type == "LSTM" else [1, 0, 2]

        def blocks(a):
            return np.concatenate([a[k * H:(k + 1) * H] for k in perm], axis=0)

        W, R, B = (numpy_helper.to_array(consts[n.input[i]]) for i in (1, 2, 3))
        for d, suf in enumerate(["", "_reverse"][: 2 if mod.bidirectional else 1]):
            get = lambda nm: getattr(mod, f"{nm}_l0{suf}").detach().numpy()  # noqa: E731
            assert np.array_equal(W[d], blocks(get("weight_ih"))), (path, "W", d)
            assert np.array_equal(R[d], blocks(get("weight_hh"))), (path, "R", d)
            assert np.array_equal(B[d], np.concatenate([blocks(get("bias_ih")),
                                                        blocks(get("bias_hh"))])), (path, "B", d)
        order = "torch (i,f,g,o) -> onnx (i,o,f,c)" if n.op_type == "LSTM" else \
            "torch (r,z,n) -> onnx (z,r,h)"
        notes.append(f"verified by the script: W/R/B of `{n.name}` are exactly PyTorch's "
                     f"weight_ih/weight_hh/[bias_ih, bias_hh]"
                     f"{' (direction 0 = forward `_l0`, direction 1 = `_l0_reverse`)' if mod.bidirectional else ''}"
                     f" with gate blocks re-ordered {order}")
    return notes


def export_dynamo(model, inputs, n_out, opset, path):
    in_names = [f"input_{i}" for i in range(len(inputs))]
    out_names = [f"output_{i}" for i in range(n_out)]
    batch = torch.export.Dim(BATCH_DIM, min=1, max=1024)
    dyn = tuple({0: batch} for _ in inputs)
    import contextlib
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        prog = torch.onnx.export(model, tuple(torch.from_numpy(a) for a in inputs), dynamo=True,
                                 opset_version=opset, input_names=in_names,
                                 output_names=out_names, dynamic_shapes=dyn, verbose=False)
    m = prog.model_proto
    strip_metadata(m)
    notes = fold_constant_out_of_list_ops(m)
    onnx.save(m, path)
    return notes


# --------------------------------------------------------------------------------------------
# Analysis (for MANIFEST.md)
# --------------------------------------------------------------------------------------------

DTYPE_NAMES = {v: k for k, v in onnx.TensorProto.DataType.items()}


def dtype_name(elem_type):
    return DTYPE_NAMES.get(elem_type, str(elem_type)).lower()


def value_sig(v):
    tt = v.type.tensor_type
    dims = []
    for d in tt.shape.dim:
        if d.HasField("dim_value"):
            dims.append(str(d.dim_value))
        elif d.HasField("dim_param"):
            dims.append(d.dim_param)
        else:
            dims.append("?")
    shape = "[" + ",".join(dims) + "]" if tt.HasField("shape") else "(no shape)"
    return f"`{v.name}` {dtype_name(tt.elem_type)} {shape}"


def tensor_storage(t):
    if t.data_location == onnx.TensorProto.EXTERNAL or len(t.external_data):
        return "EXTERNAL"
    if t.raw_data:
        return "raw_data"
    for field in ("float_data", "int64_data", "int32_data", "double_data", "string_data",
                  "uint64_data"):
        if len(getattr(t, field)):
            return field
    return "empty"


def all_nodes(graph):
    for n in graph.node:
        yield n
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from all_nodes(a.g)


def const_tensors(model):
    """name -> TensorProto for initializers and Constant-node outputs."""
    d = {t.name: t for t in model.graph.initializer}
    for n in all_nodes(model.graph):
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    d[n.output[0]] = a.t
    return d


def attr_value(a):
    v = onnx.helper.get_attribute_value(a)
    if isinstance(v, bytes):
        v = v.decode()
    if isinstance(v, onnx.TensorProto):
        arr = numpy_helper.to_array(v)
        return f"tensor({dtype_name(v.data_type)}, shape={list(arr.shape)}, value={arr.tolist() if arr.size <= 8 else '...'})"
    if isinstance(v, list):
        v = [x.decode() if isinstance(x, bytes) else x for x in v]
    return v


def fold_constant_out_of_list_ops(model):
    """Replace nodes whose op is NOT in ALLOWED_OPS but whose inputs are all compile-time
    constants (Constant outputs / initializers) by a Constant node holding the evaluated value,
    then drop Constant nodes that became unused. Returns a list of human-readable notes.

    (The TorchScript exporter's own constant folding does not handle e.g. Mod; the
    `unflatten` symbolic used by MultiheadAttention emits Mod(Constant, Constant).)"""
    from onnx.reference import ReferenceEvaluator
    g = model.graph
    notes = []
    consts = const_tensors(model)
    new_nodes = []
    for n in g.node:
        if (n.op_type not in ALLOWED_OPS and n.domain in ("", "ai.onnx")
                and all(i in consts for i in n.input if i)):
            feeds = {}
            sub_inputs = []
            for i in n.input:
                if i:
                    arr = numpy_helper.to_array(consts[i])
                    feeds[i] = arr
                    sub_inputs.append(onnx.helper.make_tensor_value_info(
                        i, consts[i].data_type, list(arr.shape)))
            sub = onnx.helper.make_model(
                onnx.helper.make_graph([n], "fold", sub_inputs,
                                       [onnx.helper.make_tensor_value_info(o, 0, None)
                                        for o in n.output]),
                opset_imports=model.opset_import)
            vals = ReferenceEvaluator(sub).run(None, feeds)
            for o, v in zip(n.output, vals):
                t = numpy_helper.from_array(np.asarray(v), name=o)
                c = onnx.helper.make_node("Constant", [], [o], name=n.name + "_folded", value=t)
                new_nodes.append(c)
                consts[o] = t
                args = ", ".join(str(numpy_helper.to_array(consts[i]).tolist())
                                 for i in n.input if i)
                notes.append(f"`{n.name}` {n.op_type}({args}) -> Constant "
                             f"{np.asarray(v).tolist()} (dtype {np.asarray(v).dtype})")
        else:
            new_nodes.append(n)
    # prune Constant nodes whose outputs are no longer used anywhere
    while notes:
        used = {i for n in new_nodes for i in n.input} | {o.name for o in g.output}
        keep = [n for n in new_nodes if not (n.op_type == "Constant" and n.output[0] not in used)]
        if len(keep) == len(new_nodes):
            break
        new_nodes = keep
    del g.node[:]
    g.node.extend(new_nodes)
    return notes


def analyze(path):
    m = onnx.load(path)
    g = m.graph
    opset = {(o.domain or "ai.onnx"): o.version for o in m.opset_import}
    ops = collections.Counter(n.op_type for n in all_nodes(g))
    consts = const_tensors(m)
    init_storage = collections.Counter(tensor_storage(t) for t in g.initializer)
    const_node_storage = collections.Counter(
        tensor_storage(a.t) for n in all_nodes(g) if n.op_type == "Constant"
        for a in n.attribute if a.name == "value")
    const_attr_kinds = collections.Counter(
        a.name for n in all_nodes(g) if n.op_type == "Constant" for a in n.attribute)
    external = [t.name for t in g.initializer if tensor_storage(t) == "EXTERNAL"]
    producers = {o: n for n in all_nodes(g) for o in n.output}
    rnn = []
    for n in all_nodes(g):
        if n.op_type in ("LSTM", "GRU", "RNN"):
            names = {"LSTM": ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"],
                     "GRU": ["X", "W", "R", "B", "sequence_lens", "initial_h"]}[n.op_type]
            ins = []
            for i, nm in enumerate(names):
                if i >= len(n.input) or n.input[i] == "":
                    ins.append(f"{nm}: absent")
                else:
                    src = n.input[i]
                    if src in consts:
                        t = consts[src]
                        where = "initializer" if any(x.name == src for x in g.initializer) else "Constant node"
                        ins.append(f"{nm}: `{src}` {where} {dtype_name(t.data_type)} {list(t.dims)}")
                    else:
                        prod = producers.get(src)
                        desc = "graph input" if prod is None else f"output of {prod.op_type}"
                        if prod is not None and prod.op_type == "ConstantOfShape":
                            val = [attr_value(a) for a in prod.attribute if a.name == "value"]
                            desc += (f" {val[0] if val else '(default 0.0)'}: zeros of shape "
                                     "[num_directions, N, hidden_size], the shape built at runtime "
                                     "as Concat([num_directions], Unsqueeze(Gather(Shape(batch-"
                                     "first input), 0)), [hidden_size])")
                        elif prod is not None and prod.op_type == "Transpose":
                            desc += f" perm={attr_value(prod.attribute[0])} (batch_first -> [seq, N, feat])"
                        ins.append(f"{nm}: `{src}` ({desc})")
            outs = []
            for i, nm in enumerate(["Y", "Y_h", "Y_c"][: (3 if n.op_type == "LSTM" else 2)]):
                if i < len(n.output) and n.output[i]:
                    users = sorted({c.op_type for c in all_nodes(g) if n.output[i] in c.input})
                    is_out = any(o.name == n.output[i] for o in g.output)
                    use = (f"consumed by {', '.join(users)}" if users else
                           ("graph output" if is_out else "declared but unused"))
                    outs.append(f"{nm}: `{n.output[i]}` ({use})")
                else:
                    outs.append(f"{nm}: absent")
            attrs = {a.name: attr_value(a) for a in n.attribute}
            rnn.append(dict(op=n.op_type, name=n.name, attrs=attrs, inputs=ins, outputs=outs))
    attr_sets = collections.defaultdict(list)
    for n in all_nodes(g):
        if n.op_type == "Constant":
            continue
        d = tuple(sorted((a.name, repr(attr_value(a))) for a in n.attribute))
        if d not in attr_sets[n.op_type]:
            attr_sets[n.op_type].append(d)
    # element types of every value (after ONNX shape inference) to spot integer arithmetic
    inferred = onnx.shape_inference.infer_shapes(m)
    etype = {}
    for v in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        etype[v.name] = v.type.tensor_type.elem_type
    for name_, t in consts.items():
        etype[name_] = t.data_type
    int_ops = collections.Counter(
        n.op_type for n in all_nodes(g)
        if n.op_type != "Constant" and n.input and n.input[0]
        and etype.get(n.input[0]) == onnx.TensorProto.INT64)
    quirks = []
    INT64_MAX = np.iinfo(np.int64).max
    for n in all_nodes(g):
        cin = [numpy_helper.to_array(consts[i]) if i in consts else None for i in n.input]
        if n.op_type == "Gather" and len(cin) > 1 and cin[1] is not None and (cin[1] < 0).any():
            quirks.append(f"`{n.name}` Gather with negative constant index {cin[1].tolist()}")
        if n.op_type == "Gather" and len(cin) > 1 and cin[1] is not None and cin[1].ndim == 0:
            q = "Gather with 0-d (scalar) constant index (output rank = data rank - 1)"
            if q not in quirks:
                quirks.append(q)
        if n.op_type == "Reshape" and len(cin) > 1 and cin[1] is not None and (cin[1] == 0).any():
            quirks.append(f"`{n.name}` Reshape with constant shape {cin[1].tolist()} "
                          "(0 = copy input dim, allowzero=0)")
        if n.op_type == "Slice":
            vals = [c for c in cin[1:] if c is not None]
            if any((c == INT64_MAX).any() for c in vals):
                q = "Slice with INT64_MAX ends (slice to the end)"
                if q not in quirks:
                    quirks.append(q)
            if any((c < 0).any() for c in vals[:2]):
                q = f"`{n.name}` Slice with negative starts/ends"
                quirks.append(q)
        if n.op_type == "Div" and etype.get(n.input[0]) == onnx.TensorProto.INT64:
            quirks.append(f"`{n.name}` integer (int64) Div: truncating integer division")
        if n.op_type == "Cast":
            src = etype.get(n.input[0])
            dst = [a.i for a in n.attribute if a.name == "to"][0]
            quirks.append(f"`{n.name}` Cast {dtype_name(src) if src else '?'} -> {dtype_name(dst)}")
        if n.op_type in ("Reshape", "Slice", "Squeeze", "Unsqueeze", "Expand", "ConstantOfShape",
                         "Split", "ReduceSum", "ReduceMean"):
            # shape/axes operands that are computed at runtime (not constants)
            for k, i in enumerate(n.input[1:], 1):
                if i and i not in consts:
                    q = f"{n.op_type} input {k} (shape/axes/starts...) computed at runtime"
                    if q not in quirks:
                        quirks.append(q)
    return dict(
        int_ops=int_ops, quirks=quirks,
        attr_sets=attr_sets,
        opset=opset, ir_version=m.ir_version, producer=f"{m.producer_name} {m.producer_version}",
        ops=ops, inputs=[value_sig(v) for v in g.input], outputs=[value_sig(v) for v in g.output],
        n_init=len(g.initializer), init_storage=init_storage,
        n_init_values=sum(int(np.prod(t.dims)) for t in g.initializer),
        const_nodes=ops.get("Constant", 0), const_node_storage=const_node_storage,
        const_attr_kinds=const_attr_kinds, external=external,
        out_of_list=sorted(set(ops) - ALLOWED_OPS), rnn=rnn, size=os.path.getsize(path))


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def save_npz(path, inputs, outputs):
    arrays = {f"input_{i}": a for i, a in enumerate(inputs)}
    arrays.update({f"output_{i}": a for i, a in enumerate(outputs)})
    np.savez(path, **arrays)


def run_case(case, results):
    name = case["name"]
    torch.manual_seed(0)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    model = case["make"]()
    randomize(model, rng)
    model.eval()
    x3 = case["inputs"](rng, 3)
    x5 = case["inputs"](rng, 5)
    y3 = torch_forward(model, x3)
    y5 = torch_forward(model, x5)
    n_out = len(y3)
    save_npz(os.path.join(HERE, f"{name}_io.npz"), x3, y3)
    save_npz(os.path.join(HERE, f"{name}_io_b5.npz"), x5, y5)

    variants = [(17, f"{name}.onnx", "torchscript")]
    variants += [(op, f"{name}_op{op}.onnx", "torchscript") for op in case.get("extra", [])]
    variants += [(op, f"{name}_op{op}.onnx", "dynamo") for op in case.get("dynamo_extra", [])]
    for opset, fname, exporter in variants:
        path = os.path.join(HERE, fname)
        entry = dict(case=name, file=fname, opset_requested=opset, exporter=exporter)
        try:
            export_model = model
            alt = case.get("alt_module", {}).get(opset)
            if alt is not None:
                export_model = alt[0]()
                export_model.load_state_dict(model.state_dict())
                export_model.eval()
                entry["alt_module"] = alt[1]
            if exporter == "torchscript":
                entry["folded"] = export_torchscript(export_model, x3, n_out, opset, path,
                                                     preserve_bn=case.get("preserve_bn", False))
            else:
                entry["folded"] = export_dynamo(export_model, x3, n_out, opset, path)
        except Exception as e:  # noqa: BLE001 -- recorded in the manifest
            entry["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"
            print(f"  !! {fname}: export failed: {entry['error']}")
            if os.path.exists(path):
                os.remove(path)
            results.append(entry)
            continue
        try:
            onnx.checker.check_model(onnx.load(path), full_check=True)
            entry["checker"] = "onnx.checker.check_model(full_check=True): ok"
        except Exception as e:  # noqa: BLE001
            entry["checker"] = f"FAILED: {type(e).__name__}: {str(e)[:300]}"
        diffs = {}
        for tag, xs, ys in (("b3", x3, y3), ("b5", x5, y5)):
            got = ort_run(path, xs)
            assert len(got) == len(ys), (fname, len(got), len(ys))
            for i, (a, b) in enumerate(zip(got, ys)):
                assert a.shape == b.shape, (fname, tag, i, a.shape, b.shape)
            diffs[tag] = max(float(np.max(np.abs(a - b))) for a, b in zip(got, ys))
            assert diffs[tag] < TOL, (fname, tag, diffs[tag])
        entry["diffs"] = diffs
        entry["rnn_notes"] = verify_rnn_packing(model, path)
        entry["info"] = analyze(path)
        entry["sha256"] = hashlib.sha256(open(path, "rb").read()).hexdigest()[:16]
        print(f"  {fname}: opset {entry['info']['opset']} {dict(entry['info']['ops'])} "
              f"maxdiff b3={diffs['b3']:.2e} b5={diffs['b5']:.2e} "
              f"out_of_list={entry['info']['out_of_list']} {entry['checker'][:40]}")
        results.append(entry)
    return dict(name=name, x3=x3, y3=y3, x5=x5, y5=y5)


def main():
    torch.set_num_threads(1)
    results, ios = [], []
    only = sys.argv[1:]
    for case in CASES:
        if only and case["name"] not in only:
            continue
        print(case["name"])
        ios.append(run_case(case, results))
    if not only:
        write_manifest(results, ios)


def fmt_counter(c):
    return ", ".join(f"{k}×{v}" for k, v in sorted(c.items())) if c else "none"


def npz_desc(arrays_in, arrays_out):
    parts = [f"`input_{i}` {a.dtype} {list(a.shape)}" for i, a in enumerate(arrays_in)]
    parts += [f"`output_{i}` {a.dtype} {list(a.shape)}" for i, a in enumerate(arrays_out)]
    return "; ".join(parts)


GATE_NOTES = {
    "LSTM": ("ONNX LSTM gate order in W/R/B is **i, o, f, c** (input, output, forget, cell); "
             "PyTorch stores i, f, g, o, so the exporter re-packed the weights. "
             "W = [num_directions, 4*hidden, input_size], R = [num_directions, 4*hidden, hidden], "
             "B = [num_directions, 8*hidden] = concat(Wb (i,o,f,c), Rb (i,o,f,c)). "
             "Defaults when attributes are absent: activations Sigmoid/Tanh/Tanh, no clip, "
             "input_forget=0, layout=0 (X is [seq, batch, input]; Y is "
             "[seq, num_directions, batch, hidden]; Y_h/Y_c are [num_directions, batch, hidden])."),
    "GRU": ("ONNX GRU gate order in W/R/B is **z, r, h** (update, reset, hidden); PyTorch stores "
            "r, z, n, so the exporter re-packed the weights. W = [num_directions, 3*hidden, "
            "input_size], R = [num_directions, 3*hidden, hidden], B = [num_directions, 6*hidden] "
            "= concat(Wb (z,r,h), Rb (z,r,h)). linear_before_reset=1 (PyTorch semantics: "
            "h~ = tanh(Wh x + bWh + r ⊙ (Rh h + bRh))). layout=0 as for LSTM."),
}


def write_manifest(results, ios):
    L = []
    w = L.append
    w("# ONNX model fixtures for DeepSwift")
    w("")
    w("Generated by `Tests/Fixtures/onnx/generate_onnx_fixtures.py`. Do not edit by hand; "
      "regenerate with (from the repository root):")
    w("")
    w("```")
    w("/work/venv-torch/bin/python Tests/Fixtures/onnx/generate_onnx_fixtures.py")
    w("```")
    w("")
    w(f"Versions: torch {torch.__version__}, onnx {onnx.__version__}, onnxruntime "
      f"{ort.__version__}, numpy {np.__version__}"
      + (f", onnxscript {__import__('onnxscript').__version__}" if _has_onnxscript() else "")
      + ". Output is deterministic (re-running reproduces byte-identical files with these "
        "versions).")
    w("")
    w("## Conventions")
    w("")
    w("- **Exporter**: `torch.onnx.export(..., dynamo=False)` (the legacy TorchScript exporter; "
      "still works in torch 2.15 but emits a deprecation warning) for every file except "
      "`mlp_op21.onnx`. The TorchScript exporter's highest supported opset is 20 (asking for 21 "
      "only warns and silently stamps opset 21 on an opset-20 translation), so `mlp_op21.onnx` is "
      "exported with the dynamo exporter (`torch.onnx.export(..., dynamo=True, "
      "dynamic_shapes=...)`, torch.export + onnxscript).")
    w("- Export options: `do_constant_folding=True`, default `training=TrainingMode.EVAL` (so "
      "Dropout disappears) except `resnet_block` which uses `TrainingMode.PRESERVE` on an eval() "
      "module: the EVAL-mode peephole pass would fold BatchNormalization into the preceding Conv; "
      "PRESERVE keeps real `BatchNormalization` nodes (training_mode=0, running stats used).")
    w("- Graph inputs are named `input_0`, `input_1`, ... and outputs `output_0`, ...; axis 0 of "
      "every input and output is the symbolic dim `N` (dynamic_axes / torch.export.Dim).")
    w("- Exporter debug metadata (node doc_strings / metadata_props) is stripped before saving.")
    w("- `NAME_io.npz`: batch 3; `NAME_io_b5.npz`: batch 5 (same keys). Keys `input_i` are the "
      "graph inputs in graph order (float32, or int64 for token ids / integer inputs), `output_i` "
      "the graph outputs in graph order (float32), computed by PyTorch in eval() mode (grad mode "
      "on, i.e. the same code path that was traced). Written with `np.savez`.")
    w(f"- Every .onnx file was run with onnxruntime {ort.__version__} (CPUExecutionProvider) on "
      f"both batches and compared with the PyTorch outputs: max |ort - torch| < {TOL:g} asserted "
      "(values below). Every file also passes `onnx.checker.check_model(full_check=True)`.")
    w("- Parameters: `torch.manual_seed(0)`, then every parameter overwritten from "
      "`np.random.default_rng(zlib.crc32(name))`: weights (dim >= 2) ~ N(0,1)/sqrt(fan_in) with "
      "fan_in = prod(shape[1:]); biases ~ 0.1·N(0,1); BatchNorm/LayerNorm weight 1 + 0.1·N, bias "
      "0.1·N; BN running_mean ~ U(-0.5,0.5), running_var ~ U(0.5,1.5); Embedding ~ N(0,1). "
      "Inputs ~ N(0,1) (token ids uniform integers) drawn from the same generator after the "
      "parameters (batch 3 first, then batch 5).")
    w("- Allowed op list (ops outside it are flagged below): " + ", ".join(sorted(ALLOWED_OPS)) + ".")
    w("")
    w("## Files")
    w("")
    w("| file | bytes |")
    w("|---|---|")
    total = 0
    for fn in sorted(os.listdir(HERE)):
        if fn.endswith((".onnx", ".npz")):
            sz = os.path.getsize(os.path.join(HERE, fn))
            total += sz
            w(f"| `{fn}` | {sz} |")
    w(f"| **total** | {total} |")
    w("")
    w("## Cases")
    w("")
    by_case = collections.defaultdict(list)
    for r in results:
        by_case[r["case"]].append(r)
    for case, io_ in zip([c for c in CASES if c["name"] in by_case], ios):
        name = case["name"]
        w(f"### {name}")
        w("")
        w(f"- Module: {case['desc']}")
        for note in case.get("notes", []):
            w(f"- Note: {note}")
        w(f"- `{name}_io.npz`: {npz_desc(io_['x3'], io_['y3'])}")
        w(f"- `{name}_io_b5.npz`: {npz_desc(io_['x5'], io_['y5'])}")
        for r in by_case[name]:
            if "error" in r:
                w(f"- `{r['file']}` (opset {r['opset_requested']}, {r['exporter']}): "
                  f"**not produced** — {r['error']}")
                continue
            w(f"- `{r['file']}`: opset {r['opset_requested']}, {r['exporter']} exporter, max abs "
              f"diff ort vs torch: batch3 {r['diffs']['b3']:.3g}, batch5 {r['diffs']['b5']:.3g}")
            if r.get("alt_module"):
                w(f"  - Note: {r['alt_module']}")
            for f_ in r.get("folded", []):
                w(f"  - Post-export fold (op outside the allowed list with constant inputs): {f_}")
        w("")
    w("## Per-file summary")
    w("")
    for r in results:
        if "error" in r:
            continue
        info = r["info"]
        w(f"### {r['file']}")
        w("")
        w(f"- opset_import: {', '.join(f'{k} {v}' for k, v in info['opset'].items())}; "
          f"ir_version {info['ir_version']}; producer `{info['producer']}`; exporter "
          f"{r['exporter']}; {info['size']} bytes; sha256[:16] `{r['sha256']}`")
        w(f"- ops ({sum(info['ops'].values())} nodes): {fmt_counter(info['ops'])}")
        w(f"- inputs: {'; '.join(info['inputs'])}")
        w(f"- outputs: {'; '.join(info['outputs'])}")
        w(f"- initializers: {info['n_init']} ({info['n_init_values']} values), storage: "
          f"{fmt_counter(info['init_storage'])}; Constant nodes: {info['const_nodes']} "
          f"(attribute kinds: {fmt_counter(info['const_attr_kinds'])}; tensor storage: "
          f"{fmt_counter(info['const_node_storage'])}); external data: "
          f"{', '.join(info['external']) if info['external'] else 'none'}")
        w(f"- ops outside the allowed list: {', '.join(info['out_of_list']) or 'none'}")
        if info["int_ops"]:
            w(f"- ops whose first (data) input is int64 (shape arithmetic etc.): "
              f"{fmt_counter(info['int_ops'])}")
        if info["quirks"]:
            w("- importer-relevant details: " + "; ".join(info["quirks"]))
        w(f"- checker: {r['checker']}; max abs diff ort vs torch: b3 {r['diffs']['b3']:.3g}, "
          f"b5 {r['diffs']['b5']:.3g}")
        w("- attributes used (distinct sets per op type):")
        for op, sets in sorted(info["attr_sets"].items()):
            shown = ["{" + ", ".join(f"{k}={v}" for k, v in st) + "}" for st in sets]
            w(f"  - {op}: {' | '.join(shown)}")
        w("")
    w("## LSTM / GRU nodes")
    w("")
    seen = set()
    for r in results:
        if "error" in r:
            continue
        for node in r["info"]["rnn"]:
            w(f"### {r['file']}: {node['op']} `{node['name']}`")
            w("")
            w(f"- attributes: {', '.join(f'{k}={v}' for k, v in sorted(node['attrs'].items()))}"
              f" (attributes not listed take their ONNX defaults; `layout` absent => 0)")
            w(f"- inputs: {'; '.join(node['inputs'])}")
            w(f"- outputs: {'; '.join(node['outputs'])}")
            for note in r.get("rnn_notes", []):
                w(f"- {note}")
            if node["op"] not in seen:
                w(f"- {GATE_NOTES[node['op']]}")
                seen.add(node["op"])
            w("")
    w("## Ops outside the allowed list")
    w("")
    any_out = False
    for r in results:
        if "error" not in r and r["info"]["out_of_list"]:
            any_out = True
            w(f"- `{r['file']}`: {', '.join(r['info']['out_of_list'])}")
    if not any_out:
        w("- None remain in any file.")
    folded = [(r["file"], f) for r in results for f in r.get("folded", [])]
    if folded:
        w("- Folded by the script after export (the exporter left them with constant inputs):")
        for fn, f_ in folded:
            w(f"  - `{fn}`: {f_}")
    w("")
    w("## Opset notes")
    w("")
    for r in results:
        if "error" in r:
            w(f"- `{r['file']}`: not produced — {r['error']}")
    w("- Opset 21: not supported by the TorchScript exporter (max 20); `mlp_op21.onnx` comes "
      "from the dynamo exporter.")
    w("- Opset 13 + transformer: the stock module cannot be exported at opset 13 by the "
      "TorchScript exporter (`aten::scaled_dot_product_attention` needs opset >= 14); "
      "`transformer_op13.onnx` therefore comes from an equivalent module that calls self-attention "
      "with need_weights=True (see the transformer case).")
    w("- Opset 20 (`gelu_layernorm_op20.onnx`): the TorchScript exporter emits a native `Gelu` "
      "(approximate=\"none\"); at opset 17 GELU is decomposed into Div/Erf/Add/Mul/Mul.")
    w("- Opset 13: LayerNorm is decomposed (ReduceMean/Sub/Pow/Add/Sqrt/Div/Mul/Add) since "
      "LayerNormalization only exists from opset 17; ReduceSum takes axes as an input from opset "
      "13, ReduceMean takes axes as an attribute up to opset 17 (input from 18).")
    w("")
    open(os.path.join(HERE, "MANIFEST.md"), "w").write("\n".join(L))


def _has_onnxscript():
    try:
        import onnxscript  # noqa: F401
        return True
    except ImportError:
        return False


if __name__ == "__main__":
    main()

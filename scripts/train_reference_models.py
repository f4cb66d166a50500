#!/usr/bin/env python3
"""Train small reference models on real MNIST and export them with reference outputs.

Usage:
    KERAS_BACKEND=torch /work/venv-torch/bin/python scripts/train_reference_models.py [OUT_DIR]

OUT_DIR defaults to /tmp/deepswift_trained. MNIST is read from the gzipped IDX files in
$MNIST_DIR (default /work/shared/data/mnist). Pixels are scaled to [0,1] float32, nothing else.

Writes (into OUT_DIR):
  keras_lenet.keras, keras_lenet.h5, keras_lenet_reference.npz
  keras_mlp_bn.keras, keras_mlp_bn_reference.npz
  torch_cnn.onnx, torch_cnn_reference.npz
  torch_rowlstm.onnx, torch_rowlstm_reference.npz
  README.txt
Each NAME_reference.npz holds `images` (first 500 test images, in the model's input layout,
float32) and `outputs` (the framework's own float32 outputs on them), plus `labels` and
`test_accuracy` (the framework's own accuracy on the full 10k test set).
"""
import gzip
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import torch
import torch.nn as nn

import keras  # noqa: E402  (after KERAS_BACKEND is set)
import onnx
import onnxruntime as ort

SEED = 1234
N_REF = 500
MNIST_DIR = os.environ.get("MNIST_DIR", "/work/shared/data/mnist")


# ---------------------------------------------------------------- data
def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = data[0] << 8 | data[1], data[2], data[3]
    assert zero == 0 and dtype_code == 0x08, f"unexpected IDX header in {path}"
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    assert arr.size == int(np.prod(dims)), f"size mismatch in {path}"
    return arr.reshape(dims)


def load_mnist():
    p = lambda n: os.path.join(MNIST_DIR, n)
    xtr = read_idx(p("train-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    ytr = read_idx(p("train-labels-idx1-ubyte.gz")).astype(np.int64)
    xte = read_idx(p("t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    yte = read_idx(p("t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    assert xtr.shape == (60000, 28, 28) and xte.shape == (10000, 28, 28)
    return xtr, ytr, xte, yte


# ---------------------------------------------------------------- helpers
RESULTS = []  # (files, layout, accuracy, train_seconds, notes)


def save_ref(out, name, images, outputs, labels, acc):
    path = os.path.join(out, f"{name}_reference.npz")
    np.savez(path, images=np.ascontiguousarray(images, dtype=np.float32),
             outputs=np.ascontiguousarray(outputs, dtype=np.float32),
             labels=labels[:N_REF].astype(np.int64),
             test_accuracy=np.float32(acc))
    return path


def keras_fit(model, x, y, xte, yte, epochs):
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t0 = time.time()
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=2, shuffle=True)
    dt = time.time() - t0
    probs = model.predict(xte, batch_size=1000, verbose=0)
    acc = float((probs.argmax(1) == yte).mean())
    return dt, acc, probs


def torch_fit(model, x, y, epochs, bs=128):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    g = torch.Generator().manual_seed(SEED)
    t0 = time.time()
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=g)
        tot = 0.0
        for i in range(0, len(xt), bs):
            idx = perm[i:i + bs]
            opt.zero_grad()
            loss = lossf(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            tot += loss.item() * len(idx)
        print(f"  epoch {ep + 1}/{epochs} loss {tot / len(xt):.4f} ({time.time() - t0:.1f}s)", flush=True)
    return time.time() - t0


@torch.no_grad()
def torch_predict(model, x, bs=1000):
    model.eval()
    return np.concatenate([model(torch.from_numpy(x[i:i + bs])).numpy() for i in range(0, len(x), bs)])


def export_onnx(model, example, path, input_name="input"):
    model.eval()
    torch.onnx.export(model, (example,), path, dynamo=False, opset_version=17,
                      input_names=[input_name], output_names=["logits"],
                      dynamic_axes={input_name: {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.EVAL, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))
    return ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def ort_run(sess, x, bs=1000):
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: x[i:i + bs]})[0] for i in range(0, len(x), bs)])


# ---------------------------------------------------------------- models
def keras_lenet(out, xtr, ytr, xte, yte):
    print("== keras_lenet (Keras %s, backend %s)" % (keras.__version__, keras.backend.backend()), flush=True)
    L = keras.layers
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        L.Conv2D(6, 5, padding="same", activation="relu"),
        L.MaxPooling2D(),
        L.Conv2D(16, 5, activation="relu"),
        L.MaxPooling2D(),
        L.Flatten(),
        L.Dense(120, activation="relu"),
        L.Dropout(0.2),
        L.Dense(84, activation="relu"),
        L.Dense(10, activation="softmax"),
    ], name="keras_lenet")
    x, xt = xtr[..., None], xte[..., None]
    dt, acc, probs = keras_fit(model, x, ytr, xt, yte, epochs=2)
    print(f"  test accuracy {acc:.4f}, train {dt:.1f}s", flush=True)
    assert acc >= 0.97, acc
    kpath, hpath = os.path.join(out, "keras_lenet.keras"), os.path.join(out, "keras_lenet.h5")
    model.save(kpath)
    model.save(hpath)
    imgs, ref = xt[:N_REF], probs[:N_REF]
    for p in (kpath, hpath):  # reloaded files must reproduce the reference outputs
        re = keras.saving.load_model(p).predict(imgs, verbose=0)
        assert np.abs(re - ref).max() < 1e-5, (p, np.abs(re - ref).max())
    save_ref(out, "keras_lenet", imgs, ref, yte, acc)
    RESULTS.append(("keras_lenet.keras, keras_lenet.h5, keras_lenet_reference.npz",
                    "[N,28,28,1] float32 NHWC, outputs softmax probs [N,10]", acc, dt))


def keras_mlp_bn(out, xtr, ytr, xte, yte):
    print("== keras_mlp_bn", flush=True)
    L = keras.layers
    inp = keras.Input((784,))
    h = L.Dense(256)(inp)
    h = L.BatchNormalization()(h)
    h = L.ReLU()(h)
    h = L.Dropout(0.2)(h)
    outp = L.Dense(10, activation="softmax")(h)
    model = keras.Model(inp, outp, name="keras_mlp_bn")
    x, xt = xtr.reshape(-1, 784), xte.reshape(-1, 784)
    dt, acc, probs = keras_fit(model, x, ytr, xt, yte, epochs=2)
    print(f"  test accuracy {acc:.4f}, train {dt:.1f}s", flush=True)
    kpath = os.path.join(out, "keras_mlp_bn.keras")
    model.save(kpath)
    imgs, ref = xt[:N_REF], probs[:N_REF]
    re = keras.saving.load_model(kpath).predict(imgs, verbose=0)
    assert np.abs(re - ref).max() < 1e-5, np.abs(re - ref).max()
    save_ref(out, "keras_mlp_bn", imgs, ref, yte, acc)
    RESULTS.append(("keras_mlp_bn.keras, keras_mlp_bn_reference.npz",
                    "[N,784] float32, outputs softmax probs [N,10]", acc, dt))


class TorchCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.net(x)


class RowLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(28, 64, batch_first=True)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.fc(y[:, -1, :])


def torch_model(out, name, model, x, ytr, xt, yte, epochs, layout):
    print(f"== {name} (torch {torch.__version__})", flush=True)
    dt = torch_fit(model, x, ytr, epochs)
    logits_t = torch_predict(model, xt)
    acc_t = float((logits_t.argmax(1) == yte).mean())
    path = os.path.join(out, f"{name}.onnx")
    sess = export_onnx(model, torch.from_numpy(xt[:2]), path)
    logits_o = ort_run(sess, xt)
    acc_o = float((logits_o.argmax(1) == yte).mean())
    diff = float(np.abs(logits_o - logits_t).max())
    print(f"  test accuracy torch {acc_t:.4f} onnxruntime {acc_o:.4f}; max |ort-torch| {diff:.2e}; "
          f"train {dt:.1f}s", flush=True)
    assert np.abs(logits_o[:N_REF] - logits_t[:N_REF]).max() < 1e-4, diff
    # also check an odd batch size goes through the dynamic axis
    odd = ort_run(sess, xt[:7])
    assert np.abs(odd - logits_t[:7]).max() < 1e-4
    save_ref(out, name, xt[:N_REF], logits_o[:N_REF], yte, acc_o)
    RESULTS.append((f"{name}.onnx, {name}_reference.npz", layout, acc_o, dt))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/deepswift_trained"
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    keras.utils.set_random_seed(SEED)
    t_all = time.time()
    xtr, ytr, xte, yte = load_mnist()

    keras_lenet(out, xtr, ytr, xte, yte)
    keras_mlp_bn(out, xtr, ytr, xte, yte)
    torch.manual_seed(SEED)
    torch_model(out, "torch_cnn", TorchCNN(), xtr[:, None], ytr, xte[:, None], yte, 1,
                "[N,1,28,28] float32 NCHW, outputs logits [N,10] (BN folded into Conv on export)")
    torch.manual_seed(SEED)
    torch_model(out, "torch_rowlstm", RowLSTM(), xtr, ytr, xte, yte, 1,
                "[N,28,28] float32 (28 steps of 28-pixel rows), outputs logits [N,10]")

    lines = [
        "DeepSwift reference models trained on real MNIST (pixels /255 -> [0,1] float32, no other normalization).",
        f"Generated by scripts/train_reference_models.py; torch {torch.__version__}, keras {keras.__version__} "
        f"(backend {keras.backend.backend()}), onnx {onnx.__version__}, onnxruntime {ort.__version__}.",
        "Each *_reference.npz: images = first 500 test images in the model's input layout (float32),",
        "outputs = the framework's own outputs (float32; onnxruntime for .onnx), labels, test_accuracy (full 10k).",
        "",
    ]
    for files, layout, acc, dt in RESULTS:
        lines += [f"{files}", f"    input: {layout}", f"    test accuracy (10k): {acc:.4f}   training time: {dt:.1f}s", ""]
    lines.append("File sizes:")
    for f in sorted(os.listdir(out)):
        if f != "README.txt":
            lines.append(f"    {f}: {os.path.getsize(os.path.join(out, f))} bytes")
    with open(os.path.join(out, "README.txt"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"total {time.time() - t_all:.1f}s")


if __name__ == "__main__":
    main()

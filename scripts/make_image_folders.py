#!/usr/bin/env python3
"""Image folders for `deepswift bench images` and `deepswift train image-folder`.

    python3 scripts/make_image_folders.py mnist-png OUT [--mnist ../shared/data/mnist]
        MNIST as 28x28 gray PNG files: OUT/train/<digit>/<index>.png, OUT/test/<digit>/<index>.png
    python3 scripts/make_image_folders.py synthetic-jpeg OUT [--count 2000 --width 320 --height 240]
        smooth random RGB scenes as JPEG (quality 90) in 4 class folders, deterministic.

Needs numpy and Pillow (e.g. /work/venv-torch/bin/python, which has both).
"""
import argparse, gzip, os
import numpy as np
from PIL import Image

def idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * rank).reshape(shape)

def mnist_png(out, source):
    for split, prefix in [("train", "train"), ("test", "t10k")]:
        images = idx(os.path.join(source, f"{prefix}-images-idx3-ubyte.gz"))
        labels = idx(os.path.join(source, f"{prefix}-labels-idx1-ubyte.gz"))
        for d in range(10):
            os.makedirs(os.path.join(out, split, str(d)), exist_ok=True)
        for i, (image, label) in enumerate(zip(images, labels)):
            Image.fromarray(image, "L").save(os.path.join(out, split, str(label), f"{i:05d}.png"))

def synthetic_jpeg(out, count, width, height):
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    for i in range(count):
        k = i % 4
        os.makedirs(os.path.join(out, f"class{k}"), exist_ok=True)
        f = rng.uniform(1, 6, size=(3, 2))
        phase = rng.uniform(0, 6.3, size=3)
        channels = [127 + 100 * np.sin(f[c, 0] * x * 6.3 + f[c, 1] * y * 6.3 + phase[c] + k) for c in range(3)]
        image = np.stack(channels, -1) + rng.normal(0, 8, size=(height, width, 3))
        Image.fromarray(np.clip(image, 0, 255).astype(np.uint8), "RGB").save(os.path.join(out, f"class{k}", f"{i:05d}.jpg"), quality=90)

p = argparse.ArgumentParser()
p.add_argument("kind", choices=["mnist-png", "synthetic-jpeg"])
p.add_argument("out")
p.add_argument("--mnist", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mnist"))
p.add_argument("--count", type=int, default=2000)
p.add_argument("--width", type=int, default=320)
p.add_argument("--height", type=int, default=240)
a = p.parse_args()
if a.kind == "mnist-png":
    mnist_png(a.out, a.mnist)
else:
    synthetic_jpeg(a.out, a.count, a.width, a.height)

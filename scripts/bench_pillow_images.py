#!/usr/bin/env python3
"""Pillow reference for `deepswift bench images`: decode every image of a class-folder tree,
convert to RGB and resize to SxS (BILINEAR, Pillow's antialiased filter), best of 3 runs, one
process (Pillow decodes on one thread). Prints one JSON line.

    /work/venv-torch/bin/python scripts/bench_pillow_images.py --data DIR --image-size 64
"""
import argparse, json, os, time
from PIL import Image

p = argparse.ArgumentParser()
p.add_argument("--data", required=True)
p.add_argument("--image-size", type=int, default=64)
p.add_argument("--runs", type=int, default=3)
a = p.parse_args()
files = sorted(os.path.join(r, f) for r, _, fs in os.walk(a.data) for f in fs if f.lower().endswith((".png", ".jpg", ".jpeg")))
best = float("inf")
for _ in range(a.runs):
    t0 = time.perf_counter()
    for f in files:
        with Image.open(f) as im:
            im.convert("RGB").resize((a.image_size, a.image_size), Image.BILINEAR)
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"op": "images", "framework": "pillow", "images": len(files), "image_size": a.image_size,
                  "images_per_s": round(len(files) / best, 1)}))

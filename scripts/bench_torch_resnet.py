#!/usr/bin/env python3
"""PyTorch eager baseline for `deepswift bench train-step --model resnet18 --batch-size 8 --image-size 224`.

torchvision's resnet18 (random weights, 1000 classes), Adam 1e-3, cross-entropy on random data,
2 threads; prints {"model":"resnet18","framework":"pytorch","batch_size":B,"steps_per_second":S,"ms_per_step":M}.
"""
import argparse, json, time
import torch, torchvision

p = argparse.ArgumentParser()
p.add_argument("--batch-size", type=int, default=8)
p.add_argument("--image-size", type=int, default=224)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--warmup", type=int, default=2)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
model = torchvision.models.resnet18(weights=None, num_classes=1000)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.rand(a.batch_size, 3, a.image_size, a.image_size)
y = torch.randint(0, 1000, (a.batch_size,))
loss_fn = torch.nn.CrossEntropyLoss()
def step():
    opt.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); opt.step(); return loss.item()
for _ in range(a.warmup): step()
t0 = time.perf_counter()
for _ in range(a.steps): step()
dt = (time.perf_counter() - t0) / a.steps
print(json.dumps({"model": "resnet18", "framework": "pytorch", "batch_size": a.batch_size, "image_size": a.image_size,
                  "steps_per_second": round(1 / dt, 3), "ms_per_step": round(dt * 1e3, 1), "threads": a.threads}))

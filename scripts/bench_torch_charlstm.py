#!/usr/bin/env python3
"""PyTorch reference for `deepswift bench train-step --model char-lstm`.

Embedding(vocab, 64) -> nn.LSTM(64, hidden, batch_first) -> Linear(hidden, vocab) at every step,
cross-entropy over all positions, Adam 1e-3, random windows of a random text each step.
Prints one JSON line with steps_per_second (timed steps after warm-up).

    /work/venv-torch/bin/python scripts/bench_torch_charlstm.py --threads 2
"""
import argparse, json, time
import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch-size", type=int, default=32)
p.add_argument("--seq-len", type=int, default=64)
p.add_argument("--hidden", type=int, default=256)
p.add_argument("--embedding", type=int, default=64)
p.add_argument("--vocab", type=int, default=64)
p.add_argument("--steps", type=int, default=100)
p.add_argument("--warmup", type=int, default=10)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)

class CharLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(a.vocab, a.embedding)
        self.lstm = nn.LSTM(a.embedding, a.hidden, batch_first=True)
        self.out = nn.Linear(a.hidden, a.vocab)
    def forward(self, x):
        return self.out(self.lstm(self.embed(x))[0])

model = CharLSTM()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
text = torch.randint(0, a.vocab, (100_000,))
loss_fn = nn.CrossEntropyLoss()

def step():
    starts = torch.randint(0, len(text) - a.seq_len - 1, (a.batch_size,))
    windows = torch.stack([text[s:s + a.seq_len + 1] for s in starts.tolist()])
    x, y = windows[:, :-1], windows[:, 1:]
    opt.zero_grad()
    loss = loss_fn(model(x).reshape(-1, a.vocab), y.reshape(-1))
    loss.backward()
    opt.step()

for _ in range(a.warmup):
    step()
t0 = time.perf_counter()
for _ in range(a.steps):
    step()
dt = time.perf_counter() - t0
print(json.dumps({"model": "char-lstm", "framework": "pytorch", "batch_size": a.batch_size, "seq_len": a.seq_len,
                  "hidden": a.hidden, "vocab": a.vocab, "steps_per_second": round(a.steps / dt, 3), "threads": a.threads}))

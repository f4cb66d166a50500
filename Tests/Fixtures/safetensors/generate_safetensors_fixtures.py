#!/usr/bin/env python3
"""Safetensors fixtures for DeepSwift's IO tests, written by PyTorch and the safetensors library.

Usage: /work/venv-torch/bin/python Tests/Fixtures/safetensors/generate_safetensors_fixtures.py
(needs torch, numpy and safetensors). Writes next to this script:

* mlp_state_dict.safetensors  `safetensors.torch.save_file(model.state_dict())` of
  nn.Sequential(Linear(6, 8), BatchNorm1d(8), ReLU(), Linear(8, 3)) with random weights and
  running statistics (includes BatchNorm's `num_batches_tracked`).
* mlp_state_dict_io.npz       `input` [4, 6] float32 and `output` [4, 3], the model in eval mode.
* dtypes.safetensors          one tensor per dtype: f16, bf16, f64, i8, i16, i64, u8, bool.
* dtypes_expected.npz         the same values widened as DeepSwift reads them (float32 for f16/bf16).
"""
import os
import numpy as np
import torch
from safetensors.torch import save_file

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
gen = np.random.default_rng(7)

model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
with torch.no_grad():
    model[1].weight.copy_(torch.tensor(gen.uniform(0.5, 1.5, 8), dtype=torch.float32))
    model[1].bias.copy_(torch.tensor(gen.uniform(-0.5, 0.5, 8), dtype=torch.float32))
    model[1].running_mean.copy_(torch.tensor(gen.uniform(-0.5, 0.5, 8), dtype=torch.float32))
    model[1].running_var.copy_(torch.tensor(gen.uniform(0.5, 1.5, 8), dtype=torch.float32))
    model[1].num_batches_tracked.fill_(12)
model.eval()
x = torch.tensor(gen.standard_normal((4, 6)), dtype=torch.float32)
with torch.no_grad():
    y = model(x)
save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(here, "mlp_state_dict.safetensors"), metadata={"format": "pt"})
np.savez(os.path.join(here, "mlp_state_dict_io.npz"), input=x.numpy(), output=y.numpy())

values = gen.standard_normal((2, 3))
tensors = {
    "f16": torch.tensor(values, dtype=torch.float16),
    "bf16": torch.tensor(values, dtype=torch.bfloat16),
    "f64": torch.tensor(values, dtype=torch.float64),
    "i8": torch.tensor([[-128, -1, 0], [1, 2, 127]], dtype=torch.int8),
    "i16": torch.tensor([[-32768, -1, 0], [1, 2, 32767]], dtype=torch.int16),
    "i64": torch.tensor([[-(2 ** 40), -1, 0], [1, 2, 2 ** 40]], dtype=torch.int64),
    "u8": torch.tensor([[0, 1, 2], [3, 254, 255]], dtype=torch.uint8),
    "bool": torch.tensor([[True, False, True], [False, False, True]]),
}
save_file(tensors, os.path.join(here, "dtypes.safetensors"))
np.savez(os.path.join(here, "dtypes_expected.npz"),
         f16=tensors["f16"].float().numpy(), bf16=tensors["bf16"].float().numpy(), f64=tensors["f64"].numpy(),
         i8=tensors["i8"].int().numpy(), i16=tensors["i16"].int().numpy(), i64=tensors["i64"].numpy(),
         u8=tensors["u8"].numpy(), bool=tensors["bool"].numpy())
print("wrote", sorted(os.listdir(here)))

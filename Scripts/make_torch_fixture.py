#!/usr/bin/env python3
"""Writes Tests/WingNNTests/Fixtures/cnn6_small.{json,bin}: an independent PyTorch reference for the engine.

A reduced-width CNN-6 (channels / 8: 4-8-16-32-64, FC 128, FC 2*68+1) with fixed random weights, an input
batch of 3 (64x64), landmark targets, positive flags [1, 0, 1]; the Wing loss (w=10, eps=2) summed over the
136 coordinates and averaged over the positive samples, plus BCE-with-logits on the face logit averaged over
the batch; every parameter gradient; and the losses of 3 SGD steps (Nesterov momentum 0.9, lr 1e-3,
weight decay 5e-4 on weights only).

Run it with torch 2.13 CPU: `python3 Scripts/make_torch_fixture.py` creates .venv-torch from
/opt/wheels (torch's own dependencies come from PyPI) and re-runs itself inside it.
"""
import json
import os
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv-torch")
WHEEL = "/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"

try:
    import torch
except ImportError:
    if os.environ.get("WINGTRACK_IN_VENV"):
        sys.exit("torch did not install into " + VENV)
    if not os.path.exists(os.path.join(VENV, "bin", "python")):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([os.path.join(VENV, "bin", "pip"), "install", "-q", WHEEL], check=True)
    os.execve(os.path.join(VENV, "bin", "python"), [os.path.join(VENV, "bin", "python")] + sys.argv,
              dict(os.environ, WINGTRACK_IN_VENV="1"))

import torch.nn as nn  # noqa: E402

torch.manual_seed(2018)
torch.set_num_threads(1)
CH, HIDDEN, L = [4, 8, 16, 32, 64], 128, 68

layers, cin = [], 3
for i, c in enumerate(CH):
    layers += [nn.Conv2d(cin, c, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2, 2)]
    cin = c
layers += [nn.Flatten(), nn.Linear(cin * 2 * 2, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 2 * L + 1)]
net = nn.Sequential(*layers)
names = {}
k = 0
for i, m in enumerate(net):
    if isinstance(m, nn.Conv2d):
        k += 1
        names[f"conv{k}"] = m
fcs = [m for m in net if isinstance(m, nn.Linear)]
names["fc1"], names["fc2"] = fcs
with torch.no_grad():
    for m in names.values():
        m.bias.uniform_(-0.1, 0.1)
    names["fc2"].bias[: 2 * L].add_(32.0)  # start near the crop centre, as a mean-shape bias would

x = torch.rand(3, 3, 64, 64) - 0.5
target = torch.rand(3, 2 * L) * 48 + 8
positive = torch.tensor([1.0, 0.0, 1.0])


def objective(out):
    d = (out[:, : 2 * L] - target).abs()
    w, eps = 10.0, 2.0
    C = w - w * torch.log(torch.tensor(1 + w / eps))
    wing = torch.where(d < w, w * torch.log1p(d / eps), d - C).sum(dim=1)
    landmark = (wing * positive).sum() / positive.sum()
    face = nn.functional.binary_cross_entropy_with_logits(out[:, 2 * L], positive, reduction="mean")
    return landmark, face


params = []
for n, m in names.items():
    params += [(f"{n}.weight", m.weight), (f"{n}.bias", m.bias)]

tensors = {"input": x, "target": target, "positive": positive}
for n, p in params:
    tensors["param." + n] = p.detach().clone()
out = net(x)
lm, face = objective(out)
(lm + face).backward()
tensors["output"] = out.detach()
for n, p in params:
    tensors["grad." + n] = p.grad.detach().clone()
meta = {"landmark_loss": lm.item(), "face_loss": face.item()}

opt = torch.optim.SGD([{"params": [p for n, p in params if n.endswith("weight")], "weight_decay": 5e-4},
                       {"params": [p for n, p in params if n.endswith("bias")], "weight_decay": 0.0}],
                      lr=1e-3, momentum=0.9, nesterov=True)
losses = []
for step in range(3):
    opt.zero_grad()
    lm, face = objective(net(x))
    losses.append((lm + face).item())
    (lm + face).backward()
    opt.step()
with torch.no_grad():
    lm, face = objective(net(x))
    losses.append((lm + face).item())
meta["sgd_losses"] = losses
meta["torch_version"] = torch.__version__

outdir = os.path.join(ROOT, "Tests", "WingNNTests", "Fixtures")
os.makedirs(outdir, exist_ok=True)
blob, index, offset = bytearray(), {}, 0
for n, t in tensors.items():
    values = t.contiguous().view(-1).float().tolist()
    arr = struct.pack(f"<{len(values)}f", *values)
    index[n] = {"shape": list(t.shape), "offset": offset, "count": t.numel()}
    blob += arr
    offset += len(arr)
meta["tensors"] = index
with open(os.path.join(outdir, "cnn6_small.bin"), "wb") as f:
    f.write(blob)
with open(os.path.join(outdir, "cnn6_small.json"), "w") as f:
    json.dump(meta, f, indent=1, sort_keys=True)
print(f"wrote {len(blob)} bytes; losses {losses}")

#!/usr/bin/env python3
"""Times the same CNN-6 / CNN-7 training step (forward + backward + Nesterov SGD, batch 64, summed Wing
loss) and batch-1 forward in PyTorch CPU on this machine, for a side-by-side ratio with
`wingtrack bench nn`. Run with the torch venv: `.venv-torch/bin/python Benchmarks/torch_train_speed.py`
(`python3 Scripts/make_torch_fixture.py` creates it). Prints one JSON object.
"""
import json
import sys
import time

import torch
import torch.nn as nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(threads)


def net(channels, side):
    layers, cin = [], 3
    for c in channels:
        layers += [nn.Conv2d(cin, c, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2, 2)]
        cin = c
        side //= 2
    layers += [nn.Flatten(), nn.Linear(cin * side * side, 1024), nn.ReLU(), nn.Linear(1024, 137)]
    return nn.Sequential(*layers)


def wing(out, target, w=10.0, eps=2.0):
    d = (out[:, :136] - target).abs()
    c = w - w * torch.log(torch.tensor(1 + w / eps))
    return torch.where(d < w, w * torch.log1p(d / eps), d - c).sum(dim=1).mean()


def train_rate(model, side, seconds=6.0, batch=64):
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9, nesterov=True, weight_decay=5e-4)
    x = torch.rand(batch, 3, side, side) - 0.5
    t = torch.full((batch, 136), side / 2.0)
    def step():
        opt.zero_grad()
        loss = wing(model(x), t)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 20)
        opt.step()
    step()
    n, t0 = 0, time.time()
    while time.time() - t0 < seconds:
        step(); n += 1
    return n * batch / (time.time() - t0)


def forward_ms(model, side, seconds=3.0):
    torch.set_num_threads(1)
    x = torch.rand(1, 3, side, side)
    with torch.no_grad():
        for _ in range(3):
            model(x)
        times = []
        t0 = time.time()
        while time.time() - t0 < seconds or len(times) < 5:
            a = time.perf_counter(); model(x); times.append((time.perf_counter() - a) * 1e3)
    torch.set_num_threads(threads)
    times.sort()
    return times[len(times) // 2]


torch.manual_seed(0)
cnn6, cnn7 = net([32, 64, 128, 256, 512], 64), net([64, 64, 128, 256, 512, 512], 128)
print(json.dumps({
    "torch_version": torch.__version__, "threads": threads,
    "cnn6_forward_ms": forward_ms(cnn6, 64), "cnn7_forward_ms": forward_ms(cnn7, 128),
    "cnn6_train_samples_per_s": train_rate(cnn6, 64), "cnn7_train_samples_per_s": train_rate(cnn7, 128),
}, indent=1))

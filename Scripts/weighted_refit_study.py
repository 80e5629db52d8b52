#!/usr/bin/env python3
"""Does a refit weighted like the metric help the turned faces?

The inter-ocular NME divides each face's error by its eye distance, which nearly vanishes on faces
turned beyond 60°; the refit's ridge regression (HeadRefit) weighs every face alike in crop pixels.
This fits, per labelling convention, a correction on top of the shipped blocks with each training row
weighted by 1 / max(eye distance ÷ landmark box side, floor)² (the metric's weighting, squared, with
a floor), the ridge strength chosen on held-out training subjects as the refit does, and measures the
val faces of the same convention (mean, median, failures).

    wingtrack evaluate --data ../shared/data/faces68 --split val --features val.bin
    wingtrack evaluate --data ../shared/data/faces68 --split train --features train.bin --feature-draws 2
    python3 Scripts/weighted_refit_study.py val.bin train.bin

Needs numpy. An analysis, not part of the product (docs/experiments.md, "A refit weighted like the metric").
"""
import os, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convention_study import load, nme, POINTS, CONVENTION

def fnv(s):
    """FNV-1a 64 of the subject's name: one subject in five (hash % 5 == 0) is held out, as HeadRefit does."""
    h = 0xcbf29ce484222325
    for b in s.encode():
        h ^= b; h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

if len(sys.argv) != 3:
    sys.exit(__doc__)
va, tr = load(sys.argv[1]), load(sys.argv[2])
def side(Y):
    w = Y[:, :POINTS].max(1) - Y[:, :POINTS].min(1); h = Y[:, POINTS:].max(1) - Y[:, POINTS:].min(1)
    return np.maximum(w, h)
def iod(Y): return np.hypot(Y[:, 36] - Y[:, 45], Y[:, POINTS + 36] - Y[:, POINTS + 45])

def wfit(X, R, w, lam):
    w = w / w.mean()
    mu = (w[:, None] * X).sum(0) / w.sum(); r0 = (w[:, None] * R).sum(0) / w.sum()
    if lam == np.inf: return np.zeros((X.shape[1], R.shape[1])), r0, mu
    Xc = (X - mu) * np.sqrt(w)[:, None]; Rc = (R - r0) * np.sqrt(w)[:, None]
    W = np.linalg.solve(Xc.T @ Xc + lam * np.eye(X.shape[1]), Xc.T @ Rc)
    return W, r0, mu
def pred(X, O, f):
    W, r0, mu = f
    return O + (X - mu) @ W + r0

conv_tr = np.array([CONVENTION.get(s, s) for s in tr["source"]]); conv_va = np.array([CONVENTION.get(s, s) for s in va["source"]])
held = np.array([fnv(s) % 5 == 0 for s in tr["subject"]])
base_va = nme(va["O"], va["Y"])
print("val shipped: mean %.4f fail@0.10 %d" % (base_va.mean(), (base_va > 0.10).sum()))
for conv in ["AFLW2000-3D", "300-W", "YouTube-Faces"]:
    m = conv_tr == conv; v = conv_va == conv
    X, Y, O = tr["X"][m], tr["Y"][m], tr["O"][m]; R = Y - O; h = held[m]
    Xv, Yv, Ov = va["X"][v], va["Y"][v], va["O"][v]
    ratio = iod(Y) / side(Y)
    print(f"== {conv}: train rows {m.sum()}, val {v.sum()}: shipped val mean {nme(Ov, Yv).mean():.4f} fail@0.10 {(nme(Ov, Yv) > 0.10).sum()}")
    for floor in [None, 0.3, 0.2, 0.1, 0.05]:
        w = np.ones(len(X)) if floor is None else 1 / np.maximum(ratio, floor) ** 2
        best = None
        for lam in [np.inf, 1e6, 3e5, 1e5, 3e4, 1e4, 3e3]:
            f = wfit(X[~h], R[~h], w[~h], lam)
            e = nme(pred(X[h], O[h], f), Y[h]).mean()
            if best is None or e < best[0]: best = (e, lam)
        f = wfit(X, R, w, best[1])
        ev = nme(pred(Xv, Ov, f), Yv)
        print(f"floor {floor}: held-out {best[0]:.4f} (λ {best[1]:g}) → val mean {ev.mean():.4f} median {np.median(ev):.4f} fail@0.10 {(ev > 0.10).sum()} fail@0.08 {(ev > 0.08).sum()}")

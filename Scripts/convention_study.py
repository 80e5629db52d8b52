#!/usr/bin/env python3
"""How much of CNN-7's error is the sources' different labelling conventions?

faces68 mixes three annotation styles of the 68 points: 300-W (AFW, HELEN), YouTube-Faces (Udacity)
and AFLW2000-3D (3-D landmarks projected, so the jaw of a turned face is not its visible outline).
The network is trained on all of them at once and answers with a compromise. This study fits, per
convention, a linear correction of CNN-7's output layer (ridge regression of the residual on the
last hidden layer) on that convention's *training* faces only, picks the ridge strength on
training subjects held out, and measures the val faces of the same convention with it.

    wingtrack evaluate --data ../shared/data/faces68 --split val --features val.bin
    wingtrack evaluate --data ../shared/data/faces68 --split train --features train.bin --feature-draws 2
    python3 Scripts/convention_study.py val.bin train.bin

Needs numpy (Debian: python3-numpy). An analysis, not part of the product: the weights the tracker
uses come from `wingtrack train` only.
"""
import csv
import hashlib
import sys

import numpy as np

HIDDEN, POINTS = 1024, 68
ROW = HIDDEN + 2 * POINTS + 2 * POINTS + 1
CONVENTION = {"afw": "300-W", "helen_train": "300-W", "udacity": "YouTube-Faces", "aflw2000": "AFLW2000-3D"}
LAMBDAS = [np.inf, 1e6, 1e5, 3e4, 1e4, 3e3, 1e3]


def load(path):
    a = np.fromfile(path, dtype=np.float32).reshape(-1, ROW).astype(np.float64)
    with open(path + ".csv") as f:
        meta = list(csv.DictReader(f))
    if len(meta) != len(a):
        sys.exit(f"{path}: {len(a)} rows but {len(meta)} lines in {path}.csv")
    return {
        "X": a[:, :HIDDEN],
        "Y": a[:, HIDDEN:HIDDEN + 2 * POINTS],
        "O": a[:, HIDDEN + 2 * POINTS:HIDDEN + 4 * POINTS],
        "source": np.array([m["source"] for m in meta]),
        "subject": np.array([m["subject"] for m in meta]),
    }


def nme(P, Y):
    """Inter-ocular NME per face (all x then all y, crop pixels)."""
    dx, dy = P[:, :POINTS] - Y[:, :POINTS], P[:, POINTS:] - Y[:, POINTS:]
    iod = np.hypot(Y[:, 36] - Y[:, 45], Y[:, POINTS + 36] - Y[:, POINTS + 45])
    return np.sqrt(dx ** 2 + dy ** 2).mean(1) / iod


def fit(X, R, lam):
    """Ridge regression of R on X with an unpenalised offset; lam = inf keeps the offset alone."""
    mu, r0 = X.mean(0), R.mean(0)
    if lam == np.inf:
        return np.zeros((X.shape[1], R.shape[1])), r0, mu
    Xc = X - mu
    W = np.linalg.solve(Xc.T @ Xc + lam * np.eye(X.shape[1]), Xc.T @ (R - r0))
    return W, r0, mu


def apply(model, X, O):
    W, r0, mu = model
    return O + (X - mu) @ W + r0


def held_out(subjects):
    """One training subject in five, by a stable hash, is held out to choose the ridge strength."""
    return np.array([int(hashlib.md5(s.encode()).hexdigest(), 16) % 5 == 0 for s in subjects])


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    val, train = load(sys.argv[1]), load(sys.argv[2])
    conv = lambda d: np.array([CONVENTION.get(s, s) for s in d["source"]])
    val_conv, train_conv = conv(val), conv(train)
    heads = {}
    for c in sorted(set(val_conv)):
        t = train_conv == c
        if not t.any():
            print(f"{c}: no training faces, no head")
            continue
        X, O, Y = train["X"][t], train["O"][t], train["Y"][t]
        hold = held_out(train["subject"][t])
        scores = {lam: nme(apply(fit(X[~hold], (Y - O)[~hold], lam), X[hold], O[hold]), Y[hold]).mean() for lam in LAMBDAS}
        lam = min(scores, key=scores.get)
        heads[c] = (fit(X, Y - O, lam), fit(X, Y - O, np.inf), lam)
        print(f"{c}: {t.sum()} training rows; held-out NME uncorrected {nme(O[hold], Y[hold]).mean():.4f}, "
              + ", ".join(f"λ={l:g}: {s:.4f}" for l, s in scores.items()) + f" → λ = {lam:g}")

    print("\n| val source (convention) | faces | CNN-7 as trained | + constant offset of its convention | + linear head of its convention | + 300-W head |")
    print("|---|---:|---:|---:|---:|---:|")
    own = val["O"].copy()
    for s in sorted(set(val["source"])):
        m = val["source"] == s
        c = CONVENTION.get(s, s)
        X, O, Y = val["X"][m], val["O"][m], val["Y"][m]
        cells = [f"{100 * nme(O, Y).mean():.2f} %"]
        if c in heads:
            head, offset, _ = heads[c]
            own[m] = apply(head, X, O)
            cells += [f"{100 * nme(apply(offset, X, O), Y).mean():.2f} %", f"**{100 * nme(own[m], Y).mean():.2f} %**"]
        else:
            cells += ["—", "—"]
        cells.append(f"{100 * nme(apply(heads['300-W'][0], X, O), Y).mean():.2f} %" if "300-W" in heads else "—")
        print(f"| {s} ({c}) | {m.sum()} | " + " | ".join(cells) + " |")
    before, after = nme(val["O"], val["Y"]), nme(own, val["Y"])
    print(f"| all | {len(before)} | {100 * before.mean():.2f} % (fail@0.10 {100 * (before > 0.10).mean():.1f} %) | | "
          f"**{100 * after.mean():.2f} %** (fail@0.10 {100 * (after > 0.10).mean():.1f} %) | |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Two (or more) models folders side by side on the figures that decide whether a CNN-7 ships.

    python3 Scripts/compare_models.py models /work/cand [--clips48] [--data ../shared/data/faces68]

Each folder holds cnn6.wtm, cnn7.wtm and head_pose.json (a candidate: its refitted cnn7.wtm beside
copies of the shipped cnn6.wtm and head_pose.json, e.g. after
`wingtrack refit RUN/best.wtm --data ../shared/data/faces68 --draws 2 --strength one-se --f16 --out CAND/cnn7.wtm`).
For each it runs `wingtrack evaluate` on val (single pass, --flip-average, --convention 300-W) and
`wingtrack evaluate-tracking` on the 12 ground-truth clips (and the 48 with --clips48), then prints
one Markdown table, a column per folder. Standard library only; the figures are the commands' own.
"""
import argparse, json, os, subprocess, sys

BIN = os.environ.get("BIN", ".build/release/wingtrack")


def run(args):
    r = subprocess.run([BIN] + args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"wingtrack {' '.join(args)}: exit {r.returncode}: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ''}")
    return json.loads(r.stdout)


def per_source(report):
    """The report's mean NME on AFW / YouTube-Faces / AFLW2000-3D, as "a / b / c"."""
    return " / ".join(f"{100 * report['sources'][s]['nme_io_mean']:.2f}" for s in ("afw", "udacity", "aflw2000"))


def clip_mean(report):
    """The clips' mean NME in %, or "—" when no frame was tracked (the key is then left out)."""
    return f"{100 * report['meanNME']:.2f}" if "meanNME" in report else "—"


def measure(models, data, clips48):
    ev = lambda *extra: run(["evaluate", "--data", data, "--split", "val", "--models", models, "--json", *extra])
    tr = lambda *extra: run(["evaluate-tracking", "--data", data, "--models", models, "--json", *extra])
    one, flip, w300 = ev(), ev("--flip-average"), ev("--convention", "300-W")
    rows = {
        "val mean / median": f"{100 * one['nme_io_mean']:.2f} / {100 * one['nme_io_median']:.2f} %",
        "val fail@0.08 / fail@0.10": f"{100 * one['failure_008']:.1f} / {100 * one['failure_010']:.1f} %",
        "val AFW / YouTube-Faces / AFLW2000-3D": per_source(one) + " %",
        "val AUC@0.08": f"{one['auc_008']:.3f}",
        "flip-averaged: mean / AFW / fail@0.10": f"{100 * flip['nme_io_mean']:.2f} / {100 * flip['sources']['afw']['nme_io_mean']:.2f} / {100 * flip['failure_010']:.1f} %",
        # The tracker answers in the 300-W block for every face: its figures on turned faces matter.
        "300-W block for all: mean / AFW / YouTube-Faces / AFLW2000-3D": f"{100 * w300['nme_io_mean']:.2f} / {per_source(w300)} %",
    }
    t12 = tr()
    rows["12 clips: mean / failure@0.08 / AUC@0.08"] = f"{clip_mean(t12)} / {100 * t12['failureRate008']:.2f} % / {t12['auc008']:.3f}"
    if clips48:
        t48 = tr("--clips", "48")
        rows["48 clips: mean / failure@0.08 / jitter"] = f"{clip_mean(t48)} / {100 * t48['failureRate008']:.2f} % / {t48['jitter']:.4f}"
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="+", help="models folders (cnn6.wtm, cnn7.wtm, head_pose.json)")
    ap.add_argument("--data", default="../shared/data/faces68")
    ap.add_argument("--clips48", action="store_true", help="also the 48 ground-truth clips (a few minutes more per folder)")
    a = ap.parse_args()
    for f in a.folders:
        missing = [n for n in ("cnn6.wtm", "cnn7.wtm") if not os.path.exists(os.path.join(f, n))]
        if missing:
            sys.exit(f"{f}: no {', '.join(missing)}")
    results = [measure(f, a.data, a.clips48) for f in a.folders]
    print("| | " + " | ".join(a.folders) + " |")
    print("|---|" + "---:|" * len(a.folders))
    for key in results[0]:
        print(f"| {key} | " + " | ".join(r[key] for r in results) + " |")


if __name__ == "__main__":
    main()

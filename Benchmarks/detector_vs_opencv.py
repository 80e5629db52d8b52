#!/usr/bin/env python3
"""Face-detector speed next to OpenCV's own CascadeClassifier, same cascade, one thread.

    .venv-bench/bin/python Benchmarks/detector_vs_opencv.py VIDEO... [--every N] [--cascade NAME]

For every N-th frame of each video: `wingtrack detect --json --no-profile`, once with `--exhaustive`
(OpenCV's scan grid: the same work) and once with its default coarse-to-fine scan (its per-frame time
covers detection only, on the grey frame; the first frame, which also compiles the cascade for each
pyramid width, is left out), and OpenCV's detectMultiScale with the same cascade file, scale factor 1.1,
min neighbours 3 and min face = 1/16 of the shorter side (wingtrack's default), after
cv2.setNumThreads(1). Prints a Markdown table of median milliseconds per frame and how many frames
each found a face on. Needs the bench venv (`make bench` creates it: opencv-python-headless).
"""
import argparse, json, statistics, subprocess, sys, time
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".build/release/wingtrack"
CASCADES = ROOT / "Sources/FaceDetect/Cascades"


def ours(video, every, cascade, exhaustive):
    scan = ["--exhaustive"] if exhaustive else []
    out = subprocess.run([str(BIN), "detect", video, "--json", "--no-profile", "--every", str(every), "--cascade", cascade, "--threads", "1"] + scan,
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"detector_vs_opencv: wingtrack detect {video} failed: {out.stderr.strip()}")
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    rows = rows[1:] if len(rows) > 1 else rows
    return [r["ms"] for r in rows], sum(1 for r in rows if r["faces"])


def opencv(video, every, cascade):
    clf = cv2.CascadeClassifier(str(CASCADES / f"{cascade}.xml"))
    cap = cv2.VideoCapture(video)
    if not cap.isOpened():
        sys.exit(f"detector_vs_opencv: OpenCV cannot open {video}")
    times, found, k, first = [], 0, 0, True
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if k % every == 0:
            grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            m = max(24, min(grey.shape) // 16)
            t = time.perf_counter()
            faces = clf.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=3, minSize=(m, m))
            ms = (time.perf_counter() - t) * 1000
            if not first:
                times.append(ms)
                found += len(faces) > 0
            first = False
        k += 1
    return times, found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("videos", nargs="+")
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--cascade", default="haarcascade_frontalface_alt2")
    a = ap.parse_args()
    if not BIN.exists():
        sys.exit(f"detector_vs_opencv: {BIN} not found; run 'make build' first")
    cv2.setNumThreads(1)
    print(f"OpenCV {cv2.__version__}, cascade {a.cascade}, every {a.every}th frame, one thread\n")
    print("| video | size | frames timed | wingtrack exhaustive median ms | OpenCV median ms | ratio | wingtrack coarse-to-fine median ms | frames with a face (exhaustive / coarse-to-fine / OpenCV) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for v in a.videos:
        cap = cv2.VideoCapture(v)
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        cap.release()
        t_ours, f_ours = ours(v, a.every, a.cascade, exhaustive=True)
        t_fast, f_fast = ours(v, a.every, a.cascade, exhaustive=False)
        t_cv, f_cv = opencv(v, a.every, a.cascade)
        mo, mf, mc = statistics.median(t_ours), statistics.median(t_fast), statistics.median(t_cv)
        print(f"| {Path(v).name} | {w}×{h} | {len(t_ours)} | {mo:.1f} | {mc:.1f} | {mo / mc:.2f} | {mf:.1f} | {f_ours} / {f_fast} / {f_cv} |")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Tracks every clip of a folder with several tracker settings and prints, per clip and setting:
# frames, success rate, re-acquisitions, jitter (÷ inter-ocular) and end-to-end fps.
# Usage: Benchmarks/real_clips.sh [VIDEO_DIR] [extra track options...]   (needs a release build)
set -euo pipefail
dir=${1:-../shared/data/video}; shift || true
bin=.build/release/wingtrack
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
declare -A settings=(
  [raw]="--no-constant-velocity --smooth none"
  [cv]="--constant-velocity --smooth none"
  [cv+euro]="--constant-velocity --smooth one-euro --smooth-cutoff 2 --smooth-beta 1"
)
for name in raw cv cv+euro; do
  "$bin" track "$dir" -o "$out/$name" ${settings[$name]} "$@" 2>/dev/null >/dev/null || true
done
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
names = ["raw", "cv", "cv+euro"]
clips = sorted(f[:-5] for f in os.listdir(os.path.join(out, "raw")) if f.endswith(".json") and f != "summary.json")
print("| clip | frames | " + " | ".join(f"{n}: success / re-acq / jitter / fps" for n in names) + " |")
print("|---|---:|" + "---:|" * len(names))
for c in clips:
    cells = []
    frames = 0
    for n in names:
        j = json.load(open(os.path.join(out, n, c + ".json")))
        frames = j["frames"]
        jit = j.get("jitter")
        cells.append(f"{100*j['successRate']:.1f} % / {j['acquisitions']-1} / {jit:.4f} / {j['processingFps']:.0f}" if jit is not None else f"{100*j['successRate']:.1f} % / - / - / {j['processingFps']:.0f}")
    print(f"| {c} | {frames} | " + " | ".join(cells) + " |")
PY

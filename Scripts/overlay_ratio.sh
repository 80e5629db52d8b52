#!/bin/bash
# Issue #7's overlay bar on one clip: rounds that alternate ffmpeg's own decode + x264 (the ceiling,
# the settings `make bench` uses) with `wingtrack track` (overlay on) for each models folder given.
#
#   Scripts/overlay_ratio.sh ROUNDS VIDEO MODELS_DIR...
#   Scripts/overlay_ratio.sh 4 ../shared/data/video/source_s18.mp4 models models/fast
#
# Prints per round: the ceiling's fps, then per folder wingtrack's fps, its ratio to the ceiling and
# CNN-6 / CNN-7 milliseconds per frame (from NAME.json). Run with nothing else on the CPU.
set -euo pipefail
BIN=${BIN:-.build/release/wingtrack}
[ $# -ge 3 ] || { echo "usage: $0 ROUNDS VIDEO MODELS_DIR..." >&2; exit 2; }
rounds=$1 video=$2; shift 2
[ -f "$video" ] || { echo "$video: no such file" >&2; exit 1; }
name=$(basename "${video%.*}")
frames=$("$BIN" info "$video" --count --json | python3 -c "import json,sys; print(json.load(sys.stdin)['frames_decoded'])")
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
for r in $(seq "$rounds"); do
  start=$(date +%s.%N)
  ffmpeg -nostdin -v error -i "$video" -c:v libx264 -preset veryfast -crf 23 -c:a copy -f mp4 -y /dev/null
  ceiling=$(python3 -c "print(round($frames / ($(date +%s.%N) - $start), 1))")
  line="round $r: ceiling $ceiling fps"
  for models in "$@"; do
    "$BIN" track "$video" -o "$out" --models "$models" 2>/dev/null
    line+=$(python3 - "$out/$name.json" "$ceiling" "$models" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); st = d["stageSeconds"]; n = d["frames"]
print(f" | {sys.argv[3]}: {d['processingFps']:.1f} fps, ratio {d['processingFps'] / float(sys.argv[2]):.2f}, "
      f"CNN-6 {1000 * st['cnn6'] / n:.2f} ms, CNN-7 {1000 * st['cnn7'] / n:.2f} ms")
PY
)
  done
  echo "$line"
done

#!/bin/sh
# `track --max-faces` on real clips: pairs of the one-person clips in ../shared/data/video put side
# by side (ffmpeg hstack, both scaled to 512×512, cut to the shorter), so each person stays in one
# half and an id that changes person shows as a change of half. Per pair: frames, frames each id
# tracked, frames an id spent in the other half than its first, fps with --max-faces 1 and 2
# (no overlay), and the cost of a spare id on the one-person 1280×720 clip.
#
#   make build && Benchmarks/multi_face.sh [OUTDIR]
set -eu
cd "$(dirname "$0")/.."
BIN=.build/release/wingtrack
VIDEO=../shared/data/video
OUT=${1:-out/multi_face}
[ -x "$BIN" ] || { echo "multi_face.sh: $BIN missing: run make build first" >&2; exit 1; }
[ -d "$VIDEO" ] || { echo "multi_face.sh: $VIDEO missing: the shared clips are needed" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "multi_face.sh: the ffmpeg command is needed (apt-get install ffmpeg)" >&2; exit 1; }
mkdir -p "$OUT"

report() {   # report NAME.csv NAME.json WIDTH: one table row
    python3 - "$1" "$2" "$3" <<'EOF'
import csv, json, sys
rows, meta, width = sys.argv[1], json.load(open(sys.argv[2])), float(sys.argv[3])
ids, frames = {}, set()
for r in csv.DictReader(open(rows)):
    frames.add(r["frame"])
    if r["success"] != "1":
        continue
    cx = float(r["box_x"]) + float(r["box_w"]) / 2
    ids.setdefault(int(r["face_id"]), []).append(0 if cx < width / 2 else 1)
tracked = " / ".join(str(len(ids.get(i, []))) for i in range(len(meta["faces"])))
moved = " / ".join(str(sum(h != ids[i][0] for h in ids[i])) if i in ids else "-" for i in range(len(meta["faces"])))
print(f"| {len(frames)} | {tracked} | {moved} | {meta['acquisitions']} | {meta['detectorRuns']} | {meta['processingFps']:.1f} |")
EOF
}

echo "| clip | faces | frames | frames tracked per id | frames in the other half | acquisitions | detector runs | fps |"
echo "|---|---:|---:|---|---|---:|---:|---:|"
for pair in "driving_d3 driving_d9" "driving_d6 driving_d10" "driving_d11 driving_d12"; do
    set -- $pair
    name="${1}+${2}"
    clip="$OUT/$name.mp4"
    [ -f "$clip" ] || ffmpeg -v error -y -i "$VIDEO/$1.mp4" -i "$VIDEO/$2.mp4" -filter_complex \
        "[0:v]scale=512:512,setsar=1[a];[1:v]scale=512:512,setsar=1[b];[a][b]hstack=inputs=2:shortest=1[v]" \
        -map "[v]" -c:v libx264 -crf 18 -preset veryfast "$clip"
    for n in 1 2; do
        "$BIN" track "$clip" -o "$OUT/max$n" --no-video --max-faces "$n" 2>/dev/null
        printf "| %s | %s " "$name" "$n"
        report "$OUT/max$n/$name.csv" "$OUT/max$n/$name.json" 1024
    done
done
for n in 1 2; do
    "$BIN" track "$VIDEO/source_s18.mp4" -o "$OUT/max$n" --no-video --max-faces "$n" 2>/dev/null
    printf "| source_s18 (one person) | %s " "$n"
    report "$OUT/max$n/source_s18.csv" "$OUT/max$n/source_s18.json" 1280
done

#!/usr/bin/env bash
# The paper's loss study at one small, equal budget on CNN-6 (issue #4, docs/experiments.md).
#
#   Scripts/loss_study.sh [SAMPLES] [OUT]      defaults: 30000 samples per arm, runs/loss-study
#   (THREADS=n sets the BLAS threads of each training run; default: all cores)
#   (ONLY="wing-10-2 l1 ..." trains and compares only those arms, e.g. two shells on two cores)
#
# Every arm trains `wingtrack train --net cnn6` with the same recipe, seed, schedule and sample budget;
# only the loss (and, in the last arm, PDB) changes. An arm whose OUT/ARM/best.wtm already exists is
# not retrained, so the script can be stopped and run again. Then every arm's best weights are
# evaluated alone on val from the same detector-like boxes (`wingtrack evaluate --compare`), giving
# OUT/study.md (table), OUT/study.json and OUT/study_ced.svg (CED curves).
set -euo pipefail
SAMPLES=${1:-30000}
OUT=${2:-runs/loss-study}
DATA=${DATA:-../shared/data/faces68}
BIN=${BIN:-.build/release/wingtrack}
THREADS=${THREADS:-0}

# label | train flags
ARMS=(
  "wing-10-2|--loss wing --w 10 --epsilon 2"
  "wing-5-2|--loss wing --w 5 --epsilon 2"
  "wing-15-3|--loss wing --w 15 --epsilon 3"
  "wing-10-0.5|--loss wing --w 10 --epsilon 0.5"
  "rwing-10-2-r0.5|--loss rwing --w 10 --epsilon 2 --r 0.5"
  "l1|--loss l1"
  "smooth-l1|--loss smooth-l1"
  "l2|--loss l2"
  "wing-10-2-no-pdb|--loss wing --w 10 --epsilon 2 --no-pdb"
)

[ -x "$BIN" ] || { echo "loss_study: $BIN not found; run 'make build' first" >&2; exit 1; }
[ -f "$DATA/landmarks.csv" ] || { echo "loss_study: $DATA/landmarks.csv not found (set DATA=...)" >&2; exit 1; }
mkdir -p "$OUT"
compare=()
for arm in "${ARMS[@]}"; do
  label=${arm%%|*}; flags=${arm#*|}
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $label "* ]]; then continue; fi
  dir="$OUT/$label"
  if [ ! -f "$dir/best.wtm" ] || ! grep -q '^done:' "$dir.log" 2>/dev/null; then
    resume=""; [ -f "$dir/last.state" ] && resume="--resume"
    echo "== $label: $BIN train --data $DATA --net cnn6 $flags --samples $SAMPLES --seed 1 --threads $THREADS --out $dir $resume"
    # shellcheck disable=SC2086
    "$BIN" train --data "$DATA" --net cnn6 $flags --samples "$SAMPLES" --seed 1 --threads "$THREADS" --out "$dir" $resume 2>&1 \
      | tee -a "$dir.log" | grep --line-buffered -E "val NME|^done" || true
    grep -q '^done:' "$dir.log" || { echo "loss_study: arm $label did not finish (see $dir.log)" >&2; exit 1; }
  fi
  compare+=(--compare "$label=$dir/best.wtm")
done
"$BIN" evaluate --data "$DATA" --split val "${compare[@]}" --json --report "$OUT/study.md" --svg "$OUT/study_ced.svg" \
  > "$OUT/study.json"
cat "$OUT/study.md"
echo "loss_study: $OUT/study.md, $OUT/study.json, $OUT/study_ced.svg"

#!/usr/bin/env bash
# Decode speed of `wingtrack info --count` (decode + conversion to RGB) next to the ffmpeg command line
# decoding to nothing (`-f null`), both timed as whole processes (start-up and probing included),
# best of 3 runs each, in the same run. Usage: Benchmarks/decode_vs_ffmpeg.sh VIDEO...
set -euo pipefail
BIN=${BIN:-.build/release/wingtrack}
best() { # best wall time in seconds of 3 runs of "$@"
  local b=999
  for _ in 1 2 3; do
    local s=$(date +%s.%N); "$@" >/dev/null 2>&1; local e=$(date +%s.%N)
    b=$(echo "if ($e - $s < $b) $e - $s else $b" | bc -l)
  done
  echo "$b"
}
printf "| video | frames | wingtrack fps | ffmpeg -f null fps | ratio |\n|---|---:|---:|---:|---:|\n"
for v in "$@"; do
  n=$("$BIN" info --count --json "$v" | sed -E 's/.*"frames_decoded":([0-9]+).*/\1/')
  tw=$(best "$BIN" info --count "$v")
  tf=$(best ffmpeg -loglevel error -i "$v" -f null -)
  printf "| %s | %d | %.0f | %.0f | %.2f |\n" "$(basename "$v")" "$n" "$(echo "$n / $tw" | bc -l)" "$(echo "$n / $tf" | bc -l)" "$(echo "$tf / $tw" | bc -l)"
done

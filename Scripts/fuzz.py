#!/usr/bin/env python3
"""make fuzz: mutate a valid clip N times (byte flips, inserted junk, truncations, duplicated chunks,
mostly in the payload)
and run each through `wingtrack track --no-video` in its own process, with a timeout. Counts
crashes (killed by a signal or an unexpected exit code), hangs (timeout) and error kinds.

usage: Scripts/fuzz.py [N=1000] [--seed S] [--timeout SEC] [--keep DIR]
"""
import argparse, collections, os, random, re, shutil, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("n", nargs="?", type=int, default=1000)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--timeout", type=float, default=60)
ap.add_argument("--keep", help="keep crashing / hanging inputs here")
ap.add_argument("--bin", default=".build/release/wingtrack")
a = ap.parse_args()

work = tempfile.mkdtemp(prefix="wingtrack-fuzz-")
base = os.path.join(work, "base.mp4")
# A short valid clip: the first 10 frames of the sample at 320×240, with its audio.
# The index (moov) first, so that most mutations reach the decoders rather than the demuxer.
subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", "samples/grace_hopper.mp4", "-frames:v", "10", "-vf", "scale=320:240",
                "-c:v", "libx264", "-c:a", "aac", "-movflags", "+faststart", base], check=True)
data = open(base, "rb").read()
rng = random.Random(a.seed)

def mutate(d: bytes) -> bytes:
    """1-3 mutations; each lands in the payload (after the first 5 %, where the index lives) 3 times in 4."""
    d = bytearray(d)
    def pos():
        lo = len(d) // 20 if rng.random() < 0.75 else 0
        return rng.randrange(lo, len(d))
    for _ in range(rng.randint(1, 3)):
        if len(d) < 2: break
        k = rng.randrange(4)
        if k == 0:
            for _ in range(rng.randint(1, 50)): d[pos()] ^= rng.randint(1, 255)
        elif k == 1:
            at = pos(); d[at:at] = rng.randbytes(rng.randint(1, 256))
        elif k == 2:
            d = d[:pos()]
        else:
            s = pos(); n = min(len(d) - s, rng.randint(1, 4096)); at = pos()
            d[at:at] = d[s:s + n]
    return bytes(d)

counts = collections.Counter(); kinds = collections.Counter()
t0 = time.time()
for i in range(a.n):
    f = os.path.join(work, f"case{i:05d}.mp4")
    open(f, "wb").write(mutate(data))
    out = os.path.join(work, "out")
    try:
        r = subprocess.run([a.bin, "track", f, "-o", out, "--no-video"], capture_output=True, text=True, timeout=a.timeout)
        if r.returncode == 0:
            counts["done"] += 1
        elif r.returncode == 1:
            counts["failed cleanly"] += 1
            line = next((l for l in r.stderr.splitlines() if l.startswith("wingtrack: error:")), "?")
            kinds[re.sub(r"^wingtrack: error: \S+: ", "", line)[:70]] += 1
        else:
            counts[f"CRASH (exit {r.returncode})"] += 1
            if a.keep: os.makedirs(a.keep, exist_ok=True); shutil.copy(f, a.keep)
    except subprocess.TimeoutExpired:
        counts["HANG"] += 1
        if a.keep: os.makedirs(a.keep, exist_ok=True); shutil.copy(f, a.keep)
    os.remove(f); shutil.rmtree(out, ignore_errors=True)
    if (i + 1) % 100 == 0:
        print(f"{i + 1}/{a.n}: {dict(counts)}", file=sys.stderr, flush=True)

print(f"\n{a.n} fuzzed inputs in {time.time() - t0:.0f} s (seed {a.seed}):")
for k, v in counts.most_common(): print(f"  {k}: {v}")
print("error kinds:")
for k, v in kinds.most_common(12): print(f"  {v:5d}  {k}")
shutil.rmtree(work, ignore_errors=True)
bad = sum(v for k, v in counts.items() if k.startswith("CRASH") or k == "HANG")
sys.exit(1 if bad else 0)

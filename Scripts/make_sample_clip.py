#!/usr/bin/env python3
"""Makes samples/grace_hopper.mp4: about 6 s, 640x480, 30 fps, H.264, the Grace Hopper portrait moving
smoothly (translation, scale 0.8-1.2, in-plane rotation up to +-25 deg) over a plain background, with a
quiet 440 Hz tone (AAC) so that audio passthrough is visible.

Needs numpy and the ffmpeg command line. Usage: python3 Scripts/make_sample_clip.py [OUT.mp4]
"""
import math
import subprocess
import sys

import numpy as np

SRC = "samples/grace_hopper_512x512.jpg"
OUT = sys.argv[1] if len(sys.argv) > 1 else "samples/grace_hopper.mp4"
W, H, FPS, SECONDS = 640, 480, 30, 6
FACE = 360  # displayed side of the portrait at scale 1

raw = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", SRC, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                     check=True, capture_output=True).stdout
img = np.frombuffer(raw, np.uint8).reshape(512, 512, 3).astype(np.float32)

enc = subprocess.Popen(["ffmpeg", "-loglevel", "error", "-y",
                        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", str(FPS), "-i", "-",
                        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}",
                        "-filter:a", "volume=0.1", "-c:a", "aac", "-b:a", "64k",
                        "-c:v", "libx264", "-preset", "slow", "-crf", "23", "-pix_fmt", "yuv420p",
                        "-movflags", "+faststart", "-shortest", OUT], stdin=subprocess.PIPE)

ys, xs = np.mgrid[0:H, 0:W].astype(np.float32) + 0.5  # pixel centres
background = np.array([70, 80, 96], np.float32)
for k in range(FPS * SECONDS):
    t = k / FPS
    scale = 1.0 + 0.2 * math.sin(2 * math.pi * t / 4.0)
    angle = math.radians(25 * math.sin(2 * math.pi * t / 3.0))
    cx = W / 2 + 90 * math.sin(2 * math.pi * t / 5.0)
    cy = H / 2 + 40 * math.sin(2 * math.pi * t / 2.5)
    s = FACE * scale / 512
    # Inverse map: frame point -> portrait point (rotation about the portrait centre).
    dx, dy = xs - cx, ys - cy
    ca, sa = math.cos(-angle), math.sin(-angle)
    u = (ca * dx - sa * dy) / s + 256 - 0.5
    v = (sa * dx + ca * dy) / s + 256 - 0.5
    inside = (u >= 0) & (v >= 0) & (u <= 511) & (v <= 511)
    u0 = np.clip(np.floor(u), 0, 510).astype(np.int32)
    v0 = np.clip(np.floor(v), 0, 510).astype(np.int32)
    au = np.clip(u - u0, 0, 1)[..., None]
    av = np.clip(v - v0, 0, 1)[..., None]
    top = img[v0, u0] * (1 - au) + img[v0, u0 + 1] * au
    bot = img[v0 + 1, u0] * (1 - au) + img[v0 + 1, u0 + 1] * au
    frame = np.where(inside[..., None], top * (1 - av) + bot * av, background)
    enc.stdin.write(np.clip(frame + 0.5, 0, 255).astype(np.uint8).tobytes())
enc.stdin.close()
sys.exit(enc.wait())

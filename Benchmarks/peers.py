#!/usr/bin/env python3
"""make bench: wingtrack side by side with the ffmpeg ceiling, dlib and MediaPipe, in one run.

Writes docs/benchmarks.md (and docs/ced_peers.svg, docs/ced_clips.svg) and prints a compact table. Peers are installed
by `make bench` into .venv-bench from PyPI; they are never a product or test dependency.

usage: .venv-bench/bin/python Benchmarks/peers.py [--videos DIR] [--data DIR] [--quick]
"""
import argparse, csv, datetime, json, os, platform, re, shutil, statistics, subprocess, sys, tempfile, time

import numpy as np
import cv2
import dlib
import mediapipe as mp

BIN = ".build/release/wingtrack"
DLIB_MODEL = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"

# MediaPipe FaceMesh (468 points) → iBUG 68, an approximate, commonly used correspondence: MediaPipe
# has no jaw-line points at iBUG's positions, so jaw, brows and lip corners are only close. Used for
# speed and stability, never for accuracy.
MP68 = ([127, 234, 93, 132, 58, 172, 136, 150, 152, 377, 365, 397, 288, 361, 323, 454, 356] +   # jaw 0-16
        [70, 63, 105, 66, 107, 336, 296, 334, 293, 300] +                                         # brows 17-26
        [168, 197, 5, 4, 75, 97, 2, 326, 305] +                                                   # nose 27-35
        [33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380] +                             # eyes 36-47
        [61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181] +                                   # outer lips 48-59
        [78, 82, 13, 312, 308, 317, 14, 87])                                                      # inner lips 60-67
assert len(MP68) == 68


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def iod(p):
    return float(np.linalg.norm(p[36] - p[45]))


def nme(p, g):
    return float(np.mean(np.linalg.norm(p - g, axis=1)) / iod(g))


def jitter(seq):
    """Mean over points of |p_t − (p_{t−1}+p_{t+1})/2| ÷ inter-ocular, over frames with both neighbours."""
    v = [np.mean(np.linalg.norm(p - (a + b) / 2, axis=1)) / iod(p)
         for a, p, b in zip(seq, seq[1:], seq[2:]) if a is not None and p is not None and b is not None]
    return float(np.mean(v)) if v else float("nan")


def frames_of(path):
    cap = cv2.VideoCapture(path)
    while True:
        ok, f = cap.read()
        if not ok:
            return
        yield f


# ---------------------------------------------------------------- peers
predictor = dlib.shape_predictor(DLIB_MODEL)
hog = dlib.get_frontal_face_detector()


def dlib_shape(rgb, rect):
    s = predictor(rgb, rect)
    return np.array([[s.part(i).x + 0.5, s.part(i).y + 0.5] for i in range(68)], dtype=np.float64)


def run_dlib(path, mode):
    """mode 'detect': HOG + predictor every frame; 'track': HOG once, then the previous landmarks' box."""
    seq, prev, n = [], None, 0
    t0 = time.perf_counter()
    for frame in frames_of(path):
        n += 1
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        if mode == "detect" or prev is None:
            dets = hog(rgb, 0)
            if len(dets) == 0:
                seq.append(None)
                continue
            rect = max(dets, key=lambda r: r.area())
        else:
            (x0, y0), (x1, y1) = prev.min(0), prev.max(0)
            rect = dlib.rectangle(int(x0), int(y0), int(x1), int(y1))
        p = dlib_shape(rgb, rect)
        seq.append(p)
        prev = p
    return n / (time.perf_counter() - t0), seq


def run_mediapipe(path):
    seq, n = [], 0
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1, refine_landmarks=False) as fm:
        t0 = time.perf_counter()
        for frame in frames_of(path):
            n += 1
            h, w = frame.shape[:2]
            r = fm.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            if not r.multi_face_landmarks:
                seq.append(None)
                continue
            lm = r.multi_face_landmarks[0].landmark
            seq.append(np.array([[lm[i].x * w + 0.5, lm[i].y * h + 0.5] for i in MP68]))
        return n / (time.perf_counter() - t0), seq


# ---------------------------------------------------------------- ours and the ceiling
def run_wingtrack(path, out, overlay, extra=()):
    args = [BIN, "track", path, "-o", out] + ([] if overlay else ["--no-video"]) + list(extra)
    sh(args)
    name = os.path.splitext(os.path.basename(path))[0]
    j = json.load(open(os.path.join(out, name + ".json")))
    seq = []
    with open(os.path.join(out, name + ".csv")) as f:
        for row in csv.DictReader(f):
            seq.append(np.array([[float(row[f"x_{i}"]), float(row[f"y_{i}"])] for i in range(68)]) if row["success"] == "1" else None)
    return j, seq


def ffmpeg_fps(path, frames, encode):
    out = ["-f", "null", "-"] if not encode else ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-c:a", "copy", "-f", "mp4", "-y", os.devnull]
    t0 = time.perf_counter()
    sh(["ffmpeg", "-nostdin", "-v", "error", "-i", path] + out)
    return frames / (time.perf_counter() - t0)


# ---------------------------------------------------------------- accuracy on faces68 val
def dlib_box_calibration(data, n=400):
    """dlib's predictor was trained on its HOG detector's boxes, not on landmark bounding squares.
    Fit, on faces68 *train* crops where HOG finds the face, the map from our box (the landmarks'
    bounding square) to dlib's: centre offset and size as fractions of the square's side."""
    rows = [r for r in csv.DictReader(open(os.path.join(data, "landmarks.csv"))) if r["split"] == "train"]
    dx, dy, sc = [], [], []
    for r in rows[::max(1, len(rows) // n)]:
        g = np.array([[float(r[f"x{i}"]), float(r[f"y{i}"])] for i in range(68)])
        (x0, y0), (x1, y1) = g.min(0), g.max(0)
        cx, cy, s = (x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0)
        dets = hog(cv2.cvtColor(cv2.imread(os.path.join(data, r["image"])), cv2.COLOR_BGR2RGB), 0)
        for d in dets:
            hx, hy = (d.left() + d.right()) / 2, (d.top() + d.bottom()) / 2
            if abs(hx - cx) < 0.3 * s and abs(hy - cy) < 0.3 * s:
                dx.append((hx - cx) / s); dy.append((hy - cy) / s); sc.append(d.width() / s)
                break
    return float(np.median(dx)), float(np.median(dy)), float(np.median(sc)), len(sc)


def accuracy(data, work, limit):
    boxes = os.path.join(work, "boxes.csv")
    sh([BIN, "evaluate", "--data", data, "--boxes", boxes])
    flip_boxes = os.path.join(work, "boxes_flip.csv")
    sh([BIN, "evaluate", "--data", data, "--boxes", flip_boxes, "--flip-average"])
    flip_nme = {r["image"]: float(r["nme"]) for r in csv.DictReader(open(flip_boxes))}
    # dlib answers every face in the 300-W style; so does `track`. Our default evaluation answers each
    # face in its source's style (one output block per style), so both are shown.
    w300_boxes = os.path.join(work, "boxes_300w.csv")
    sh([BIN, "evaluate", "--data", data, "--boxes", w300_boxes, "--convention", "300-W"])
    w300_nme = {r["image"]: float(r["nme"]) for r in csv.DictReader(open(w300_boxes))}
    truth = {}
    with open(os.path.join(data, "landmarks.csv")) as f:
        for row in csv.DictReader(f):
            truth[row["image"]] = np.array([[float(row[f"x{i}"]), float(row[f"y{i}"])] for i in range(68)])
    res = {"wingtrack (each face in its source's style)": {}, "wingtrack --flip-average": {}, "wingtrack --convention 300-W (as track, and dlib)": {},
           "dlib (our box as is)": {}, "dlib (our box in dlib's convention)": {}}
    cal = dlib_box_calibration(data)
    rows = list(csv.DictReader(open(boxes)))
    if limit:
        rows = rows[::max(1, len(rows) // limit)]
    for row in rows:
        g = truth[row["image"]]
        cx, cy, s = float(row["box_cx"]), float(row["box_cy"]), float(row["box_side"])
        rgb = cv2.cvtColor(cv2.imread(os.path.join(data, row["image"])), cv2.COLOR_BGR2RGB)
        rect = dlib.rectangle(int(round(cx - s / 2)), int(round(cy - s / 2)), int(round(cx + s / 2)), int(round(cy + s / 2)))
        res["dlib (our box as is)"].setdefault(row["source"], []).append(nme(dlib_shape(rgb, rect), g))
        ccx, ccy, cs = cx + cal[0] * s, cy + cal[1] * s, cal[2] * s
        rect = dlib.rectangle(int(round(ccx - cs / 2)), int(round(ccy - cs / 2)), int(round(ccx + cs / 2)), int(round(ccy + cs / 2)))
        res["dlib (our box in dlib's convention)"].setdefault(row["source"], []).append(nme(dlib_shape(rgb, rect), g))
        res["wingtrack (each face in its source's style)"].setdefault(row["source"], []).append(float(row["nme"]))
        res["wingtrack --convention 300-W (as track, and dlib)"].setdefault(row["source"], []).append(w300_nme[row["image"]])
        res["wingtrack --flip-average"].setdefault(row["source"], []).append(flip_nme[row["image"]])
    return res, cal


def stats(e):
    e = np.asarray(e)
    ts = np.linspace(0, 0.08, 801)
    auc = float(np.trapz([np.mean(e <= t) for t in ts], ts) / 0.08)
    return f"{100 * e.mean():.2f} % | {100 * np.median(e):.2f} % | {100 * np.mean(e > 0.08):.1f} % | {auc:.3f}"


def read_rows(path):
    """A `clipN.truth.csv` / `clipN.tracked.csv` of evaluate-tracking --keep: per frame 68 points, or None."""
    return [np.array(list(map(float, l.strip().split(",")[1:]))).reshape(68, 2) if l.count(",") > 1 else None
            for l in open(path)]


def clip_stats(e):
    """Mean over finite errors; median, failure@0.08 and AUC@0.08 (exact integral of the CED) over all,
    an infinite error (a frame without an answer) counting as a failure."""
    e = np.asarray(e)
    auc = float(np.mean(np.clip(1 - e / 0.08, 0, 1)))
    return f"{100 * e[np.isfinite(e)].mean():.2f} % | {100 * np.median(e):.2f} % | {100 * np.mean(e > 0.08):.1f} % | {auc:.3f}"


def plot_ced(curves, path, ylabel, title=None):
    """One CED figure: the fraction of samples with NME up to x, per named list of errors, as SVG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, e in curves.items():
        e = np.sort(np.asarray(e))
        ax.plot(e, np.arange(1, len(e) + 1) / len(e), label=label)
    ax.set_xlim(0, 0.1); ax.set_ylim(0, 1); ax.set_xlabel("NME (inter-ocular)"); ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=.3); ax.legend(); fig.tight_layout(); fig.savefig(path)


def ced_clips_svg(errs, path):
    plot_ced(errs, path, "fraction of face frames", "generated clips with exact ground truth")


def ced_svg(res, path):
    plot_ced({f"{method} {src}": by[src] for method, by in res.items() if method != "dlib (our box as is)"
              for src in ("udacity", "aflw2000") if len(by.get(src, []))}, path, "fraction of faces")


def ground_truth_clips(a, work):
    """The generated clips with exact ground truth: wingtrack (and flip-averaged) against dlib's tracking
    mode, per frame from the same files; Markdown lines, and docs/ced_clips.svg."""
    gt, gt_flip = os.path.join(work, "gt"), os.path.join(work, "gt_flip")
    nclips = 2 if a.quick else 12
    ours = json.loads(sh([BIN, "evaluate-tracking", "--data", a.data, "--clips", str(nclips), "--frames", "150", "--keep", gt, "--json"]).stdout)
    flip = json.loads(sh([BIN, "evaluate-tracking", "--data", a.data, "--clips", str(nclips), "--frames", "150", "--flip-average", "--keep", gt_flip, "--json"]).stdout)
    clip_errs = {"wingtrack": [], "wingtrack --flip-average": [], "dlib tracking mode": []}
    for k in range(nclips):
        truth = read_rows(os.path.join(gt, f"clip{k}.truth.csv"))
        _, dlib_seq = run_dlib(os.path.join(gt, f"clip{k}.mp4"), "track")
        for method, seq in (("wingtrack", read_rows(os.path.join(gt, f"clip{k}.tracked.csv"))),
                            ("wingtrack --flip-average", read_rows(os.path.join(gt_flip, f"clip{k}.tracked.csv"))),
                            ("dlib tracking mode", dlib_seq)):
            # A frame without an answer (ours: the face score below the threshold) never counts as located.
            clip_errs[method] += [np.inf if p is None else nme(p, g) for p, g in zip(seq, truth) if g is not None]
    # Our per-frame errors, recomputed here from the kept files, must give what evaluate-tracking reported.
    for method, report in (("wingtrack", ours), ("wingtrack --flip-average", flip)):
        e = np.asarray(clip_errs[method])
        assert abs(np.mean(e > 0.08) - report["failureRate008"]) < 1e-9 and abs(e[np.isfinite(e)].mean() - report["meanNME"]) < 1e-3, method
    md = ["## Generated clips with exact ground truth (`wingtrack evaluate-tracking`)", "",
          f"{nclips} clips of 150 frames (`evaluate-tracking --keep`: each val face moved over a background, our landmarks in the",
          "face's labelling convention); dlib's tracking mode runs on the same files. dlib's tracking mode seeds each frame",
          "with the previous landmarks' box and has no failure signal: once it drifts (fast roll) it never recovers. A",
          "frame we do not track counts as a failure and never reaches the CED; the mean is over tracked frames.", "",
          "| method | face frames | tracked | mean NME | median | failure@0.08 (incl. lost frames) | AUC@0.08 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for method, e in clip_errs.items():
        e = np.asarray(e)
        md.append(f"| {method} | {len(e)} | {100 * np.mean(np.isfinite(e)):.1f} % | {clip_stats(e)} |")
    ced_clips_svg(clip_errs, os.path.join(os.path.dirname(a.out) or ".", "ced_clips.svg"))
    md += ["", "![CED on the ground-truth clips](ced_clips.svg)", ""]
    return md


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", default="../shared/data/video")
    ap.add_argument("--data", default="../shared/data/faces68")
    ap.add_argument("--quick", action="store_true", help="2 real clips, 100 val faces, 2 ground-truth clips")
    ap.add_argument("--repeats", type=int, default=3, help="alternated pairs per clip of ceiling and overlay runs, and of our no-overlay and MediaPipe runs (each ratio is the median of its pairs)")
    ap.add_argument("--out", default="docs/benchmarks.md")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="wingtrack-bench-")
    md, table = [], []
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    blas = "; ".join(sh([BIN, "info", "--blas"]).stdout.strip().splitlines()) if os.path.exists(BIN) else "?"
    md += ["# Benchmarks: wingtrack, the ffmpeg ceiling, dlib and MediaPipe", "",
           f"Run {datetime.date.today()} on {cpu}, {os.cpu_count()} cores; {blas}.",
           "Peers: dlib-bin 20.0.1 (68-point predictor from Debian's libdlib-data), MediaPipe 0.10.21 FaceMesh",
           "(legacy API, 468 → 68 approximate mapping in this script); both decode with `cv2.VideoCapture`",
           "(OpenCV 4.12, FFmpeg inside), one process, their default threading. `+0.5` puts their pixel",
           "indices into our continuous convention.", "",
           "```", "make bench" + ("   # --quick" if a.quick else ""), "```", ""]

    # Real and generated clips: speed, ceiling, stability.
    clips = sorted(os.path.join(a.videos, f) for f in os.listdir(a.videos) if f.endswith(".mp4"))
    if a.quick:
        clips = [c for c in clips if "s18" in c or "d3" in c][:2]
    gen = os.path.join(work, "gen")
    for size in (["640x360", "1280x720", "1920x1080"] if not a.quick else ["1280x720"]):
        d = os.path.join(gen, size)
        sh([BIN, "evaluate-tracking", "--data", a.data, "--clips", "1", "--frames", "150", "--size", size, "--keep", d])
        os.rename(os.path.join(d, "clip0.mp4"), os.path.join(d, f"generated_{size}.mp4"))
        clips.append(os.path.join(d, f"generated_{size}.mp4"))
    md += ["## Speed (frames per second, end to end including decode) and stability (jitter ÷ inter-ocular)", "",
           "| clip | size | frames | ffmpeg decode | ffmpeg decode+x264 | wingtrack overlay | ratio to decode+x264 (median, range) | wingtrack no overlay (median, range) | MediaPipe (median, range) | ratio wingtrack / MediaPipe (median, range) | dlib detect | dlib track | jitter: wingtrack / wingtrack raw / MediaPipe / dlib track |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    stage_rows = []
    spread = lambda v: f"{statistics.median(v):.0f} ({min(v):.0f}–{max(v):.0f})" if len(v) > 1 else f"{v[0]:.0f}"
    for c in clips:
        name = os.path.basename(c)
        # Ours without overlay and MediaPipe alternate too, each ratio from one adjacent pair.
        no_pairs = []
        for _ in range(a.repeats):
            j, s = run_wingtrack(c, os.path.join(work, "nov"), overlay=False)
            no_pairs.append((j, s, run_mediapipe(c)))
        j_no, seq, _ = no_pairs[0]
        mp_seq = no_pairs[0][2][1]
        no_fps = [j["processingFps"] for j, _, _ in no_pairs]
        mp_all = [m[0] for _, _, m in no_pairs]
        mp_fps = statistics.median(mp_all)
        no_ratios = sorted(j["processingFps"] / m[0] for j, _, m in no_pairs)
        n = j_no["frames"]
        dec = ffmpeg_fps(c, n, False)
        # The ceiling and our overlay run alternate, and each ratio comes from one adjacent pair:
        # the VM's speed drifts by ±20 % between minutes, much less within a pair.
        pairs = []
        for _ in range(a.repeats):
            e = ffmpeg_fps(c, n, True)
            j, _ = run_wingtrack(c, os.path.join(work, "ov"), overlay=True)
            pairs.append((e, j))
        ratios = sorted(j["processingFps"] / e for e, j in pairs)
        ratio = statistics.median(ratios)
        enc = statistics.median(e for e, _ in pairs)
        j_ov = sorted((j for _, j in pairs), key=lambda j: j["processingFps"])[len(pairs) // 2]
        dt_fps, dlib_seq = run_dlib(c, "track")
        dd_fps, _ = run_dlib(c, "detect")
        _, raw_seq = run_wingtrack(c, os.path.join(work, "raw"), overlay=False, extra=["--smooth", "none"])
        md.append(f"| {name} | {j_no['width']}×{j_no['height']} | {n} | {dec:.0f} | {enc:.0f} | {j_ov['processingFps']:.0f} | "
                  f"{ratio:.2f}" + (f" ({ratios[0]:.2f}–{ratios[-1]:.2f})" if len(ratios) > 1 else "") + f" | {spread(no_fps)} | {spread(mp_all)} | "
                  f"{statistics.median(no_ratios):.2f}" + (f" ({no_ratios[0]:.2f}–{no_ratios[-1]:.2f})" if len(no_ratios) > 1 else "") + f" | {dd_fps:.1f} | {dt_fps:.0f} | "
                  f"{jitter(seq):.4f} / {jitter(raw_seq):.4f} / {jitter(mp_seq):.4f} / {jitter(dlib_seq):.4f} |")
        st = {k: 1000 * v / n for k, v in j_ov["stageSeconds"].items()}
        stage_rows.append(f"| {name} | " + " | ".join(f"{st.get(k, 0):.2f}" for k in ("decode", "detector", "cnn6", "cnn7", "draw", "encode")) + " |")
        table.append((name, statistics.median(no_fps), mp_fps, j_ov["processingFps"], enc))
    md += ["", "wingtrack per-stage time per frame (ms, with overlay; stages overlap on the pipeline's threads):", "",
           "| clip | decode | detector | CNN-6 | CNN-7 | draw | encode |", "|---|---:|---:|---:|---:|---:|---:|"] + stage_rows
    nn = json.loads(sh([BIN, "bench", "nn", "--json", "--seconds", "2"]).stdout)
    f32 = f" (f32: {nn['cnn6_forward_ms_f32']:.2f} / {nn['cnn7_forward_ms_f32']:.2f} ms)" if nn['arithmetic'] == 'int8' else ""
    md += ["", f"Networks (`wingtrack bench nn`): CNN-6 forward {nn['cnn6_forward_ms']:.2f} ms, CNN-7 forward {nn['cnn7_forward_ms']:.2f} ms "
           f"(batch 1, one thread, {nn['arithmetic']}){f32}; training {nn['cnn6_train_samples_per_s']:.0f} / {nn['cnn7_train_samples_per_s']:.1f} samples/s; "
           f"SGEMM peak {nn['sgemm_peak_gflops']:.0f} GFLOP/s; core {nn['blas_core']}.", ""]

    # Accuracy on faces68 val, identical starting boxes.
    res, cal = accuracy(a.data, work, 100 if a.quick else 0)
    md += ["## Accuracy on faces68 val from identical boxes (`wingtrack evaluate --boxes`)", "",
           "dlib's model was trained on 300-W, which includes AFW: the fair comparison is YouTube-Faces (udacity) and AFLW2000-3D.",
           "dlib's predictor expects its HOG detector's box, so it is shown twice: given our box (the perturbed landmark square)",
           f"as is, and the same box mapped into dlib's convention (centre +({cal[0]:.3f}, {cal[1]:.3f})·side, side ×{cal[2]:.3f},",
           f"medians over {cal[3]} faces68 train crops where HOG found the face).", "",
           "| method | source | faces | mean NME | median | failure@0.08 | AUC@0.08 |", "|---|---|---:|---:|---:|---:|---:|"]
    for method in res:
        for src in sorted(res[method]):
            md.append(f"| {method} | {src} | {len(res[method][src])} | {stats(res[method][src])} |")
    ced_svg(res, os.path.join(os.path.dirname(a.out) or ".", "ced_peers.svg"))
    md += ["", "![CED](ced_peers.svg)", ""]

    md += ground_truth_clips(a, work)
    with open(a.out, "w") as f:
        f.write("\n".join(md) + "\n")
    print("\nclip                      ours no-overlay   MediaPipe   ours overlay   ffmpeg dec+enc")
    for name, o, m, ov, enc in table:
        print(f"{name:25s} {o:10.0f} {m:12.0f} {ov:13.0f} {enc:14.0f}")
    print(f"\nwritten {a.out}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

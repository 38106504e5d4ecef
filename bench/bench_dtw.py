"""DTW benchmark: `syncmm.warp` against librosa, dtaidistance and synctoolbox on time-warped real chroma.

REF is real chroma (the two Schubert D911-03 recordings in ../shared/data/dtw, cut into 4-s pieces, shuffled and
randomly transposed so that nothing repeats) of N = 2k, 10k, 50k and 200k frames at 50 frames/s; OTHER is REF
played with a smoothly wandering tempo (0.8-1.25x, exact map known) plus a little noise.  Each tool runs in its own
process (wall time and peak PSS of the process, inputs loaded before the clock starts are included); the error
is the mean |map(t) - truth(t)| over REF frames, every tool's path read the same way.  librosa and dtaidistance
build the full N x M matrix (their bands only restrict the path), so they are skipped where that needs > 8 GB.
synctoolbox pins numpy<2 and runs from its own environment (bench/.venv-dtw, made by bench/setup_peers.sh).
Also end to end on audio: `syncmm warp` on the two Chopin recordings (features + DTW) against synctoolbox's
chroma + DLNCO pipeline.
Usage: python bench/bench_dtw.py [--quick] [--no-peers]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
sys.path.insert(0, str(HERE))

from _measure import run  # noqa: E402

SHARED = HERE.parent.parent / "shared" / "data"
RATE = 50.0
PEER_PY = HERE / ".venv-dtw" / "bin" / "python"
TIGHT_CELLS_PER_S = 3e8

RUNNERS = {
    "syncmm": """
import sys, time, json, numpy as np, syncmm
d = np.load(sys.argv[1]); X, Y = d["X"], d["Y"]
syncmm.warp(X[:, :200], Y[:, :200], rate=50, max_contrast=1.0)  # JIT from the cache, outside the clock
t = time.perf_counter(); wp = syncmm.warp(X, Y, rate=50); dt = time.perf_counter() - t
np.save(sys.argv[2], wp.path)
# the kernel alone: one banded DTW, +-30 frames around the path (the final scale's work)
from pathlib import Path
from syncmm.alignment.dtw import dtw
sys.path.insert(0, str(Path(sys.argv[1]).resolve().parent.parent))  # bench/ (the input is in bench/work/)
from _dtw_band import band_around
lo, hi = band_around(wp.path, X.shape[1], Y.shape[1])
import syncmm.alignment._dtw_kernels as K
acc, tk = K._band_accumulate, []
def timed(*a):  # the compiled kernel alone (the call below also validates, normalises and backtracks)
    t = time.perf_counter(); acc(*a); tk.append(time.perf_counter() - t)
K._band_accumulate = timed
calls = []
for _ in range(3):  # best of 3: one call is ~20 ms on a VM whose speed wanders
    t = time.perf_counter(); r = dtw(X, Y, band=(lo, hi), cost_add=0.1); calls.append(time.perf_counter() - t)
print(json.dumps({"dtw_s": dt, "cells": wp.cells, "kernel_cells_per_s": r.cells / min(tk),
                  "call_cells_per_s": r.cells / min(calls)}))
""",
    "librosa": """
import sys, time, json, numpy as np, librosa
d = np.load(sys.argv[1]); X, Y = d["X"], d["Y"]
librosa.sequence.dtw(X[:, :50], Y[:, :50], metric="cosine")
t = time.perf_counter()
D, wp = librosa.sequence.dtw(X, Y, metric="cosine", global_constraints=True, band_rad=0.25)
dt = time.perf_counter() - t
np.save(sys.argv[2], wp[::-1]); print(json.dumps({"dtw_s": dt, "cells": int(X.shape[1]) * int(Y.shape[1])}))
""",
    "dtaidistance": """
import sys, time, json, numpy as np
from dtaidistance import dtw_ndim
d = np.load(sys.argv[1]); X, Y = d["X"].T.astype(np.double).copy(), d["Y"].T.astype(np.double).copy()
t = time.perf_counter()
w = int(0.25 * max(len(X), len(Y))) + abs(len(X) - len(Y))
path = dtw_ndim.warping_path(X, Y, window=w, use_c=True)
dt = time.perf_counter() - t
np.save(sys.argv[2], np.array(path)); print(json.dumps({"dtw_s": dt, "cells": len(X) * len(Y)}))
""",
    "synctoolbox": """
import sys, time, json, numpy as np
from synctoolbox.dtw.mrmsdtw import sync_via_mrmsdtw
d = np.load(sys.argv[1]); X, Y = d["X"], d["Y"]
sync_via_mrmsdtw(f_chroma1=X[:, :500], f_chroma2=Y[:, :500], input_feature_rate=50, verbose=False)
t = time.perf_counter()
wp = sync_via_mrmsdtw(f_chroma1=X, f_chroma2=Y, input_feature_rate=50, step_weights=np.array([1.5, 1.5, 2.0]),
                      threshold_rec=10 ** 6, verbose=False)
dt = time.perf_counter() - t
np.save(sys.argv[2], wp.T); print(json.dumps({"dtw_s": dt, "cells": None}))
""",
}


def pool() -> np.ndarray:
    d = SHARED / "dtw"
    names = ("Schubert_D911-03_HU33_chroma50Hz.npy", "Schubert_D911-03_SC06_chroma50Hz.npy")
    return np.hstack([np.load(d / n) for n in names])


def make_pair(n: int, seed: int = 0) -> Path:
    """REF (12, n) of shuffled, transposed 4-s pieces of real chroma; OTHER = REF with a wandering tempo."""
    out = WORK / f"dtw_{n}.npz"
    if out.exists():
        return out
    rng = np.random.default_rng(seed + n)
    P = pool()
    piece = int(4 * RATE)
    parts = []
    while sum(p.shape[1] for p in parts) < n:
        a = int(rng.integers(0, P.shape[1] - piece))
        parts.append(np.roll(P[:, a : a + piece], int(rng.integers(12)), axis=0))
    X = np.hstack(parts)[:, :n]
    # tempo ratio r(t) in [0.8, 1.25], smooth over ~20 s; OTHER time f(t) = integral of 1/r
    knots = np.linspace(0, n, max(n // 1000, 2) + 2)
    r = np.exp(rng.uniform(np.log(0.8), np.log(1.25), len(knots)))
    t_ref = np.arange(n) / RATE
    rr = np.interp(np.arange(n), knots, r)
    f = np.concatenate([[0.0], np.cumsum(1 / rr[:-1])]) / RATE  # OTHER time of each REF frame
    m = int(f[-1] * RATE) + 1
    g = np.interp(np.arange(m) / RATE, f, t_ref) * RATE  # REF frame position of each OTHER frame
    k = np.clip(np.floor(g).astype(int), 0, n - 2)
    w = (g - k)[None, :]
    Y = X[:, k] * (1 - w) + X[:, k + 1] * w
    Y = np.abs(Y + rng.normal(0, 0.02 * float(Y.mean()), Y.shape))
    WORK.mkdir(exist_ok=True)
    np.savez(out, X=X.astype(np.float32), Y=Y.astype(np.float32), t_ref=t_ref, t_other=f)
    return out


def path_error(path: np.ndarray, t_ref: np.ndarray, t_other: np.ndarray) -> float:
    from syncmm.types import WarpPath

    wp = WarpPath(np.asarray(path, np.int64), RATE, 0.0, len(t_ref), 0, 0)
    return float(np.mean(np.abs(wp.transfer(t_ref) - t_other)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-peers", action="store_true")
    args, _ = ap.parse_known_args()
    if not (SHARED / "dtw").is_dir():
        print("## DTW\n\nskipped: ../shared/data/dtw is not present")
        return
    sizes = [2000, 10000] if args.quick else [2000, 10000, 50000, 200000]
    tools = ["syncmm"] + ([] if args.no_peers else ["librosa", "dtaidistance", "synctoolbox"])
    rows = []
    for n in sizes:
        f = make_pair(n)
        d = np.load(f)
        m = d["Y"].shape[1]
        for tool in tools:
            print(f"[bench_dtw] {tool} N={n}", file=sys.stderr, flush=True)
            full_gb = n * m * 8 * 2 / 1e9
            if tool in ("librosa", "dtaidistance") and full_gb > 8:
                rows.append(
                    (n, m, tool, None, None, None, None, f"skipped: N x M matrices need ~{full_gb:.0f} GB", None)
                )
                continue
            py = sys.executable if tool in ("syncmm", "librosa") else str(PEER_PY)
            if not Path(py).exists():
                rows.append((n, m, tool, None, None, None, None, "not installed (bench/setup_peers.sh)", None))
                continue
            outp = WORK / f"dtw_{tool}_{n}.npy"
            r = run([py, "-c", RUNNERS[tool], str(f), str(outp)], timeout=1200)
            if r.returncode != 0:
                why = "timed out" if r.timed_out else (r.stderr.strip().splitlines() or ["failed"])[-1][:80]
                rows.append((n, m, tool, None, None, None, None, why, None))
                continue
            info = json.loads(r.stdout[r.stdout.rindex("{") :])
            err = path_error(np.load(outp), d["t_ref"], d["t_other"])
            outp.unlink(missing_ok=True)
            rows.append((n, m, tool, r.wall_s, info["dtw_s"], r.peak_rss_mb, err, info["cells"],
                         (info.get("kernel_cells_per_s"), info.get("call_cells_per_s"))))  # fmt: skip
    print("## DTW (`syncmm.warp`) on time-warped real chroma\n")
    print("REF: real chroma (Schubert D911-03, shuffled 4-s pieces, random keys); OTHER: REF at a tempo wandering "
          "between 0.8x and 1.25x, exact map known. `dtw s` is the DTW call alone; `wall` the process (start-up, "
          "loading, JIT cache); memory the process's peak PSS; error the mean |map - truth| over REF "
          "frames.\n")  # fmt: skip
    print("`cells/s`: cells computed / DTW time (for syncmm, all scales and the 12-key search, which at small N is "
          "most of the time); `kernel`: the compiled kernel of one banded DTW of the final scale (+-30 frames around "
          "the path), against the ~3e8 cells/s a tight kernel reaches on this machine, and the whole `dtw()` call "
          "around it (validation, unit-norm rows, allocation, backtracking); best of 3.\n")  # fmt: skip
    print("`dtw × syncmm`: the tool's DTW time over syncmm's at the same N (above 1: syncmm is faster).\n")
    print("| N (REF) | M (OTHER) | tool | dtw s | dtw × syncmm | wall s | peak MB | mean error ms | cells/s | note |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    ours = {n: dt for n, _, tool, wall, dt, *_ in rows if tool == "syncmm" and wall is not None}
    for n, m, tool, wall, dt, mem, err, extra, kern in rows:
        if wall is None:
            print(f"| {n} | {m} | {tool} | | | | | | | {extra} |")
            continue
        cps = f"{extra / dt:.2e}" if isinstance(extra, int) and dt > 0 else ""
        note = ""
        if kern and kern[0]:
            note = f"kernel {kern[0]:.2e} cells/s = {kern[0] / TIGHT_CELLS_PER_S:.0%} of 3e8; dtw() call {kern[1]:.2e}"
        ratio = f"{dt / ours[n]:.2f}" if ours.get(n) else ""
        cols = [n, m, tool, f"{dt:.3f}", ratio, f"{wall:.2f}", f"{mem:.0f}", f"{err * 1e3:.1f}", cps, note]
        print("| " + " | ".join(map(str, cols)) + " |")
    print()
    audio_end_to_end(args)


STB_AUDIO = """
import sys, time, json, numpy as np, librosa
from synctoolbox.dtw.mrmsdtw import sync_via_mrmsdtw
from synctoolbox.feature.chroma import pitch_to_chroma, quantize_chroma, quantized_chroma_to_CENS
from synctoolbox.feature.dlnco import pitch_onset_features_to_DLNCO
from synctoolbox.feature.pitch import audio_to_pitch_features
from synctoolbox.feature.pitch_onset import audio_to_pitch_onset_features
from synctoolbox.feature.utils import estimate_tuning
t = time.perf_counter()
feats = []
for p in sys.argv[1:3]:
    y, _ = librosa.load(p, sr=22050)
    tun = estimate_tuning(y, 22050)
    fp = audio_to_pitch_features(f_audio=y, Fs=22050, tuning_offset=tun, feature_rate=50, verbose=False)
    ch = quantize_chroma(pitch_to_chroma(f_pitch=fp))
    po = audio_to_pitch_onset_features(f_audio=y, Fs=22050, tuning_offset=tun, verbose=False)
    dl = pitch_onset_features_to_DLNCO(f_peaks=po, feature_rate=50, feature_sequence_length=ch.shape[1],
                                       visualize=False)
    feats.append((ch, dl))
tf = time.perf_counter() - t
t = time.perf_counter()
wp = sync_via_mrmsdtw(f_chroma1=feats[0][0], f_onset1=feats[0][1], f_chroma2=feats[1][0], f_onset2=feats[1][1],
                      input_feature_rate=50, step_weights=np.array([1.5, 1.5, 2.0]), threshold_rec=10 ** 6,
                      verbose=False)
print(json.dumps({"features_s": tf, "dtw_s": time.perf_counter() - t}))
np.save(sys.argv[3], wp.T)
"""


def audio_end_to_end(args) -> None:
    d = SHARED / "music"
    a, b = (d / f"synctoolbox_Chopin_Op010-03-Measures1-8_{k}.flac" for k in ("Igoshina", "Varsi"))
    if not a.exists():
        return
    syncmm = str(Path(sys.executable).with_name("syncmm"))
    mp = WORK / "dtw_chopin_map.json"
    rows = []
    runs = [run([syncmm, "warp", str(a), str(b), "-o", str(mp), "-y", "-q", "-f", "json"]) for _ in range(2)]
    best = min(runs, key=lambda r: r.wall_s)
    rows.append(("syncmm warp (chroma+onset features + DTW, whole command)", best.wall_s, best.peak_rss_mb))
    m = np.array(json.loads(mp.read_text())["map"])
    if not args.no_peers and PEER_PY.exists():
        out = WORK / "dtw_chopin_stb.npy"
        runs = [run([str(PEER_PY), "-c", STB_AUDIO, str(a), str(b), str(out)], timeout=600) for _ in range(2)]
        best = min(runs, key=lambda r: r.wall_s)
        if best.returncode == 0:
            info = json.loads(best.stdout[best.stdout.rindex("{") :])  # it prints progress dots on stdout
            rows.append((f"synctoolbox chroma+DLNCO + MrMsDTW (features {info['features_s']:.1f} s, DTW "
                         f"{info['dtw_s']:.2f} s)", best.wall_s, best.peak_rss_mb))  # fmt: skip
            path = np.load(out)
            from syncmm.types import WarpPath

            wp = WarpPath(path.astype(np.int64), RATE, 0.0, 0, 0, 0)
            diff = np.abs(wp.transfer(m[:, 0]) - m[:, 1])
            agree = f"syncmm's map vs synctoolbox's: median {np.median(diff) * 1e3:.0f} ms apart"
        else:
            rows.append(("synctoolbox pipeline: failed", best.wall_s, best.peak_rss_mb))
            agree = ""
    else:
        agree = ""
    print("## `syncmm warp` end to end on audio (Chopin Op. 10/3, Igoshina 36 s vs Varsi 22 s)\n")
    print("| pipeline | wall s | peak MB |")
    print("|---|---|---|")
    for name, wall, mem in rows:
        print(f"| {name} | {wall:.2f} | {mem:.0f} |")
    if len(rows) == 2:
        print(f"\nsyncmm end to end: {rows[1][1] / rows[0][1]:.1f}x faster than synctoolbox's pipeline. {agree}.")


if __name__ == "__main__":
    main()

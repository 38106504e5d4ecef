"""The DTW kernel of a git revision against the working tree's, alternately, on the bench's real chroma.

`bench_dtw.py`'s kernel row is one best of 3 calls of 3-20 ms, which this VM's speed decides more than the
kernel does; this runs the two kernels on the same band (+-30 frames around `syncmm.warp`'s path, as the bench
does) one after the other, N times each, and checks that they fill the same accumulated costs and steps.
Usage: python bench/ab_dtw_kernel.py REV [N_FRAMES=50000] [RUNS=15]   (needs bench/work/dtw_N.npz: bench_dtw.py)
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _kernels(rev: str):
    src = subprocess.run(["git", "show", f"{rev}:syncmm/alignment/_dtw_kernels.py"], cwd=HERE.parent,
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "kernels_rev.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("kernels_rev", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    import syncmm
    import syncmm.alignment._dtw_kernels as new

    rev = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    old = _kernels(rev)
    d = np.load(HERE / "work" / f"dtw_{n}.npz")
    X, Y = d["X"], d["Y"]
    wp = syncmm.warp(X, Y, rate=50)
    N, M = X.shape[1], Y.shape[1]
    c = np.round(np.interp(np.arange(N), wp.path[:, 0], wp.path[:, 1])).astype(np.int64)
    lo = np.minimum.accumulate(np.clip(c - 30, 0, M)[::-1])[::-1]
    hi = np.maximum.accumulate(np.clip(c + 31, 0, M))
    lo[0], hi[-1] = 0, M
    offs = np.zeros(N + 1, np.int64)
    offs[1:] = np.cumsum(hi - lo)
    R = X.T.astype(np.float64)
    R /= np.maximum(np.linalg.norm(R, axis=1, keepdims=True), 1e-12)
    Q = Y.T.astype(np.float64)
    Q /= np.maximum(np.linalg.norm(Q, axis=1, keepdims=True), 1e-12)
    steps = np.array([[1, 1], [1, 0], [0, 1]], np.int64)
    w = np.array([2.0, 1.0, 1.0])
    args = (R, np.ascontiguousarray(Q.T), np.empty((N, 0)), np.empty((0, M)), 0.0, lo, hi, offs, steps, w, 0.1, 0,
            False)  # fmt: skip
    out = {}
    for name, k in ((rev, old), ("working tree", new)):
        D, B = np.empty(offs[-1]), np.empty(offs[-1], np.int8)
        k._band_accumulate(*args, D, B)  # (compiles)
        out[name] = (k, D, B, [])
    for _ in range(runs):
        for k, D, B, speeds in out.values():
            t = time.perf_counter()
            k._band_accumulate(*args, D, B)
            speeds.append(offs[-1] / (time.perf_counter() - t))
    (_, D0, B0, _), (_, D1, B1, _) = out.values()
    print(f"{n} frames, {offs[-1]} band cells, {runs} alternating calls each; band cells/s max / median")
    for name, (_, _, _, v) in out.items():
        print(f"| {name} | {max(v):.3g} | {np.median(v):.3g} |")
    print(f"same D and B to the bit: {'yes' if np.array_equal(D0, D1) and np.array_equal(B0, B1) else 'NO'}")


if __name__ == "__main__":
    main()

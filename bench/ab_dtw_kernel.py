"""The DTW kernel of a git revision against the working tree's, alternately, on the bench's real chroma.

`bench_dtw.py`'s kernel row is one best of 3 calls of 3-20 ms, which this VM's speed decides more than the
kernel does; this runs the two kernels through the same `dtw()` call (the bench's band: +-30 frames around
`syncmm.warp`'s path) one after the other, N times each, and checks that they fill the same accumulated costs
and steps.
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
sys.path.insert(0, str(HERE))

from _dtw_band import band_around  # noqa: E402


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
    import syncmm.alignment._dtw_kernels as K
    from syncmm.alignment.dtw import dtw

    rev = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    d = np.load(HERE / "work" / f"dtw_{n}.npz")
    X, Y = d["X"], d["Y"]
    lo, hi = band_around(syncmm.warp(X, Y, rate=50).path, X.shape[1], Y.shape[1])
    kernels = {rev: _kernels(rev)._band_accumulate, "working tree": K._band_accumulate}
    speeds: dict[str, list[float]] = {name: [] for name in kernels}
    filled: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for i in range(runs + 1):  # (the first round compiles)
        for name, kernel in kernels.items():

            def timed(*a, kernel=kernel, name=name, keep=i > 0):  # the kernel alone, in the same dtw() call
                t = time.perf_counter()
                kernel(*a)
                if keep:
                    speeds[name].append(len(a[-1]) / (time.perf_counter() - t))
                filled[name] = (a[-2].copy(), a[-1].copy())

            K._band_accumulate = timed
            dtw(X, Y, band=(lo, hi), cost_add=0.1)
    (D0, B0), (D1, B1) = filled.values()
    print(f"{n} frames, {len(B0)} band cells, {runs} alternating calls each; band cells/s max / median")
    for name, v in speeds.items():
        print(f"| {name} | {max(v):.3g} | {np.median(v):.3g} |")
    print(f"same D and B to the bit: {'yes' if np.array_equal(D0, D1) and np.array_equal(B0, B1) else 'NO'}")


if __name__ == "__main__":
    main()

"""`syncmm batch` on bench_batch.py's 40 pairs from two git revisions, run alternately: pairs per second.

The revisions are checked out as bench/ab_revs.py does (bench/work/revs/<sha>, the repository's virtualenv,
PYTHONPATH at the checkout); each run writes a fresh results file (batch resumes from an existing one).
Run bench/bench_batch.py once first: it makes the pairs.
Usage: python bench/ab_batch.py REV_A REV_B N [JOBS]
   e.g. python bench/ab_batch.py dc88d96 HEAD 4      (the tree before issue 16 against this one)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ab_revs import checkout  # noqa: E402


def main() -> None:
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    revs, n = sys.argv[1:3], int(sys.argv[3])
    jobs = sys.argv[4] if len(sys.argv) > 4 else "2"
    man = HERE / "work" / "batch" / "pairs40_3min.csv"
    if not man.exists():
        raise SystemExit(f"{man} is missing: run bench/bench_batch.py first")
    trees = {r: checkout(r) for r in revs}
    walls: dict[str, list[float]] = {r: [] for r in revs}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            for r in revs if i % 2 == 0 else revs[::-1]:
                out = Path(tmp) / f"{i}_{r}.jsonl"
                env = dict(os.environ, PYTHONPATH=str(trees[r]))
                t = time.perf_counter()
                p = subprocess.run([sys.executable, "-m", "syncmm", "batch", str(man), "-o", str(out), "--jobs", jobs,
                                    "-q"], capture_output=True, text=True, env=env, cwd=trees[r])  # fmt: skip
                w = time.perf_counter() - t
                ok = sum(json.loads(line)["status"] == "ok" for line in out.read_text().splitlines())
                print(f"{r}: {w:.2f} s, {40 / w:.2f} pairs/s, {ok}/40 ok, exit {p.returncode}", file=sys.stderr)
                walls[r].append(w)
    print(f"`syncmm batch` (40 pairs, --jobs {jobs}), {n} runs each, alternating; median")
    for r in revs:
        m = float(np.median(walls[r]))
        print(f"- {r}: {m:.2f} s, {40 / m:.2f} pairs/s")


if __name__ == "__main__":
    main()

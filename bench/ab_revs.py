"""The same `syncmm` command from two git revisions, run alternately: wall, CPU and page faults, min / median.

Each revision is checked out once into bench/work/revs/<sha> (a git worktree) and run with the repository's
virtualenv and PYTHONPATH pointing at that checkout, so start-up and libraries are the same; the runs alternate
(ABBA...) because this VM's speed wanders by 20-35 % between minutes.  Each runs in its checkout (so that
`python -m syncmm` cannot pick up the working tree); arguments naming existing files are made absolute.
stdout must be the same for both (a report's `elapsed_s`, if any, is ignored).
Usage: python bench/ab_revs.py REV_A REV_B N syncmm-arguments...
   e.g. python bench/ab_revs.py 0ff330f HEAD 8 align bench/work/ref_10min.mp3 bench/work/c4_aac_lowpass3k_+200.m4a
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def checkout(rev: str) -> Path:
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout.strip()  # fmt: skip
    tree = HERE / "work" / "revs" / sha
    if not tree.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), sha], cwd=REPO, check=True,
                       capture_output=True)  # fmt: skip
    # its bytecode, as `make install` writes it for the working tree
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "syncmm")], check=True)
    return tree


def _same(out: str) -> str:
    try:
        d = json.loads(out)
    except ValueError:
        return out
    if isinstance(d, dict):
        d.pop("elapsed_s", None)
    return json.dumps(d, sort_keys=True)


def main() -> None:
    rev_a, rev_b, n, args = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    args = [str(Path(a).resolve()) if Path(a).exists() else a for a in args]
    trees = {rev_a: checkout(rev_a), rev_b: checkout(rev_b)}
    runs: dict[str, list[tuple[float, float, int]]] = {r: [] for r in trees}
    outs: dict[str, set[str]] = {r: set() for r in trees}
    py = sys.executable
    for i in range(n):
        for rev in list(trees) if i % 2 == 0 else list(trees)[::-1]:
            env = dict(os.environ, PYTHONPATH=str(trees[rev]))
            r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
            p = subprocess.run([py, "-m", "syncmm", *args], capture_output=True, text=True, env=env, cwd=trees[rev])
            wall, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
            runs[rev].append((wall, cpu, r1.ru_minflt - r0.ru_minflt))
            outs[rev].add(f"{p.returncode}:{_same(p.stdout)}")
    print(f"`syncmm {' '.join(args)}`, {n} runs each, alternating; min / median")
    print("| revision | wall s | CPU s | page faults |\n|---|---|---|---|")
    for rev, v in runs.items():
        w, c, f = (np.array(x) for x in zip(*v, strict=True))
        print(
            f"| {rev} | {w.min():.2f} / {np.median(w):.2f} | {c.min():.2f} / {np.median(c):.2f} | {int(np.median(f))} |"
        )
    print(f"same output (exit code and stdout): {'yes' if len(outs[rev_a] | outs[rev_b]) == 1 else 'NO'}")


if __name__ == "__main__":
    main()

"""Where `syncmm align`'s time goes: the wall and CPU split of one whole CLI run, stage by stage.

For the 10-min pair (c1) and the 60-min REF pairs of bench_offset.py, one `syncmm align REF OTHER -f json`
process (run by _profile_align.py with timers wrapped around the stages, median of 3 runs by total wall):
interpreter start-up and every import (`-X importtime`, the top-level imports summed), decode + coarse
features (the worker processes, one per file and a third for a file split across two; their CPU split
measured separately, in this process, decoding each file and computing its features one after the other),
the coarse correlation, the fine stage, the drift stage (its fine-peak calls counted), and the report until
the process ends.  CPU = user + system of the process and its workers.  The floor: PyAV decoding the two
files one after the other at 16 kHz.
Usage: python bench/bench_profile.py [--quick] [--no-60min]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import syncmm.cli  # noqa: E402

# one BLAS thread, as in syncmm's own processes (the workers' split below is measured here; with OpenBLAS's
# threads the coarse features' band sums cost twice the CPU they cost in the workers)
syncmm.cli.process_defaults()

from _media import CASES_10MIN, CASES_60MIN  # noqa: E402

SR = 16000


def imports_s(stderr: str) -> float:
    """Sum of the top-level cumulative import times in ``-X importtime`` output (s)."""
    total = 0
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m and not m.group(2).startswith(" "):
            total += int(m.group(1))
    return total / 1e6


def profile_once(ref: Path, other: Path) -> dict:
    t0 = time.perf_counter()
    cmd = [sys.executable, "-X", "importtime", str(HERE / "_profile_align.py"), str(ref), str(other), repr(time.time())]
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip().splitlines()[-1])
    d = json.loads(r.stdout.strip().splitlines()[-1])
    d["wall"] = wall
    d["imports"] = imports_s(r.stderr)
    return d


def worker_split(ref: Path, other: Path) -> tuple[float, float]:
    """CPU seconds of decoding both files and of their coarse features, one after the other, here."""
    from syncmm.alignment.xcorr import prepare
    from syncmm.media import load_audio

    dec = feat = 0.0
    for p in (ref, other):
        t = time.process_time()
        y = load_audio(p, SR).y
        dec += time.process_time() - t
        t = time.process_time()
        prepare(y, SR)
        feat += time.process_time() - t
    return dec, feat


def pyav_floor(ref: Path, other: Path) -> float:
    from bench_offset import pyav_decode_s

    return min(pyav_decode_s([ref, other], SR) for _ in range(2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-60min", action="store_true")
    args, _ = ap.parse_known_args()
    cases = [CASES_10MIN[0]] + ([] if args.quick or args.no_60min else CASES_60MIN)
    print("## Where `syncmm align`'s time goes (wall and CPU by stage, one whole CLI run)\n")
    print("One `syncmm align REF OTHER -f json` process, median of 3 runs; CPU = user + system of the process and "
          "its decode workers. The CPU of the decoding and the coarse features (in the workers; for the file "
          "still decoding once the other is done, in the parent as its samples arrive) is split between the "
          "two by doing the same work here one file after the other. `floor`: PyAV decoding both files one after "
          "the other at 16 kHz (a warm process).\n")  # fmt: skip
    for case in cases:
        ref, other = case.make()
        print(f"[bench_profile] {case.name}", file=sys.stderr, flush=True)
        runs = sorted((profile_once(ref, other) for _ in range(3)), key=lambda d: d["wall"])
        d = runs[1]
        dec, feat = worker_split(ref, other)
        floor = pyav_floor(ref, other)
        st = d["stages"]
        rest = d["wall"] - d["t_align_end"]
        rows = [
            ("interpreter start-up, the align modules' imports", d["t_main"], None,
             f"all imports of the run, summed: {d['imports']:.2f} s"),
            ("decode + coarse features (workers, and the parent once a core is free)", st["decode"]["wall"],
             d["cpu_children"] + st["decode"]["cpu"],
             f"the parent's part {st['decode']['cpu']:.2f} s CPU; here, one after the other: decode {dec:.2f} s "
             f"CPU, coarse features {feat:.2f} s CPU"),
            ("coarse correlation", st["coarse"]["wall"], st["coarse"]["cpu"], ""),
            ("fine stage", st["fine"]["wall"], st["fine"]["cpu"], f"{st['fine']['n']} fine-peak call(s)"),
            ("drift stage", st["drift"]["wall"], st["drift"]["cpu"],
             f"{st['drift_fine']['n']} fine-peak calls, {st['drift_fine']['wall']:.2f} s of them"),
            ("report and exit", rest, None, ""),
        ]  # fmt: skip
        other_s = d["wall"] - sum(r[1] for r in rows)
        rows.insert(1, ("the CLI before decoding (probe, lazy imports)", other_s, None, ""))
        print(f"### {case.name}: REF {case.ref_minutes:g} min, OTHER {case.other_minutes:g} min\n")
        print("| stage | wall s | CPU s | note |")
        print("|---|---|---|---|")
        for name, wall, cpu, note in rows:
            print(f"| {name} | {wall:.2f} | {'' if cpu is None else f'{cpu:.2f}'} | {note} |")
        total_cpu = d["cpu_self"] + d["cpu_children"]
        print(f"| **whole process** | **{d['wall']:.2f}** | **{total_cpu:.2f}** | parent {d['cpu_self']:.2f} s, "
              f"workers {d['cpu_children']:.2f} s |")  # fmt: skip
        print(f"| floor: PyAV sequential decode | {floor:.2f} | {floor:.2f} | syncmm wall = "
              f"{d['wall'] / floor:.2f}x the floor |\n")  # fmt: skip


if __name__ == "__main__":
    main()

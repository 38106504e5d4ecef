"""What decoding one file in two processes gains: `syncmm align` with and without the split, alternately.

A file that is most of the decoding work is decoded by two processes (syncmm.media.split).  For the pairs
where that happens in bench_offset.py (c5: a 10-min 48 kHz stereo MP3 against a 44.1 kHz WAV; h2: a 60-min
MP3 against a 10-min AAC clip of it), and for h2's clip as REF with two 60-min MP3 OTHERs (`align REF A B`:
A is split while decoded with REF, B while decoded alone), the same CLI run N times each way, alternating
(the VM's speed wanders by +-20-35 % between minutes): `syncmm align REF OTHER... -f json`, once as it is and
once with the split turned off (SPLIT_MIN_S set to infinity before the CLI starts; both through the same
wrapper, so start-up is the same).  Min and median of wall and CPU (user + system of the process tree); the
two JSON reports must match.

Usage: python bench/bench_split.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _measure import run  # noqa: E402
from _media import CASES_10MIN, CASES_60MIN  # noqa: E402

WRAPPER = (
    "import sys\nimport syncmm.media.split as s\n"
    "if sys.argv.pop(1) == 'off':\n    s.SPLIT_MIN_S = float('inf')\n"
    "from syncmm.cli import main\nsys.argv = ['syncmm', *sys.argv[1:]]\nmain()\n"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=6)
    args = ap.parse_args()
    c5 = next(c for c in CASES_10MIN if c.name.startswith("c5"))
    h2 = next(c for c in CASES_60MIN if c.name.startswith("h2"))
    ref, clip = h2.make()
    cases = [(c5.name, c5.make(), args.runs), (h2.name, (ref, clip), max(2, args.runs // 2)),
             ("h2 clip + two 60-min OTHERs", (clip, ref, ref), max(2, args.runs // 2))]  # fmt: skip
    print("## One file decoded by two processes (`bench/bench_split.py`)\n")
    print("`syncmm align REF OTHER... -f json` with the split (as shipped) and without it, runs alternating; wall "
          "and CPU (user + system of the process tree) in seconds, min / median.\n")  # fmt: skip
    print("| case | runs each | wall without | wall with | CPU without | CPU with | wall saved (median) | same JSON |")
    print("|---|---|---|---|---|---|---|---|")
    for name, files, n in cases:
        print(f"[bench_split] {name}", file=sys.stderr, flush=True)
        res: dict[str, list] = {"off": [], "on": []}
        reports = set()
        for _ in range(n):
            for mode in ("off", "on"):
                r = run([sys.executable, "-c", WRAPPER, mode, "align", *map(str, files), "-f", "json"])
                if r.returncode != 0:
                    raise SystemExit(f"{name} ({mode}): {r.stderr.strip()[-200:]}")
                res[mode].append(r)
                reports.add(json.dumps(json.loads(r.stdout), sort_keys=True))

        def mm(rs, key):
            xs = [getattr(r, key) for r in rs]
            return f"{min(xs):.2f} / {statistics.median(xs):.2f}"

        saved = 1 - statistics.median(r.wall_s for r in res["on"]) / statistics.median(r.wall_s for r in res["off"])
        print(f"| {name} | {n} | {mm(res['off'], 'wall_s')} | {mm(res['on'], 'wall_s')} | "
              f"{mm(res['off'], 'cpu_s')} | {mm(res['on'], 'cpu_s')} | {saved:.0%} | "
              f"{'yes' if len(reports) == 1 else 'NO'} |")  # fmt: skip


if __name__ == "__main__":
    main()

"""Batch benchmark: `syncmm batch` on 40 generated pairs with --jobs 1 against --jobs 2 (wall time, speed-up).

Each pair: a 3-min generated speech-like REF and a 1-min AAC excerpt of it at a known offset.
Usage: python bench/bench_batch.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "batch"
sys.path.insert(0, str(HERE))

from _measure import run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-peers", action="store_true", help="(no peers here)")
    args, _ = ap.parse_known_args()
    from syncmm.media.write import write_audio
    from syncmm.synth import excerpt, speech_like

    n = 10 if args.quick else 40
    WORK.mkdir(parents=True, exist_ok=True)
    man = WORK / f"pairs{n}_3min.csv"
    if not man.exists():
        rows = ["id,ref,other,expected_offset_s,tolerance_s"]
        for i in range(n):
            base = speech_like(190.0, 16000, np.random.default_rng(i))
            write_audio(WORK / f"ref{i}.flac", excerpt(base, 16000, 0.0, 180.0), 16000)
            off = 3.0 + i
            write_audio(WORK / f"oth{i}.m4a", excerpt(base, 16000, off, 60.0), 16000)
            rows.append(f"p{i},ref{i}.flac,oth{i}.m4a,{off},0.001")
        man.write_text("\n".join(rows) + "\n")
    syncmm = str(Path(sys.executable).with_name("syncmm"))
    res = {}
    for jobs in (1, 2):
        out = WORK / f"results{jobs}.jsonl"
        out.unlink(missing_ok=True)
        r = run([syncmm, "batch", str(man), "-o", str(out), "--jobs", str(jobs), "-q"], timeout=1800)
        ok = sum(json.loads(line)["status"] == "ok" for line in out.read_text().splitlines())
        res[jobs] = (r.wall_s, r.peak_rss_mb, ok, r.returncode)
    print(f"## Batch (`syncmm batch`), {n} pairs (3-min REF + 1-min AAC excerpt each)\n")
    print("| --jobs | wall s | pairs/s | peak PSS MB | ok (within 1 ms) | exit |")
    print("|---|---|---|---|---|---|")
    for j, (w, m, ok, code) in res.items():
        print(f"| {j} | {w:.1f} | {n / w:.2f} | {m:.0f} | {ok}/{n} | {code} |")
    print(f"\nSpeed-up with 2 workers on 2 cores: {res[1][0] / res[2][0]:.2f}x (goal >= 1.7x).")


if __name__ == "__main__":
    main()

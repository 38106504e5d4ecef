"""Fuzz benchmark: 2,000 seeded damaged inputs (bit flips, truncations, zeroed blocks, inserted garbage, spliced
blocks of WAV/FLAC/MP3/ADTS/M4A/Ogg Opus/MP4/MKV) through align, warp, selftest, batch, check and motion align.

Every case must end in exit 0 (with a warning), 1, 3 or 4: never 70 (internal error), never a hang (120 s), and
no input may change.  Where `align a.wav DAMAGED -f json` answers (exit 0), its offset is checked against the truth
(0: every seed holds the same sound from time 0).  Cases run in-process (typer's CliRunner), one worker per core.
Usage: python bench/bench_fuzz.py [--cases 2000] [--seed 12] [--quick]
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "fuzz"


def _case(job: tuple[int, int]) -> dict:
    from syncmm.fuzz import commands, damage, digest, run_case

    i, seed = job
    seeds = WORK / "seeds"
    names = sorted(p.name for p in seeds.iterdir() if not p.name.endswith(".csv"))
    name = names[i % len(names)]
    kind = "video" if name.startswith("v.") else "audio"
    rng = np.random.default_rng([seed, i])
    data, label = damage((seeds / name).read_bytes(), rng)
    bad = WORK / "cases" / f"bad{i:05d}{(seeds / name).suffix}"
    bad.write_bytes(data)
    before = digest(bad)
    out = []
    for argv in commands(bad, kind, seeds):
        t0 = time.perf_counter()
        code, last, stdout = run_case(argv, timeout_s=120)
        out.append((argv[0], code, last, time.perf_counter() - t0))
    offset = warned = None
    if code == 0:  # the last command: align a.wav BAD -f json, truth 0 (every seed holds the same sound from 0)
        d = json.loads(stdout)
        offset, warned = float(d["offset_s"]), bool(d["warnings"])
    changed = digest(bad) != before
    bad.unlink()
    bad.with_name(bad.name + ".csv").unlink(missing_ok=True)
    return {"name": name, "label": label, "runs": out, "changed": changed, "offset": offset, "warned": warned}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--quick", action="store_true", help="200 cases")
    ap.add_argument("--no-peers", action="store_true", help="(no peers here)")
    args, _ = ap.parse_known_args()
    n = 200 if args.quick else args.cases
    from syncmm.fuzz import ALLOWED, digest, fuzz_seeds

    (WORK / "seeds").mkdir(parents=True, exist_ok=True)
    (WORK / "cases").mkdir(parents=True, exist_ok=True)
    kinds = fuzz_seeds(WORK / "seeds")
    clean = {k: digest(WORK / "seeds" / k) for k in kinds}
    t0 = time.perf_counter()
    with mp.get_context("fork").Pool(mp.cpu_count() or 1, maxtasksperchild=50) as pool:
        results = pool.map(_case, [(i, args.seed) for i in range(n)], chunksize=4)
    wall = time.perf_counter() - t0
    seeds_changed = {k for k in kinds if digest(WORK / "seeds" / k) != clean[k]}
    by_fmt: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    bad = []
    for r in results:
        c = by_fmt[r["name"]]
        c["cases"] += 1
        c["changed"] += r["changed"]
        if r["offset"] is not None:
            c["answered"] += 1
            c["wrong"] += abs(r["offset"]) > 1e-3
            c["wrong, no warning"] += abs(r["offset"]) > 1e-3 and not r["warned"]
        for cmd, code, last, _ in r["runs"]:
            c["runs"] += 1
            c[f"exit {code}"] += 1
            if code not in ALLOWED:
                bad.append((r["name"], r["label"], cmd, code, last))
    codes = sorted({k for c in by_fmt.values() for k in c if k.startswith("exit ")}, key=lambda s: str(s))
    print("## Fuzz: damaged inputs through every command (bench/bench_fuzz.py)\n")
    print(f"{n} seeded cases (seed {args.seed}), {sum(c['runs'] for c in by_fmt.values())} command runs, "
          f"{wall:.0f} s on {mp.cpu_count()} workers.  Allowed: exit {sorted(ALLOWED)}.\n")  # fmt: skip
    print("| seed file | cases | runs | " + " | ".join(codes) + " | inputs changed | align answered | off > 1 ms "
          "| off > 1 ms, no warning |")  # fmt: skip
    print("|---|---|---|" + "---|" * len(codes) + "---|---|---|---|")
    for name in sorted(by_fmt):
        c = by_fmt[name]
        cells = " | ".join(str(c[k]) for k in codes)
        print(f"| {name} | {c['cases']} | {c['runs']} | {cells} | {c['changed']} | {c['answered']} | {c['wrong']} "
              f"| {c['wrong, no warning']} |")  # fmt: skip
    total70 = sum(1 for b in bad if b[3] == 70)
    hangs = sum(1 for b in bad if b[3] == "hang")
    changed = sum(c["changed"] for c in by_fmt.values()) + len(seeds_changed)
    print(
        f"\nExit 70: {total70}. Hangs: {hangs}. Other disallowed exits: {len(bad) - total70 - hangs}. "
        f"Inputs changed: {changed}."
    )
    for b in bad[:20]:
        print(f"- {b[0]} ({b[1]}), {b[2]}: exit {b[3]}: {b[4]}")


if __name__ == "__main__":
    main()

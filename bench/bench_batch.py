"""Batch benchmark: `syncmm batch` on 40 generated pairs: --jobs 1, --jobs 2, and a 2-worker Dask cluster.

The Dask cluster (distributed.LocalCluster, 2 worker processes of 1 thread) is started before the timed run
(its start-up time is reported apart); the peak memory of that row is the client's alone.

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
        res[f"--jobs {jobs}"] = (r.wall_s, r.peak_rss_mb, ok, r.returncode)
    cluster_s = None
    try:
        import time

        from distributed import LocalCluster
    except ImportError:
        pass
    else:
        t0 = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
            cluster_s = time.perf_counter() - t0
            out = WORK / "results_dask.jsonl"
            out.unlink(missing_ok=True)
            addr = cl.scheduler_address.replace("tcp://", "dask://")
            r = run([syncmm, "batch", str(man), "-o", str(out), "--executor", addr, "-q"], timeout=1800)
            ok = sum(json.loads(line)["status"] == "ok" for line in out.read_text().splitlines())
            res["dask, 2 workers"] = (r.wall_s, r.peak_rss_mb, ok, r.returncode)
    print(f"## Batch (`syncmm batch`), {n} pairs (3-min REF + 1-min AAC excerpt each)\n")
    print("| executor | wall s | pairs/s | vs --jobs 1 | peak PSS MB | ok (within 1 ms) | exit |")
    print("|---|---|---|---|---|---|---|")
    one = res["--jobs 1"][0]
    for j, (w, m, ok, code) in res.items():
        print(f"| {j} | {w:.1f} | {n / w:.2f} | {one / w:.2f}x | {m:.0f} | {ok}/{n} | {code} |")
    print(f"\nSpeed-up with 2 local workers on 2 cores: {one / res['--jobs 2'][0]:.2f}x (goal >= 1.7x).")
    if cluster_s is not None:
        d = res["dask, 2 workers"][0]
        print(f"Dask cluster (2 workers) against the local pool of 2: {res['--jobs 2'][0] / d:.2f}x "
              f"(cluster start-up {cluster_s:.1f} s, not counted; peak PSS there is the client's only).")  # fmt: skip


if __name__ == "__main__":
    main()

"""One `syncmm align REF OTHER -f json` run with timers around its stages (for bench_profile.py).

The align modules are imported first (so their imports count as start-up), the stage functions are wrapped
where the pipeline looks them up, then the CLI runs as `syncmm` would; the last stdout line is a JSON record
of the stages' wall and CPU (this process; the workers' CPU once they have ended).
Usage: python _profile_align.py REF OTHER START_TIME
"""

from __future__ import annotations

import json
import resource
import sys
import time

T_START = float(sys.argv[3])  # time.time() when the parent started this process


def _since_start() -> float:
    return time.time() - T_START


def _cpu(who=resource.RUSAGE_SELF) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


import syncmm.cli  # noqa: E402

syncmm.cli.process_defaults()  # as `syncmm` does before NumPy loads

import syncmm.alignment.drift as drift  # noqa: E402
import syncmm.alignment.xcorr as xcorr  # noqa: E402
import syncmm.jobs.align as jalign  # noqa: E402

stages = {k: {"wall": 0.0, "cpu": 0.0, "n": 0} for k in ("decode", "coarse", "fine", "drift", "drift_fine")}
last_end = [0.0]


def wrap(module, name: str, key: str) -> None:
    fn = getattr(module, name)

    def timed(*a, **k):
        w, c = time.perf_counter(), _cpu()
        try:
            return fn(*a, **k)
        finally:
            s = stages[key]
            s["wall"] += time.perf_counter() - w
            s["cpu"] += _cpu() - c
            s["n"] += 1
            last_end[0] = _since_start()

    setattr(module, name, timed)


wrap(jalign, "decode_many", "decode")
wrap(xcorr, "coarse_peak", "coarse")
wrap(xcorr, "fine_peak", "fine")
wrap(drift, "estimate_drift", "drift")
wrap(drift, "fine_peak", "drift_fine")
t_main = _since_start()
sys.argv = ["syncmm", "align", sys.argv[1], sys.argv[2], "-f", "json"]
rc = syncmm.cli.run()  # (main() would end the process before the record below)
if rc:
    raise SystemExit(rc)
sys.stdout.flush()
print()
print(json.dumps({"t_main": t_main, "t_align_end": last_end[0], "stages": stages, "cpu_self": _cpu(),
                  "cpu_children": _cpu(resource.RUSAGE_CHILDREN)}))  # fmt: skip
syncmm.cli._end(0)  # the process ends as `syncmm` does

"""Offset benchmark: syncmm align vs PyAV's decode time and vs the peers a user would pick today.

For each pair: syncmm's end-to-end CLI time (process start to JSON on stdout) and its ``align()`` time
in-process, both as ratios to the time PyAV alone needs to decode the two files one after the other
at the analysis rate (16 kHz mono: the floor of any decoder-based tool), the peak RSS of the whole
process tree, and the error against the exact truth; then the same for each peer on the same files.

Usage: python bench/bench_offset.py [--quick] [--no-peers] [--no-60min] [--no-3h] [--peer NAME ...]
       python bench/bench_offset.py --paired c3,c4,h1 [--repeat N]   (the goal ratios' paired runs alone)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _measure import run  # noqa: E402
from _media import CASES_3H, CASES_10MIN, CASES_60MIN, Case  # noqa: E402

PEERS = HERE / ".venv-peers" / "bin"
SYNCMM = [sys.executable, "-m", "syncmm"]


def pyav_decode_s(paths, sr: int = 16000) -> float:
    """Seconds PyAV needs to decode the files one after the other to mono float32 at ``sr``."""
    import av

    t0 = time.perf_counter()
    for p in paths:
        with av.open(str(p)) as c:
            res = av.AudioResampler(format="flt", layout="mono", rate=sr)
            for fr in c.decode(c.streams.audio[0]):
                for o in res.resample(fr):
                    np.frombuffer(o.planes[0], np.float32, o.samples)
    return time.perf_counter() - t0


def syncmm_inprocess_s(ref, other) -> float:
    import syncmm

    t0 = time.perf_counter()
    syncmm.align(ref, other)
    return time.perf_counter() - t0


def _peer_cmds(ref: Path, other: Path, minutes: float):
    env = dict(os.environ, MPLBACKEND="Agg")
    py = str(PEERS / "python")
    return {
        "polysync --partial": ([str(PEERS / "polysync"), "sync", str(ref), str(other), "--partial"], env),
        "audalign (correlation)": ([py, str(HERE / "peers" / "audalign_run.py"), str(ref), str(other)], env),
        "audio-offset-finder": (
            [str(PEERS / "audio-offset-finder"), "--find-offset-of", str(other), "--within", str(ref), "--json"],
            env,
        ),
        "syncstart (full window)": (
            [str(PEERS / "syncstart"), "-s", "-q", "-t", str(int(minutes * 60) + 1), str(ref), str(other)],
            env,
        ),
    }


def _parse_peer(name: str, out: str, ref: Path, other: Path) -> float | None:
    try:
        if name.startswith("polysync"):
            return float(re.findall(r"delta=([+-]?[\d.]+)s", out)[-1])
        if name.startswith("audalign"):
            return float(json.loads(out.strip().splitlines()[-1])["offset_s"])
        if name.startswith("audio-offset-finder"):
            return float(json.loads(out.strip().splitlines()[-1])["time_offset"])
        if name.startswith("syncstart"):  # "-q" prints "file_to_cut,seconds" (and exits 1 even then)
            f, s = re.findall(r"^(.*),([\d.]+)$", out, flags=re.M)[-1]
            return float(s) if Path(f).name == ref.name else -float(s)
    except (IndexError, ValueError, KeyError):
        return None
    return None


def run_best(cmd, timeout, **kw):
    """Run twice when a run is short (timings on a 2-core VM vary by ~20 %); keep the faster run's time
    and the larger memory peak.  The same rule for every tool."""
    r = run(cmd, timeout=timeout, **kw)
    if r.wall_s < 15 and not r.timed_out:
        r2 = run(cmd, timeout=timeout, **kw)
        r2.peak_rss_mb = max(r.peak_rss_mb, r2.peak_rss_mb)
        r = r2 if r2.wall_s < r.wall_s else dataclasses.replace(r, peak_rss_mb=r2.peak_rss_mb)
    return r


#: For the goal ratios, syncmm and polysync run this many times each, alternating (S P P S S P ...), without the
#: memory sampler; the ratios are of the medians.  This VM's speed wanders by 20-35 % between minutes, so
#: runs of the two tools made apart (the table above: each tool's best of 2, one tool after the other)
#: compare the VM's moments as much as the tools.
PAIRED_RUNS = 5  # (3 until 2026-12-02: one slow minute could still move a median by 5 %)


def paired_with_peer(ref: Path, other: Path, timeout: float, peer: str = "polysync --partial") -> dict | None:
    """syncmm align and ``peer`` on the same pair, alternately: median wall and CPU of each (None: a run failed)."""
    cmd_p, env = _peer_cmds(ref, other, 0)[peer]
    cmds = {"syncmm": ([*SYNCMM, "align", str(ref), str(other), "-f", "json"], None, None),
            "peer": (cmd_p, env, str(other.parent))}  # fmt: skip
    got: dict[str, list[tuple[float, float]]] = {"syncmm": [], "peer": []}
    for i in range(2 * PAIRED_RUNS):
        who = "syncmm" if i % 4 in (0, 3) else "peer"
        cmd, env_, cwd = cmds[who]
        r = run(cmd, timeout=timeout, env=env_, cwd=cwd, memory=False)
        for side in other.parent.glob("*.sync.json"):
            side.unlink()
        if r.returncode != 0 or r.timed_out:  # (both exit 0 when they report an offset)
            return None
        got[who].append((r.wall_s, r.cpu_s))
    med = {k: np.median(np.array(v), axis=0) for k, v in got.items()}
    return dict(runs=PAIRED_RUNS, s_wall=float(med["syncmm"][0]), s_cpu=float(med["syncmm"][1]),
                p_wall=float(med["peer"][0]), p_cpu=float(med["peer"][1]))  # fmt: skip


def bench_case(case: Case, peers: bool, timeout: float, only: list[str] | None = None) -> list[dict]:
    ref, other = case.make()
    rows = []
    decode = min(pyav_decode_s([ref, other]) for _ in range(2))
    lib = min(syncmm_inprocess_s(ref, other) for _ in range(2))
    r = run_best([*SYNCMM, "align", str(ref), str(other), "-f", "json"], timeout)
    rep = json.loads(r.stdout) if r.returncode == 0 else {}
    off = rep.get("offset_s")
    rows.append(
        dict(case=case.name, tool="syncmm", wall_s=r.wall_s, cpu_s=r.cpu_s, lib_s=lib, decode_s=decode,
             rss_mb=r.peak_rss_mb, offset=off, truth=case.truth, drift_ppm=(rep.get("drift") or {}).get("ppm"),
             note="" if r.returncode == 0 else r.stderr.strip()[-120:])
    )  # fmt: skip
    if not peers:
        return rows
    if not only or any("polysync --partial".startswith(o) for o in only):
        rows[0]["paired"] = paired_with_peer(ref, other, timeout)
    for name, (cmd, env) in _peer_cmds(ref, other, case.other_minutes).items():
        if only and not any(name.startswith(o) for o in only):
            continue
        if case.other_minutes > 30 and name.startswith("syncstart"):
            rows.append(dict(case=case.name, tool=name, note="skipped: needs ~30 GB with a full-file window"))
            continue
        r = run_best(cmd, timeout, env=env, cwd=str(other.parent))
        for side in other.parent.glob("*.sync.json"):
            side.unlink()
        off = None if r.timed_out else _parse_peer(name, r.stdout, ref, other)
        note = "timed out" if r.timed_out else ("" if off is not None else (r.stderr.strip()[-120:] or "no output"))
        rows.append(
            dict(case=case.name, tool=name, wall_s=r.wall_s, cpu_s=r.cpu_s, decode_s=decode, rss_mb=r.peak_rss_mb,
                 offset=off, truth=case.truth, note=note)
        )  # fmt: skip
    return rows


def _fmt_err(row) -> str:
    if row.get("offset") is None:
        return "-"
    e = abs(row["offset"] - row["truth"]) * 1e3
    return f"{e:.3f}" if e < 10 else f"{e:.0f}"


def table(rows: list[dict]) -> str:
    lines = [
        "| case | tool | wall s | × decode | CPU s | align() s | × decode | peak RSS MB | error ms | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "wall_s" not in r:
            lines.append(f"| {r['case']} | {r['tool']} | | | | | | | | {r['note']} |")
            continue
        lib = f"{r['lib_s']:.2f} | {r['lib_s'] / r['decode_s']:.2f}" if "lib_s" in r else " | "
        lines.append(
            f"| {r['case']} | {r['tool']} | {r['wall_s']:.2f} | {r['wall_s'] / r['decode_s']:.2f} | "
            f"{r['cpu_s']:.2f} | {lib} | {r['rss_mb']:.0f} | {_fmt_err(r)} | {r['note']} |"
        )
    return "\n".join(lines)


def against_fastest_peer(rows: list[dict], peer: str = "polysync --partial") -> str:
    """Per case: syncmm's wall and CPU over the peer's, from the paired runs (:func:`paired_with_peer`), and
    syncmm's wall over the sequential decode (the table's best of 2 over the decode's best of 2) (issue 16's
    goals: wall <= 0.5x the peer and <= 1.0x the decode, CPU <= 0.8x the peer; drift within +-2 ppm of 0)."""
    out = [
        f"| case | syncmm / {peer} wall s (medians) | wall ratio | CPU s (medians) | CPU ratio | "
        "syncmm wall / decode | drift ppm (truth 0) |",
        "|---|---|---|---|---|---|---|",
    ]
    for case in dict.fromkeys(r["case"] for r in rows):
        s = next((r for r in rows if r["case"] == case and r["tool"] == "syncmm" and "wall_s" in r), None)
        if s is None:
            continue
        pr = s.get("paired")
        if pr:
            w = f"{pr['s_wall']:.2f} / {pr['p_wall']:.2f} | {pr['s_wall'] / pr['p_wall']:.2f}"
            c = f"{pr['s_cpu']:.2f} / {pr['p_cpu']:.2f} | {pr['s_cpu'] / pr['p_cpu']:.2f}"
        else:
            w = c = "- | -"
        d = "-" if s.get("drift_ppm") is None else f"{s['drift_ppm']:+.2f}"
        out.append(f"| {case} | {w} | {c} | {s['wall_s'] / s['decode_s']:.2f} | {d} |")
    return "\n".join(out)


def summary(rows: list[dict]) -> str:
    out = [
        "| tool | pairs | total wall s | × syncmm time | total CPU s | within 1 ms | within 20 ms | max RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    tools = list(dict.fromkeys(r["tool"] for r in rows))
    base = sum(r["wall_s"] for r in rows if r["tool"] == "syncmm" and "wall_s" in r)
    for t in tools:
        rs = [r for r in rows if r["tool"] == t and "wall_s" in r]
        if not rs:
            continue
        errs = [abs(r["offset"] - r["truth"]) if r.get("offset") is not None else np.inf for r in rs]
        wall = sum(r["wall_s"] for r in rs)
        out.append(
            f"| {t} | {len(rs)} | {wall:.1f} | {wall / base:.1f} | {sum(r['cpu_s'] for r in rs):.1f} | "
            f"{sum(e <= 1e-3 for e in errs)}/{len(rs)} | "
            f"{sum(e <= 20e-3 for e in errs)}/{len(rs)} | {max(r['rss_mb'] for r in rs):.0f} |"
        )
    return "\n".join(out)


def paired_only(names: list[str], repeat: int, timeout: float) -> None:
    """The paired runs of the goal ratios alone, ``repeat`` times on each named case (its name's prefix)."""
    print("| case | syncmm / polysync --partial wall s (medians) | wall ratio | CPU s (medians) | CPU ratio |")
    print("|---|---|---|---|---|")
    for c in CASES_10MIN + CASES_60MIN:
        if c.name.split("_")[0] not in names:
            continue
        ref, other = c.make()
        for _ in range(repeat):
            pr = paired_with_peer(ref, other, timeout)
            if pr is None:
                print(f"| {c.name} | a run failed | | | |")
                continue
            print(f"| {c.name} | {pr['s_wall']:.2f} / {pr['p_wall']:.2f} | {pr['s_wall'] / pr['p_wall']:.2f} | "
                  f"{pr['s_cpu']:.2f} / {pr['p_cpu']:.2f} | {pr['s_cpu'] / pr['p_cpu']:.2f} |", flush=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="two 10-min pairs only")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--no-60min", action="store_true")
    ap.add_argument("--no-3h", action="store_true", help="skip the 3-hour pair (syncmm's memory at scale)")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--peer", action="append", metavar="NAME", help="only this peer (name prefix; repeatable)")
    ap.add_argument("--paired", metavar="CASES", help="only the goal ratios' paired runs on these cases (c3,h1,...)")
    ap.add_argument("--repeat", type=int, default=1, help="with --paired: how many times")
    args = ap.parse_args()
    if args.paired:
        return paired_only(args.paired.split(","), args.repeat, args.timeout)
    peers = not args.no_peers and (PEERS / "python").exists() and shutil.which("ffmpeg") is not None
    if not args.no_peers and not peers:
        print("peers skipped: run bench/setup_peers.sh (needs the ffmpeg CLI and PyPI)", file=sys.stderr)
    cases = CASES_10MIN[:2] if args.quick else CASES_10MIN + ([] if args.no_60min else CASES_60MIN)
    rows: list[dict] = []
    for c in cases:
        print(f"[bench_offset] {c.name}", file=sys.stderr, flush=True)
        rows += bench_case(c, peers, args.timeout, args.peer)
    ten = [r for r in rows if r["case"].startswith("c")]
    hour = [r for r in rows if r["case"].startswith("h")]
    print("## Offset estimation (syncmm align) vs decode time and peers\n")
    print("`× decode`: time / the time PyAV alone takes to decode both files one after the other to 16 kHz mono.")
    print("wall: the command end to end (process start to result), best of 2 runs for runs under 15 s;")
    print("align(): syncmm's library call in a warm process. syncmm measures drift too (default for >= 60 s).")
    print(
        "Peak RSS: the whole process tree (workers included), as PSS so that pages forked workers share are "
        "counted once. Error: |estimate - exact truth|.\n"
    )
    print(table(rows))
    print("\n### syncmm against the fastest peer and the decode (goals: wall <= 0.5x polysync and <= 1.0x decode, "
          "CPU <= 0.8x polysync)\n")  # fmt: skip
    print(f"syncmm and polysync run {PAIRED_RUNS} times each on the pair, alternately (S P P S S P ...) and without "
          "the memory sampler; the ratios are of their medians (this VM's speed wanders by 20-35 % between minutes, "
          "so the table above, each tool's best of 2 one tool after the other, compares moments as much as tools). "
          "CPU: user + system seconds of the whole process tree (decode workers, ffmpeg subprocesses). "
          "`wall / decode`: the table above.\n")  # fmt: skip
    print(against_fastest_peer(rows))
    if ten:
        print("\n### 2×10-min pairs, summary\n")
        print(summary(ten))
    if hour:
        print("\n### 60-min REF pairs, summary\n")
        print(summary(hour))
    if not (args.quick or args.no_3h or args.no_60min):
        print("\n### 3-hour pair, syncmm alone (memory at scale)\n")
        print("| case | wall s | CPU s | peak PSS MB | error ms | drift ppm |")
        print("|---|---|---|---|---|---|")
        for c in CASES_3H:
            print(f"[bench_offset] {c.name}", file=sys.stderr, flush=True)
            ref, other = c.make()
            r = run([*SYNCMM, "align", str(ref), str(other), "-f", "json"], args.timeout)
            rep = json.loads(r.stdout) if r.returncode == 0 else {}
            row = dict(offset=rep.get("offset_s"), truth=c.truth)
            drift = (rep.get("drift") or {}).get("ppm")
            print(f"| {c.name} | {r.wall_s:.1f} | {r.cpu_s:.1f} | {r.peak_rss_mb:.0f} | {_fmt_err(row)} | "
                  f"{'-' if drift is None else f'{drift:+.2f}'} |")  # fmt: skip


if __name__ == "__main__":
    main()

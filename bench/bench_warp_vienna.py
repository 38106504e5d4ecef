"""`syncmm warp` against synctoolbox on real piano performances with note-level truth (Vienna 4x22).

The 16 development pairs of ../shared/data/vienna_dev/pairs.json (Mozart K.331 and Schubert D.783, 22 pianists;
the performances ../shared does not hold are rendered into bench/work/vienna with the folder's render.sh).
Each tool runs end to end on the same audio files, in its own process, with its defaults: `syncmm warp REF OTHER
-o map.csv`, and synctoolbox's chroma + DLNCO features with MrMsDTW (its own environment bench/.venv-dtw, made
by bench/setup_peers.sh).  Scoring, the same for both: REF's onset times mapped through the map (the path made
monotonic and linearly interpolated), against OTHER's times at the same score onsets.  Also the Schubert D911-03
feature pair (57 annotated measures) through `syncmm.warp` with its defaults.
Usage: python bench/bench_warp_vienna.py [--no-peers]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "vienna"
sys.path.insert(0, str(HERE))

import _vienna as V  # noqa: E402
from _measure import run  # noqa: E402
from bench_dtw import STB_AUDIO  # noqa: E402  (synctoolbox's chroma + DLNCO + MrMsDTW, its own process)

PEER_PY = HERE / ".venv-dtw" / "bin" / "python"


def syncmm_pair(p: dict) -> tuple[np.ndarray | None, float, float, str]:
    exe = str(Path(sys.executable).with_name("syncmm"))
    out = WORK / f"map_{p['id']}.csv"
    r = run([exe, "warp", str(p["ref_path"]), str(p["other_path"]), "-o", str(out), "-y", "-q"], timeout=600)
    if r.returncode != 0:
        return None, r.wall_s, r.peak_rss_mb, (r.stderr.strip().splitlines() or ["failed"])[-1][:80]
    m = np.loadtxt(out, delimiter=",", skiprows=1, ndmin=2)
    out.unlink()
    return V.errors(lambda t: np.interp(t, m[:, 0], m[:, 1]), p), r.wall_s, r.peak_rss_mb, ""


def stb_pair(p: dict) -> tuple[np.ndarray | None, float, float, str]:
    out = WORK / f"stb_{p['id']}.npy"
    r = run([str(PEER_PY), "-c", STB_AUDIO, str(p["ref_path"]), str(p["other_path"]), str(out)], timeout=900)
    if r.returncode != 0:
        return None, r.wall_s, r.peak_rss_mb, (r.stderr.strip().splitlines() or ["failed"])[-1][:80]
    path = np.load(out)
    out.unlink()
    return V.errors(V.path_transfer(path, 50.0), p), r.wall_s, r.peak_rss_mb, ""


def row(name: str, s: dict) -> str:
    return (f"| {name} | {s['mean']:.1f} | {s['median']:.1f} | {s['p95']:.0f} | {s['max']:.0f} | {s['gt100']:.1f} % "
            f"| {s['gt500']:.1f} % | {s['n']} |")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-peers", action="store_true")
    args, _ = ap.parse_known_args()
    print("## `syncmm warp` on real piano performances (Vienna 4x22, note-level truth)\n")
    if not V.VIENNA.is_dir():
        print("skipped: ../shared/data/vienna_dev is not present\n")
        return
    WORK.mkdir(parents=True, exist_ok=True)
    note, pairs = V.playable_pairs()
    peers = not args.no_peers and PEER_PY.exists()
    res: dict[str, dict] = {"syncmm": {}, "synctoolbox": {}}
    walls: dict[str, list[float]] = {"syncmm": [], "synctoolbox": []}
    mems: dict[str, list[float]] = {"syncmm": [], "synctoolbox": []}
    failures = []
    for p in pairs:
        for tool, fn in (("syncmm", syncmm_pair), ("synctoolbox", stb_pair)):
            if tool == "synctoolbox" and not peers:
                continue
            print(f"[bench_warp_vienna] {tool} {p['id']}", file=sys.stderr, flush=True)
            e, wall, mem, why = fn(p)
            if e is None:
                failures.append(f"{tool} {p['id']}: {why}")
                continue
            res[tool][p["id"]] = e
            walls[tool].append(wall)
            mems[tool].append(mem)
    print(f"{len(pairs)} of 16 pairs have audio{' (' + note + ')' if note else ''}; each tool end to end on the same "
          "files with its defaults (syncmm: `syncmm warp REF OTHER -o map.csv`; synctoolbox: chroma + DLNCO, "
          "MrMsDTW, step weights 1.5/1.5/2). Error: |REF onset mapped through the map - OTHER onset| at the score "
          "onsets both play (last bar included). `mean` is the mean of the pairs' means; the rest pooled over "
          "onsets.\n")  # fmt: skip
    print("| tool / piece | mean ms | median ms | p95 ms | max ms | > 100 ms | > 500 ms | onsets |")
    print("|---|---|---|---|---|---|---|---|")
    for tool in ("syncmm", "synctoolbox"):
        if not res[tool]:
            continue
        for piece in ("Mozart", "Schubert"):
            errs = [e for k, e in res[tool].items() if k.startswith(piece)]
            if errs:
                print(row(f"{tool} / {piece}", V.stats(errs)))
        print(row(f"**{tool} / all**", V.stats(list(res[tool].values()))))
    print("\nPer pair (mean / p95 / max ms):\n")
    print("| pair | syncmm | synctoolbox |")
    print("|---|---|---|")
    for p in pairs:
        cells = []
        for tool in ("syncmm", "synctoolbox"):
            e = res[tool].get(p["id"])
            cells.append("" if e is None else f"{e.mean() * 1e3:.1f} / {np.percentile(e, 95) * 1e3:.0f} / "
                         f"{e.max() * 1e3:.0f}")  # fmt: skip
        print(f"| {p['id']} | {cells[0]} | {cells[1]} |")
    if walls["syncmm"]:
        line = (f"\nSpeed (whole process per pair, median over the pairs): syncmm {np.median(walls['syncmm']):.2f} s, "
                f"peak {max(mems['syncmm']):.0f} MB")  # fmt: skip
        if walls["synctoolbox"]:
            ratio = np.median(walls["synctoolbox"]) / np.median(walls["syncmm"])
            line += (f"; synctoolbox {np.median(walls['synctoolbox']):.2f} s, peak {max(mems['synctoolbox']):.0f} MB: "
                     f"syncmm {ratio:.1f}x faster")  # fmt: skip
        print(line + ".")
    for f in failures:
        print(f"\nfailed: {f}")
    d911()


def d911() -> None:
    if not V.D911.is_dir():
        return
    from syncmm import warp

    f, t_ref, t_oth = V.d911()
    print("\nSchubert D911-03, HU33 -> SC06, 57 annotated measures (features as shipped by synctoolbox), "
          "`syncmm.warp` defaults:\n")  # fmt: skip
    print("| input | mean ms | median ms | p95 ms | max ms | > 100 ms | > 500 ms |")
    print("|---|---|---|---|---|---|---|")
    for name, kw in (("chroma", {}), ("chroma + DLNCO onsets", {"onsets": (f["HU33_DLNCO"], f["SC06_DLNCO"])})):
        e = np.abs(warp(f["HU33_chroma"], f["SC06_chroma"], rate=50, **kw).transfer(t_ref) - t_oth)
        s = V.stats([e])
        print(f"| {name} | {s['mean']:.1f} | {s['median']:.1f} | {s['p95']:.0f} | {s['max']:.0f} | {s['gt100']:.0f} % "
              f"| {s['gt500']:.0f} % |")  # fmt: skip
    print("| synctoolbox chroma + DLNCO (published on this task) | 54.2 | 36.5 | 216 | | 14 % | 0 % |")
    print()


if __name__ == "__main__":
    main()

"""The Vienna 4x22 evaluation shared by bench_warp_vienna.py, bench_warp_cv.py and the tests' protocol:
the pairs, their audio (pre-rendered in ../shared or rendered here with the folder's render.sh), the
note-level truth and the scoring (REF's onset times mapped through a map, against OTHER's times at the same
score onsets; only onsets both performances play)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
VIENNA = SHARED / "vienna_dev"
RENDERED = HERE / "work" / "vienna"  # performances render.sh made here (never committed)
D911 = SHARED / "dtw"


def pairs() -> list[dict]:
    """The 16 development pairs (pairs.json), each with ``ref_path`` / ``other_path`` resolved (None: no audio)."""
    out = []
    for p in json.loads((VIENNA / "pairs.json").read_text())["pairs"]:
        q = dict(p)
        for side in ("ref", "other"):
            q[f"{side}_path"] = audio(p[f"{side}_audio"])
        out.append(q)
    return out


def audio(rel: str) -> Path | None:
    """A performance's audio: the pre-rendered file in ../shared, else one rendered into bench/work/vienna."""
    for p in (VIENNA / rel, RENDERED / Path(rel).name):
        if p.exists() and p.stat().st_size > 0:
            return p
    return None


def render_missing() -> str:
    """Render every performance the pairs need and ../shared does not hold (render.sh: fluidsynth, the FluidR3
    GM sound font, ffmpeg; bench/setup_peers.sh installs them).  Returns a note ('' when all are there)."""
    names = sorted({Path(p[k]).stem for p in json.loads((VIENNA / "pairs.json").read_text())["pairs"]
                    for k in ("ref_audio", "other_audio")})  # fmt: skip
    missing = [n for n in names if audio(f"audio/{n}.opus") is None]
    failed = []
    for n in missing:
        print(f"[vienna] rendering {n}", file=sys.stderr, flush=True)
        r = subprocess.run(["bash", str(VIENNA / "render.sh"), str(RENDERED), n], capture_output=True, text=True)
        if r.returncode != 0 or audio(f"audio/{n}.opus") is None:
            failed.append(n)
    if failed:
        return f"could not render {len(failed)} performances (fluidsynth/fluid-soundfont-gm/ffmpeg missing?)"
    return ""


def playable_pairs() -> tuple[str, list[dict]]:
    """Render what ../shared lacks, then the pairs whose both performances have audio (and render's note)."""
    note = render_missing()
    return note, [p for p in pairs() if p["ref_path"] and p["other_path"]]


def onsets(rel: str) -> dict[float, float]:
    """Score onset (quarter notes) -> performance time (s) from a truth CSV."""
    a = np.loadtxt(VIENNA / rel, delimiter=",", skiprows=1, ndmin=2)
    return {round(float(q), 4): float(t) for q, t in zip(a[:, 0], a[:, 2], strict=True)}


def errors(transfer, pair: dict) -> np.ndarray:
    """|transfer(REF onset times) - OTHER onset times| (s) over the score onsets both play."""
    r, o = onsets(pair["ref_truth"]), onsets(pair["other_truth"])
    keys = sorted(set(r) & set(o))
    return np.abs(np.asarray(transfer(np.array([r[k] for k in keys])), float) - np.array([o[k] for k in keys]))


def path_transfer(path: np.ndarray, rate: float):
    """A (K, 2) frame path as a map REF s -> OTHER s, read the way ``WarpPath.transfer`` reads syncmm's: made
    monotonic (the mean OTHER frame of each REF frame) and linearly interpolated."""
    from syncmm.types import WarpPath

    return WarpPath(np.asarray(path, np.int64), float(rate), 0.0, 0, 0, 0).transfer


def stats(errs: list[np.ndarray]) -> dict[str, float]:
    """Mean of the pairs' means, median, pooled p95 and max (ms), share > 100 ms and > 500 ms (%)."""
    e = np.concatenate(errs)
    return {
        "mean": float(np.mean([x.mean() for x in errs]) * 1e3),
        "median": float(np.median(e) * 1e3),
        "p95": float(np.percentile(e, 95) * 1e3),
        "max": float(e.max() * 1e3),
        "gt100": float(np.mean(e > 0.1) * 100),
        "gt500": float(np.mean(e > 0.5) * 100),
        "n": int(len(e)),
    }


def d911():
    """The Schubert D911-03 feature pair: chroma and DLNCO of HU33 and SC06, and the 57 shared measures' times."""

    def measures(p: Path) -> dict[float, float]:
        out = {}
        for line in p.read_text().split()[1:]:
            t, m = line.split(";")
            out[float(m)] = float(t)
        return out

    r, o = measures(D911 / "Schubert_D911-03_HU33.csv"), measures(D911 / "Schubert_D911-03_SC06.csv")
    keys = sorted(set(r) & set(o))
    f = {k: np.load(D911 / f"Schubert_D911-03_{k}50Hz.npy") for k in
         ("HU33_chroma", "SC06_chroma", "HU33_DLNCO", "SC06_DLNCO")}  # fmt: skip
    return f, np.array([r[k] for k in keys]), np.array([o[k] for k in keys])

"""Drift benchmark: accuracy and time of `align`'s drift stage on real speech with exact clock drift.

Real speech (../shared/data/speech) rearranged over a non-repeating noise bed into 10-min and 60-min
timelines, OTHER resampled to the exact model t_OTHER = (t_REF - offset) * (1 + ppm*1e-6), on arrays
(no decoding): errors of drift_ppm and offset_s, and the time of the drift stage.
Usage: python bench/bench_drift.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from syncmm import estimate_offset
from syncmm.alignment.drift import estimate_drift
from syncmm.media import load_audio
from syncmm.synth import drifted, speech_timeline

SPEECH = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "speech"


def clips(sr: int) -> list[np.ndarray]:
    ys = [load_audio(p, sr=sr).y for p in sorted(SPEECH.glob("*.flac"))]
    sp = np.concatenate(ys) if ys else np.zeros(0, np.float32)
    return [sp[a : a + 4 * sr] for a in range(0, len(sp) - 4 * sr, 3 * sr)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-peers", action="store_true", help="(ignored: no peers here)")
    ap.add_argument("--no-60min", action="store_true")
    args = ap.parse_args()
    rows = []
    setups = [(10, 16000)] + ([] if args.quick or args.no_60min else [(60, 8000)])
    for minutes, sr in setups:
        cl = clips(sr)
        for ppm in (-200.0, -50.0, 20.0, 100.0, 200.0):
            print(f"[bench_drift] {minutes} min {ppm:+g} ppm", file=sys.stderr, flush=True)
            event = speech_timeline(minutes * 60 + 30, sr, np.random.default_rng(int(ppm) + 1000 + minutes), cl)
            y = drifted(event, sr, 7.654321, ppm, minutes * 60 - 40)
            est = estimate_offset(event, y, sr)
            t0 = time.perf_counter()
            d = estimate_drift(event, y, sr, est)
            dt = time.perf_counter() - t0
            rows.append((minutes, sr, ppm, d.drift_ppm - ppm, (d.offset_s - 7.654321) * 1e3, d.residual_rms_s * 1e6,
                         d.n_used, len(d.segments), dt))  # fmt: skip
    print("## Clock drift (align's drift stage), real speech with exact drift\n")
    print("Truth: offset_s = 7.654321 s; OTHER resampled to t_OTHER = (t_REF - offset_s)(1 + ppm 1e-6).\n")
    print(
        "| timeline | rate | drift ppm | drift error ppm | offset error ms | residual rms µs | windows used | time s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for m, sr, ppm, e_ppm, e_off, res, nu, nw, dt in rows:
        print(f"| {m} min | {sr} Hz | {ppm:+g} | {e_ppm:+.4f} | {e_off:+.4f} | {res:.2f} | {nu}/{nw} | {dt:.2f} |")


if __name__ == "__main__":
    main()

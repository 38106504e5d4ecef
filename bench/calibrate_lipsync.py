"""Fit the lip-sync calibration (``NULL``, ``NULL_AGREE``, ``DEFAULT_BIAS_S`` in syncmm/alignment/lm.py) on
the development clips, and show how far one clip moves it.

Null: each clip's picture with every other clip's sound, and with its own sound rotated by half its length
(23 x 23 pairs, 1.4-20 s of face), and 40 long pairs (8 talking heads' pictures in turn under 8 others'
sound, 55-75 s).  NULL: for the short and the long pairs, a normal law matched to the 95th and 99th
percentiles of the peak strength z, with the group's median face seconds (the core interpolates between the
two in log(face seconds): the null grows slowly with length).  NULL_AGREE: among the strongest quarter of
the null peaks, the share whose two statistics agree.  Bias: the
median raw offset of the unshifted clips (presumed in sync).  Leave-one-clip-out: the same fitted without
each clip in turn, and the false accepts on that clip's null pairs at MIN_CONFIDENCE.
Usage: python bench/calibrate_lipsync.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lipdata import clips, features, joined_pictures_and_sound, other_sound, rotated_sound  # noqa: E402


def _tail(z: np.ndarray) -> tuple[float, float]:
    q95, q99 = np.quantile(z, [0.95, 0.99])
    sd = (q99 - q95) / (2.3263 - 1.6449)
    return float(q95 - 1.6449 * sd), float(sd)


def fit(rows: list[tuple[float, bool, float]]) -> tuple[tuple, float]:
    """``NULL`` ((median face s, mean, sd) of the short and of the long pairs) and ``NULL_AGREE`` from
    (z, agree, face seconds) rows."""
    z = np.array([r[0] for r in rows])
    ag = np.array([r[1] for r in rows])
    t = np.array([r[2] for r in rows])
    groups = tuple((round(float(np.median(t[g])), 1), *(round(v, 4) for v in _tail(z[g]))) for g in (t < 30, t >= 30))
    return groups, round(float(ag[z >= np.quantile(z, 0.75)].mean()), 3)


def main() -> None:
    from syncmm.alignment import lipsync
    from syncmm.alignment import lipsync_model as lm
    from syncmm.jobs.check import estimate_speaker

    paths = clips()
    if not paths:
        print("skipped: ../shared/data is not present")
        return
    data = {p.stem: features(p) for p in paths}
    names = list(data)
    heads = [n for n in names if not n.startswith("grid")]
    rng = np.random.default_rng(1)
    longs = []
    for _ in range(40):
        perm = list(rng.permutation(heads))
        longs.append(joined_pictures_and_sound(data, perm[:8], perm[8:16]))
    for method in ("cca", "opening"):

        def run(d, sp, method=method):
            e = estimate_speaker(d["tracks"], sp, method=method, min_confidence=0.0)
            return e.strength, e.agree, e.face_s, e.raw_offset_s

        null = {a: [run(data[a], other_sound(data[a], data[b]))[:3] for b in names if b != a]
                + [run(data[a], rotated_sound(data[a]))[:3]] for a in names}  # fmt: skip
        long_null = []
        for t, m, sp in longs:
            e = lipsync.estimate_av_offset(t, m, sp.times, np.column_stack([sp.mel, sp.envelope]), method=method,
                                           speech_active=sp.active, min_confidence=0.0, segment_s=1e9)  # fmt: skip
            long_null.append((e.strength, e.agree, e.face_s))
        raw = {a: run(data[a], data[a]["speech"])[3] for a in names}
        rows = [r for v in null.values() for r in v] + long_null
        nul, agree = fit(rows)
        print(f"{method}: NULL {nul}, NULL_AGREE {agree}, DEFAULT_BIAS_S {np.median(list(raw.values())):+.3f}")
        saved = dict(lm.NULL), dict(lm.NULL_AGREE)
        lm.NULL[method], lm.NULL_AGREE[method] = nul, agree
        fa_long = np.mean([lm.calibrated(z, ag, method, t) >= lm.MIN_CONFIDENCE for z, ag, t in long_null])
        fa, spread = [], []
        for a in names:
            n2, a2 = fit([r for k, v in null.items() if k != a for r in v] + long_null)
            lm.NULL[method], lm.NULL_AGREE[method] = n2, a2
            fa += [lm.calibrated(z, ag, method, t) >= lm.MIN_CONFIDENCE for z, ag, t in null[a]]
            spread.append(np.median([raw[k] for k in names if k != a]))
        lm.NULL.update(saved[0])
        lm.NULL_AGREE.update(saved[1])
        print(f"  false accepts at {lm.MIN_CONFIDENCE}: short pairs (leave-one-clip-out) {np.mean(fa) * 100:.1f} %"
              f" of "
              f"{len(fa)}; long pairs {fa_long * 100:.1f} % of {len(long_null)} (in sample); bias leaving one clip "
              f"out {min(spread) * 1e3:+.0f}..{max(spread) * 1e3:+.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()

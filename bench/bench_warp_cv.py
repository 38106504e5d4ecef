"""How `syncmm warp`'s onset defaults were chosen: cross-validation between the two Vienna pieces.

A grid over the constants that shape the onset channel and the path (onset compression, normalisation window,
decay, the onset weight against the harmonic cost, the added cost) runs `syncmm.warp` on the features of all
16 development pairs (those with audio; bench_warp_vienna.py renders the rest), the way `syncmm warp` does
(leading and trailing silence left out).  Fit on one piece (the setting with the lowest mean of its pairs'
means), score on the other, both directions; also on the Schubert D911 feature pair (its onsets are
synctoolbox's DLNCO, so only weight and added cost apply).  The shipped defaults are the setting with the
lowest mean over both pieces; the held-out rows are the honest estimate on a piece they were not fitted on.
The band is not fitted: it is a search budget (a wider band only lets the finest scale correct more of the
coarser path, at a cost in time), set to 0.6 s; the last table shows 0.3 / 0.6 / 1.0 s for the chosen settings.
Usage: python bench/bench_warp_cv.py [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _vienna as V  # noqa: E402

SR, RATE = 12000, 50.0
NAMES = ("gamma", "norm_s", "decay_s", "onset_weight", "cost_add")
GRID = ((1000.0, 10000.0), (0.25, 0.5), (0.1, 0.2), (0.5, 0.75, 1.0), (0.1, 0.2, 0.3, 0.5))
QUICK = ((1000.0, 10000.0), (0.25,), (0.1,), (0.5, 0.75, 1.0), (0.1, 0.2, 0.3))
BANDS = (0.3, 0.6, 1.0)
_SPEC: dict = {}


def _spectra(path: Path):
    if path not in _SPEC:
        from syncmm.features.music import _hop, _power, chroma_filters, sounding_span
        from syncmm.media import load_audio

        y = load_audio(path, SR).y
        S, n_fft = _power(y, SR, _hop(SR, RATE))
        W = chroma_filters(SR, n_fft)
        a, b = sounding_span(y, SR, RATE)  # as `syncmm warp` does: leading and trailing silence not warped
        _SPEC[path] = (S, W, W @ S, {}, (min(a, S.shape[1] - 1), min(b, S.shape[1])))
    return _SPEC[path]


def _onsets(path: Path, gamma: float, norm_s: float, decay_s: float):
    from syncmm.features.music import chroma_onsets

    S, W, _, cache, _ = _spectra(path)
    key = (gamma, norm_s, decay_s)
    if key not in cache:
        cache[key] = chroma_onsets(S, W, RATE, gamma=gamma, norm_s=norm_s, decay_s=decay_s)
    return cache[key]


def score(cfg: tuple, pairs: list[dict], band: float | None = None) -> dict[str, np.ndarray]:
    """Errors per pair of one setting (band: the default with onsets)."""
    from syncmm import warp

    gamma, norm_s, decay_s, ow, ca = cfg
    out = {}
    for p in pairs:
        A, B = _spectra(p["ref_path"])[2], _spectra(p["other_path"])[2]
        ons = (_onsets(p["ref_path"], gamma, norm_s, decay_s), _onsets(p["other_path"], gamma, norm_s, decay_s))
        spans = (_spectra(p["ref_path"])[4], _spectra(p["other_path"])[4])
        wp = warp(A, B, rate=RATE, onsets=ons, onset_weight=ow, cost_add=ca, band_s=band, max_contrast=1.0, spans=spans)
        out[p["id"]] = V.errors(wp.transfer, p)
    return out


def _piece(errs: dict[str, np.ndarray], piece: str) -> dict[str, float]:
    return V.stats([e for k, e in errs.items() if k.startswith(piece)])


def _d911(cfg: tuple) -> float | None:
    if not V.D911.is_dir():
        return None
    from syncmm import warp

    f, t_ref, t_oth = V.d911()
    _, _, _, ow, ca = cfg
    wp = warp(f["HU33_chroma"], f["SC06_chroma"], rate=RATE, onsets=(f["HU33_DLNCO"], f["SC06_DLNCO"]),
              onset_weight=ow, cost_add=ca)  # fmt: skip
    return float(np.mean(np.abs(wp.transfer(t_ref) - t_oth)) * 1e3)


def _fmt(cfg: tuple) -> str:
    return ", ".join(f"{n} {v:g}" for n, v in zip(NAMES, cfg, strict=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args, _ = ap.parse_known_args()
    print("## How `syncmm warp`'s onset defaults were chosen (cross-validation between the Vienna pieces)\n")
    if not V.VIENNA.is_dir():
        print("skipped: ../shared/data/vienna_dev is not present\n")
        return
    note, pairs = V.playable_pairs()
    grid = list(itertools.product(*(QUICK if args.quick else GRID)))
    print(f"[bench_warp_cv] {len(grid)} settings x {len(pairs)} pairs", file=sys.stderr, flush=True)
    with ProcessPoolExecutor(2) as ex:
        results = dict(zip(grid, ex.map(score, grid, [pairs] * len(grid), chunksize=8), strict=True))
    stats = {c: {pc: _piece(e, pc) for pc in ("Mozart", "Schubert")} for c, e in results.items()}
    print(f"{len(grid)} settings of {', '.join(NAMES)} (grid: "
          + "; ".join(f"{n} {'/'.join(f'{v:g}' for v in vals)}" for n, vals in zip(NAMES, QUICK if args.quick else GRID,
                                                                                  strict=True))
          + f"), {len(pairs)} pairs{' (' + note + ')' if note else ''}. Chosen by the lowest mean of the pairs' "
          "means on the fitted piece; `mean / p95 / max / > 500 ms` on the held-out piece.\n")  # fmt: skip
    print("| fitted on | chosen setting | fitted piece mean ms | held-out piece | held-out mean ms | p95 ms | max ms "
          "| > 500 ms | D911 mean ms |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for fit, test in (("Mozart", "Schubert"), ("Schubert", "Mozart")):
        best = min(grid, key=lambda c, fit=fit: stats[c][fit]["mean"])
        h, d = stats[best][test], _d911(best)
        print(f"| {fit} | {_fmt(best)} | {stats[best][fit]['mean']:.1f} | {test} | {h['mean']:.1f} | {h['p95']:.0f} "
              f"| {h['max']:.0f} | {h['gt500']:.1f} % | {'' if d is None else f'{d:.1f}'} |")  # fmt: skip
    both = min(grid, key=lambda c: stats[c]["Mozart"]["mean"] + stats[c]["Schubert"]["mean"])
    from syncmm.alignment import multiscale as dtw
    from syncmm.features import music

    shipped = (music.ONSET_GAMMA, music.ONSET_NORM_S, music.ONSET_DECAY_S, dtw.DEFAULT_ONSET_WEIGHT,
               dtw.DEFAULT_ONSET_COST_ADD)  # fmt: skip
    m, s = stats[both]["Mozart"], stats[both]["Schubert"]
    print(f"\nLowest mean over both pieces (in sample): {_fmt(both)}: Mozart {m['mean']:.1f} ms, Schubert "
          f"{s['mean']:.1f} ms. Shipped defaults: {_fmt(shipped)} "
          f"({'the same' if tuple(shipped) == both else 'DIFFERENT from this run'}).")  # fmt: skip
    spread = sorted(stats[c]["Mozart"]["mean"] + stats[c]["Schubert"]["mean"] for c in grid)
    k = max(len(spread) // 10, 1)
    top, mid = (spread[k - 1] - spread[0]) / 2, spread[len(spread) // 2] / 2
    print(f"\nSensitivity (average of the pieces' means): best tenth of the grid ({k} settings) within {top:.1f} ms "
          f"of the best; the median setting {mid:.1f} ms, the worst {spread[-1] / 2:.1f} ms.\n")  # fmt: skip
    chosen = list(dict.fromkeys([min(grid, key=lambda c, f=f: stats[c][f]["mean"]) for f in ("Mozart", "Schubert")]
                                + [both]))  # fmt: skip
    jobs = [(c, b) for c in chosen for b in BANDS]
    with ProcessPoolExecutor(2) as ex:
        banded = list(ex.map(score, [c for c, _ in jobs], [pairs] * len(jobs), [b for _, b in jobs]))
    print(f"The band (default {dtw.DEFAULT_ONSET_BAND_S:g} s with onsets), for the settings above: Mozart / Schubert "
          "mean of pair means, and the largest error over all pairs:\n")  # fmt: skip
    print("| setting | " + " | ".join(f"band {b:g} s" for b in BANDS) + " |")
    print("|---|" + "---|" * len(BANDS))
    for i, c in enumerate(chosen):
        cells = []
        for j in range(len(BANDS)):
            e = banded[i * len(BANDS) + j]
            m, s = _piece(e, "Mozart"), _piece(e, "Schubert")
            cells.append(f"{m['mean']:.1f} / {s['mean']:.1f} ms, max {max(m['max'], s['max']):.0f} ms")
        print(f"| {_fmt(c)} | " + " | ".join(cells) + " |")
    print()


if __name__ == "__main__":
    main()

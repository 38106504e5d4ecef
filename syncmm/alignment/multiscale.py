"""Multiscale DTW: the time map between two feature sequences (``syncmm warp``).

Features smoothed and downsampled by :data:`FACTOR` per scale; a path found at the coarsest scale over the
whole matrix (or around a seeded offset), then at each finer scale within a band around the projected path;
onset features, when given, join the local cost at the finest scale.
"""

from __future__ import annotations

import math

import numpy as np

from ..exceptions import AlignmentError, ParameterError
from ..types import WarpPath
from .dtw import METRICS, _check_features, _check_onsets, _downsample, _full_band, _project, _rows, _run, _steps
from .dtw_contrast import _compress, _roll, path_contrast

COARSE_MAX_FRAMES = 1500  # the coarsest scale has at most this many REF frames
FACTOR = 4  # downsampling between scales
KEY_MAX_FRAMES = 250  # the transposition search compares the 12 keys at this resolution
#: Defaults of :func:`warp` on harmonic features alone, chosen on the Schubert D911-03 pair (README "syncmm warp").
DEFAULT_COST_ADD = 0.1
DEFAULT_COMPRESS = 300.0
#: With onset features at the finest scale: their weight against the harmonic cost and the added cost, chosen by
#: cross-validation between the two Vienna pieces (README "syncmm warp": how the defaults were chosen).
DEFAULT_ONSET_WEIGHT = 0.75
DEFAULT_ONSET_COST_ADD = 0.2
#: Half-width of the band around the coarser scale's path: with onsets it is wider, so that the finest scale can
#: move a beat the harmonic features alone placed wrongly (a search budget, not fitted: bench/bench_warp_cv.py
#: shows 0.3 / 0.6 / 1.0 s).
DEFAULT_BAND_S = 0.3
DEFAULT_ONSET_BAND_S = 0.6
#: :func:`warp` refuses a path whose cost is above this share of chance (:func:`path_contrast`); see the README
#: ("syncmm warp": when it refuses) for the pairs it was chosen on.
DEFAULT_MAX_CONTRAST = 0.50
MIN_WARP_S = 1.0  # shorter inputs carry too little to warp


def warp(
    ref_features: np.ndarray,
    other_features: np.ndarray,
    rate: float,
    *,
    metric: str = "cosine",
    steps: str | tuple = "classic",
    cost_add: float | None = None,
    band_s: float | None = None,
    compress: float | None = DEFAULT_COMPRESS,
    transpose: str | int | None = "auto",
    subsequence: bool = False,
    offset_s: float | None = None,
    offset_radius_s: float = 10.0,
    ref_t0: float = 0.0,
    other_t0: float = 0.0,
    max_contrast: float = DEFAULT_MAX_CONTRAST,
    onsets: tuple[np.ndarray, np.ndarray] | None = None,
    onset_weight: float = DEFAULT_ONSET_WEIGHT,
    spans: tuple[tuple[int, int], tuple[int, int]] | None = None,
) -> WarpPath:
    """Multiscale DTW: the time map between two feature sequences at ``rate`` frames/s.

    Parameters
    ----------
    ref_features : np.ndarray [shape=(d, N)]
        REF features, time last (chroma, MFCC, onset channels... any stack of the same frames).
    other_features : np.ndarray [shape=(d, M)]
        OTHER features at the same rate.
    rate : float
        Frames per second of both.
    metric, steps, subsequence
        As in :func:`dtw`.
    cost_add : float, optional
        Added to every local cost (favours short paths); default :data:`DEFAULT_COST_ADD`, or
        :data:`DEFAULT_ONSET_COST_ADD` with ``onsets``.
    band_s : float, optional
        Half-width of the band around the path projected from the coarser scale, in seconds (at least
        two frames of that scale); default :data:`DEFAULT_BAND_S`, or :data:`DEFAULT_ONSET_BAND_S` with
        ``onsets``.
    compress : float or None
        Non-negative features (chroma, onset strength) are unit-normalised and log-compressed,
        ``log(1 + compress * x)``, so that weak pitch classes count; None: as given.
    transpose : "auto", int or None
        Features whose dimension is a multiple of 12 are taken as blocks of pitch classes: ``"auto"`` tries
        the 12 circular shifts of OTHER's at the coarsest scale and keeps the cheapest (performances in
        different keys); an int forces a shift; None: no shift.
    offset_s : float, optional
        A known offset (``t_REF - t_OTHER``, e.g. from :func:`syncmm.estimate_offset`) for offset-plus-wobble
        material: only the overlap it implies is warped, and the coarsest scale searches within
        ``offset_radius_s`` of it instead of the whole matrix.  The map is then defined on that overlap.
    offset_radius_s : float
        How far the path may wander from the seeded offset at the coarsest scale.
    ref_t0, other_t0 : float
        Times of the first frames.
    max_contrast : float
        Refuse (:class:`AlignmentError`) a path whose mean cost is above this share of chance
        (:func:`path_contrast`): the inputs are not two renditions of one thing.
    onsets : (np.ndarray [shape=(k, N)], np.ndarray [shape=(k, M)]), optional
        Onset features of the same frames (e.g. :func:`syncmm.features.music.chroma_onsets`): at the finest
        scale the local cost adds ``onset_weight`` times their Euclidean distance, which pins the path to
        the notes' starts (the coarser scales use the harmonic features alone).  Pitch-class onsets (k a
        multiple of 12) follow the transposition.
    onset_weight : float
        Weight of the onset distance.
    spans : ((int, int), (int, int)), optional
        Warp only REF frames ``spans[0][0]:spans[0][1]`` and OTHER frames ``spans[1][0]:spans[1][1]`` (e.g.
        the sounding parts, without leading and trailing silence: :func:`syncmm.features.music.sounding_span`);
        the path starts and ends at their corners and :meth:`WarpPath.transfer` continues it at tempo 1.

    Returns
    -------
    WarpPath

    Raises
    ------
    AlignmentError
        An input is shorter than :data:`MIN_WARP_S`, or the best path is no better than chance (which is also
        what constant features, silence included, give).
    """
    X = _check_features(ref_features, "REF")
    Y = _check_features(other_features, "OTHER")
    if X.shape[0] != Y.shape[0]:
        raise ParameterError(f"REF has {X.shape[0]} feature dimensions, OTHER {Y.shape[0]}")
    if not (math.isfinite(rate) and rate > 0):
        raise ParameterError("rate must be > 0")
    if metric not in METRICS:
        raise ParameterError(f"unknown metric {metric!r}; use cosine or euclidean")
    m = METRICS[metric]
    st, w = _steps(steps)
    n0, mm0 = X.shape[1], Y.shape[1]
    onsets = _check_onsets(onsets, n0, mm0, onset_weight)
    if cost_add is None:
        cost_add = DEFAULT_COST_ADD if onsets is None else DEFAULT_ONSET_COST_ADD
    if band_s is None:
        band_s = DEFAULT_BAND_S if onsets is None else DEFAULT_ONSET_BAND_S
    if not (math.isfinite(band_s) and band_s >= 0):
        raise ParameterError("band_s must be >= 0")
    if not (math.isfinite(cost_add) and cost_add >= 0):
        raise ParameterError("cost_add must be >= 0")
    s_r = s_o = 0
    if spans is not None:
        (s_r, e_r), (s_o, e_o) = ((int(a), int(b)) for a, b in spans)
        if not (0 <= s_r < e_r <= n0 and 0 <= s_o < e_o <= mm0):
            raise ParameterError(f"spans must lie within the {n0} REF and {mm0} OTHER frames and not be empty")
        X, Y = X[:, s_r:e_r], Y[:, s_o:e_o]
        if onsets is not None:
            onsets = (onsets[0][:, s_r:e_r], onsets[1][:, s_o:e_o])
        if offset_s is not None:
            offset_s = offset_s - (s_r - s_o) / rate
    a_r = a_o = 0
    if offset_s is not None:
        if not (math.isfinite(offset_s) and math.isfinite(offset_radius_s) and offset_radius_s > 0):
            raise ParameterError("offset_s must be finite and offset_radius_s > 0")
        a_r, a_o = max(0, int(round(offset_s * rate))), max(0, int(round(-offset_s * rate)))
        length = min(X.shape[1] - a_r, Y.shape[1] - a_o)  # (within the spans, when given)
        if length < 2:
            raise AlignmentError(f"no path: an offset of {offset_s:.3f} s leaves no overlap")
        X, Y = X[:, a_r : a_r + length], Y[:, a_o : a_o + length]
        if onsets is not None:
            onsets = (onsets[0][:, a_r : a_r + length], onsets[1][:, a_o : a_o + length])
    for name, F in (("REF", X), ("OTHER", Y)):
        if F.shape[1] < MIN_WARP_S * rate:
            raise AlignmentError(f"{name} is too short to warp ({F.shape[1] / rate:.2f} s; needs {MIN_WARP_S:g} s)")
    if compress is not None and (X.min() >= 0 and Y.min() >= 0):
        X, Y = _compress(X, compress), _compress(Y, compress)
    R = _rows(X, m)
    n, mm = X.shape[1], Y.shape[1]
    factors = [1]
    while max(n, mm) // factors[-1] > COARSE_MAX_FRAMES:
        factors.append(factors[-1] * FACTOR)
    factors = factors[::-1]
    shift = 0
    if transpose is not None and X.shape[0] % 12 == 0:
        if transpose == "auto":
            f = 1
            while max(n, mm) // f > KEY_MAX_FRAMES:
                f *= 2
            Rf = _downsample(R, f, m)
            costs = []
            for k in range(12):
                Of = _downsample(_rows(_roll(Y, k), m), f, m)
                r = _run(Rf, Of, *_full_band(len(Rf), len(Of)), st, w, cost_add, m, subsequence)
                costs.append(r.cost / len(r.path))
            shift = int(np.argmin(costs))
        elif isinstance(transpose, int):
            shift = transpose % 12
        else:
            raise ParameterError("transpose must be 'auto', an int or None")
    Q = _rows(_roll(Y, shift), m)
    path = None
    cells = 0
    prev_f = None
    for f in factors:
        Rf, Of = _downsample(R, f, m), _downsample(Q, f, m)
        if path is None and offset_s is not None:  # seeded: the diagonal of the overlap, +- the radius
            rad = max(int(round(offset_radius_s * rate / f)), 2)
            i = np.arange(len(Rf))
            lo = np.clip(i - rad, 0, len(Of)).astype(np.int64)
            hi = np.clip(i + rad + 1, 1, len(Of)).astype(np.int64)
            lo[0], hi[-1] = 0, len(Of)
            hi = np.maximum(hi, lo + 1)
        elif path is None:
            lo, hi = _full_band(len(Rf), len(Of))
        else:
            r = prev_f // f
            radius = max(int(round(band_s * rate / f)), 2)
            lo, hi = _project(path, r, len(Rf), len(Of), radius, subsequence)
        ons = None
        if f == 1 and onsets is not None:
            ons = (onsets[0].T, (_roll(onsets[1], shift) if onsets[1].shape[0] % 12 == 0 else onsets[1]).T)
        res = _run(Rf, Of, lo, hi, st, w, cost_add, m, subsequence, ons, onset_weight)
        path, prev_f = res.path, f
        cells += res.cells
    contrast = path_contrast(R, Q, path, m)
    if a_r + s_r or a_o + s_o:
        path = path + np.array([a_r + s_r, a_o + s_o], np.int64)
    wp = WarpPath(path=path, rate=float(rate), cost=res.cost, n_ref=n0, n_other=mm0, cells=cells, ref_t0=ref_t0,
                  other_t0=other_t0, scales=tuple(factors), chroma_shift=shift, contrast=contrast, band_s=float(band_s),
                  onset_weight=0.0 if onsets is None else float(onset_weight))  # fmt: skip
    if contrast > max_contrast:
        raise AlignmentError(
            f"no reliable time map: the best path matches the two inputs no better than chance "
            f"(cost {contrast:.2f} of chance; at most {max_contrast:.2f} is trusted): they may not be the same "
            "piece or recording",
            estimate=wp,
        )
    return wp

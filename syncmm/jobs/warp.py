"""The ``warp`` job: features of two files (or two saved feature matrices), the DTW time map, and OTHER's audio
rendered along the map onto REF's timeline."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

#: Audio rate for the features: the first of these that the frame rate divides (12 kHz keeps pitches to 5 kHz).
ANALYSIS_RATES = (12000, 22050, 24000, 16000, 20000)
#: Above this combined duration (s) the two files are decoded and analysed in two worker processes.
PARALLEL_ABOVE_S = 60.0


@dataclass(frozen=True, eq=False)
class WarpJob:
    """The time map and what it was computed from: REF's and OTHER's features, REF's decoded audio as
    ``(start time, duration)`` in seconds (None for a ``.npy`` input) and the offset that seeded the search
    (None: none), in seconds between the files."""

    path: object  # syncmm.types.WarpPath
    ref_features: object  # syncmm.types.Features
    other_features: object
    ref_audio: tuple[float, float] | None
    seed_offset_s: float | None


def warp_files(
    ref: str | os.PathLike,
    other: str | os.PathLike,
    *,
    features: str,
    rate: float,
    metric: str,
    steps: str,
    band_s: float | None,
    transpose: str | int | None,
    subsequence: bool,
    offset: float | str | None,
    max_contrast: float,
    onset_weight: float | None = None,
    progress=None,
) -> WarpJob:
    """Features of both inputs, an optional seed offset (``"auto"``: the coarse onset stage), then
    :func:`syncmm.alignment.multiscale.warp`; the ``onset`` rows (when there are other rows too) become its
    ``onsets`` (Euclidean distance at the finest scale, weight ``onset_weight``; None: the default).

    Raises
    ------
    ParameterError
        ``offset="auto"`` with a ``.npy`` input; a rate no analysis rate is a multiple of.
    AlignmentError
        Silence, a steady tone, or a path no better than chance (exit 4).
    """
    from ..alignment.multiscale import warp
    from ..exceptions import ParameterError
    from ..features.music import split_onsets
    from ..media.pool import close_all

    if progress:
        progress("features", 0.0, None)
    (fr, span_r, ar), (fo, span_o, ao) = _load(Path(ref), Path(other), features, rate, progress)
    try:
        if progress:
            progress("warp", 0.0, None)
        seed = None if offset in (None, "auto") else float(offset)  # type: ignore[arg-type]
        if offset == "auto":
            if ar is None or ao is None:
                raise ParameterError("--offset: 'auto' needs audio inputs; give the offset in seconds")
            from ..alignment.xcorr import estimate_offset

            # a seed only needs to be within the search radius: the coarse (onset) stage, whatever its confidence
            sr = ar.meta.sr
            est = estimate_offset(ar[0 : len(ar)], ao[0 : len(ao)], sr, t0_x=ar.meta.t0, t0_y=ao.meta.t0,
                                  method="coarse", min_confidence=0.0)  # fmt: skip
            seed = est.offset_s
    finally:
        close_all((ar, ao))
    frames_seed = None if seed is None else seed - fr.t0 + fo.t0  # warp() works from each input's first frame
    (Xr, Or), (Xo, Oo) = split_onsets(fr), split_onsets(fo)
    onsets = None if Or is None or Oo is None else (Or, Oo)
    extra = {} if onset_weight is None else {"onset_weight": onset_weight}
    spans = None
    if span_r is not None and span_o is not None and not subsequence:  # leading and trailing silence: not warped
        spans = (_clip(span_r, fr.X.shape[1]), _clip(span_o, fo.X.shape[1]))
    wp = warp(Xr, Xo, rate, metric=metric, steps=steps, band_s=band_s, transpose=transpose,
              subsequence=subsequence, offset_s=frames_seed, ref_t0=fr.t0, other_t0=fo.t0,
              max_contrast=max_contrast, onsets=onsets, spans=spans, **extra)  # fmt: skip
    ref_audio = None if ar is None else (ar.meta.t0, ar.duration_s)
    return WarpJob(wp, fr, fo, ref_audio, seed)


def _clip(span: tuple[int, int], n: int) -> tuple[int, int]:
    a, b = min(span[0], n - 1), min(span[1], n)
    return a, max(b, a + 1)


def _analyse(y, sr: int, name: str, *, kinds: str, rate: float):
    """What each decode worker computes while it holds the samples: the checks (silence, a steady tone), the
    features and the sounding span (picklable results)."""
    from ..alignment.xcorr import prepare
    from ..features.music import music_features, sounding_span

    prepare(y, sr, name)  # silence, a steady tone (DC) or a blip: AlignmentError (exit 4) with the reason
    return music_features(y, sr, rate, kinds), sounding_span(y, sr, rate)


def _warm_kernels() -> None:
    """Load the DTW kernels (numba, from its cache) while the workers decode: ~0.4 s otherwise spent after."""
    import numpy as np

    from ..alignment.dtw import dtw

    x = np.ones((2, 3))
    dtw(x, x, onsets=(x, x))


def _load(ref: Path, other: Path, kinds: str, rate: float, progress):
    """``(Features, sounding span or None, DecodedAudio or None)`` of each input: audio decoded and analysed
    (in two worker processes when long enough), or a saved ``.npy`` feature matrix."""
    import numpy as np

    from ..exceptions import InputError, ParameterError, SyncmmError
    from ..media import probe
    from ..media.pool import DecodedAudio, close_all, decode_many
    from ..types import Features

    out: list = [None, None]
    jobs, where = [], []
    for i, (path, stage) in enumerate(((ref, "decode REF"), (other, "decode OTHER"))):
        if path.suffix.lower() == ".npy":
            try:
                X = np.load(path, allow_pickle=False)
            except (OSError, ValueError) as e:
                raise InputError(f"{path}: cannot read the feature matrix ({e})") from e
            if X.ndim != 2:
                raise ParameterError(f"{path}: a feature matrix must have shape (d, N), not {X.shape}")
            out[i] = (Features(X=X, rate=rate, t0=0.0, names=()), None, None)
        else:
            jobs.append((str(path), probe(path), None, stage))
            where.append(i)
    if jobs:
        sr = next((s for s in ANALYSIS_RATES if abs(s / rate - round(s / rate)) < 1e-9), None)
        if sr is None:
            raise ParameterError(f"--rate {rate:g} divides none of {', '.join(map(str, ANALYSIS_RATES))} Hz")
        parallel = (len(jobs) == 2 and (os.cpu_count() or 1) > 1
                    and sum(j[1].duration_s or 0.0 for j in jobs) > PARALLEL_ABOVE_S)  # fmt: skip
        if parallel:  # what both workers need, imported once before the fork instead of once in each
            import scipy.ndimage  # noqa: F401

            from ..alignment import xcorr  # noqa: F401
            from ..features import music  # noqa: F401
            from ..media import audio  # noqa: F401
        decoded = decode_many(jobs, sr, parallel, progress, analyse=partial(_analyse, kinds=kinds, rate=rate),
                              while_waiting=_warm_kernels)  # fmt: skip
        bad = next((d for d in decoded if isinstance(d, SyncmmError)), None)
        if bad is not None:
            close_all([d for d in decoded if isinstance(d, DecodedAudio)])
            raise bad
        for i, d in zip(where, decoded, strict=True):
            F, span = d.analysis
            out[i] = (replace(F, t0=d.meta.t0), span, d)
    return out


def check_render_target(path: str | os.PathLike) -> None:
    """Refuse (ParameterError) a ``--render`` file whose container cannot hold audio, before any work."""
    from ..media.write import check_audio_container

    check_audio_container(path)


def render(job: WarpJob, ref, other, out: str | os.PathLike, overwrite: bool) -> None:
    """OTHER's audio (its own rate and channels) resampled along the map onto REF's timeline, written to
    ``out`` through the output gate."""
    import numpy as np

    from ..dsp.resample import resample_at
    from ..media.reader import AudioReader
    from ..media.write import write_audio
    from ..outputs import atomic_output

    wp = job.path
    with AudioReader(other) as r:
        y = np.concatenate(list(r.chunks()), axis=1)
        sr, t0 = r.rate, r.t0 or 0.0
    start, ref_dur = job.ref_audio if job.ref_audio is not None else (wp.ref_t0, wp.n_ref / wp.rate)
    n = int(round(ref_dur * sr))

    def blocks():
        for a in range(0, n, sr * 10):
            t = start + np.arange(a, min(a + sr * 10, n)) / sr
            yield np.atleast_2d(resample_at(y if len(y) > 1 else y[0], (wp.other_time(t) - t0) * sr))

    with atomic_output(out, [ref, other], overwrite) as tmp:
        write_audio(tmp, blocks(), sr)

"""The ``warp`` job: features of two files (or two saved feature matrices), the DTW time map, and OTHER's audio
rendered along the map onto REF's timeline."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Audio rate for the features: the first of these that the frame rate divides (12 kHz keeps pitches to 5 kHz).
ANALYSIS_RATES = (12000, 22050, 24000, 16000, 20000)


@dataclass(frozen=True, eq=False)
class WarpJob:
    """The time map and what it was computed from: REF's and OTHER's features, REF's decoded audio (None for
    a ``.npy`` input) and the offset that seeded the search (None: none), in seconds between the files."""

    path: object  # syncmm.types.WarpPath
    ref_features: object  # syncmm.types.Features
    other_features: object
    ref_signal: object | None  # syncmm.types.Signal
    seed_offset_s: float | None


def warp_files(
    ref: str | os.PathLike,
    other: str | os.PathLike,
    *,
    features: str,
    rate: float,
    metric: str,
    steps: str,
    band_s: float,
    transpose: str | int | None,
    subsequence: bool,
    offset: float | str | None,
    max_contrast: float,
    progress=None,
) -> WarpJob:
    """Features of both inputs, an optional seed offset (``"auto"``: the coarse onset stage), then
    :func:`syncmm.alignment.dtw.warp`.

    Raises
    ------
    ParameterError
        ``offset="auto"`` with a ``.npy`` input; a rate no analysis rate is a multiple of.
    AlignmentError
        Silence, a steady tone, or a path no better than chance (exit 4).
    """
    from ..alignment.dtw import warp
    from ..exceptions import ParameterError

    if progress:
        progress("features", 0.0, None)
    fr, sig_r = load_features(Path(ref), features, rate)
    fo, sig_o = load_features(Path(other), features, rate)
    if progress:
        progress("warp", 0.0, None)
    seed = None if offset in (None, "auto") else float(offset)  # type: ignore[arg-type]
    if offset == "auto":
        if sig_r is None or sig_o is None:
            raise ParameterError("--offset: 'auto' needs audio inputs; give the offset in seconds")
        from ..alignment.xcorr import estimate_offset

        # a seed only needs to be within the search radius: the coarse (onset) stage, whatever its confidence
        est = estimate_offset(sig_r.y, sig_o.y, sig_r.sr, t0_x=sig_r.t0, t0_y=sig_o.t0, method="coarse",
                              min_confidence=0.0)  # fmt: skip
        seed = est.offset_s
    frames_seed = None if seed is None else seed - fr.t0 + fo.t0  # warp() works from each input's first frame
    wp = warp(fr.X, fo.X, rate, metric=metric, steps=steps, band_s=band_s, transpose=transpose,
              subsequence=subsequence, offset_s=frames_seed, ref_t0=fr.t0, other_t0=fo.t0,
              max_contrast=max_contrast)  # fmt: skip
    return WarpJob(wp, fr, fo, sig_r, seed)


def load_features(path: Path, kinds: str, rate: float):
    """``(Features, Signal)`` of an audio file at ``rate`` frames/s, or ``(Features, None)`` of a saved ``.npy``
    feature matrix (shape ``(d, N)``)."""
    import numpy as np

    from ..exceptions import InputError, ParameterError
    from ..types import Features

    if path.suffix.lower() == ".npy":
        try:
            X = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise InputError(f"{path}: cannot read the feature matrix ({e})") from e
        if X.ndim != 2:
            raise ParameterError(f"{path}: a feature matrix must have shape (d, N), not {X.shape}")
        return Features(X=X, rate=rate, t0=0.0, names=()), None
    from ..alignment.xcorr import prepare
    from ..features.music import music_features
    from ..media import load_audio

    sr = next((s for s in ANALYSIS_RATES if abs(s / rate - round(s / rate)) < 1e-9), None)
    if sr is None:
        raise ParameterError(f"--rate {rate:g} divides none of {', '.join(map(str, ANALYSIS_RATES))} Hz")
    sig = load_audio(path, sr)
    prepare(sig.y, sr, str(path))  # silence, a steady tone (DC) or a blip: AlignmentError (exit 4) with the reason
    return music_features(sig.y, sr, rate, kinds, t0=sig.t0), sig


def check_render_target(path: str | os.PathLike) -> None:
    """Refuse (ParameterError) a ``--render`` file whose container cannot hold audio, before any work."""
    from ..media.write import check_audio_container

    check_audio_container(path)


def render(job: WarpJob, ref, other, out: str | os.PathLike, overwrite: bool) -> None:
    """OTHER's audio (its own rate and channels) resampled along the map onto REF's timeline, written to
    ``out`` through the output gate."""
    import numpy as np

    from ..dsp.resample import resample_at
    from ..media.audio import AudioReader
    from ..media.write import write_audio
    from ..outputs import atomic_output

    wp, sig_r = job.path, job.ref_signal
    with AudioReader(other) as r:
        y = np.concatenate(list(r.chunks()), axis=1)
        sr, t0 = r.rate, r.t0 or 0.0
    ref_dur = len(sig_r.y) / sig_r.sr if sig_r is not None else wp.n_ref / wp.rate
    n = int(round(ref_dur * sr))
    start = sig_r.t0 if sig_r is not None else wp.ref_t0

    def blocks():
        for a in range(0, n, sr * 10):
            t = start + np.arange(a, min(a + sr * 10, n)) / sr
            yield np.atleast_2d(resample_at(y if len(y) > 1 else y[0], (wp.other_time(t) - t0) * sr))

    with atomic_output(out, [ref, other], overwrite) as tmp:
        write_audio(tmp, blocks(), sr)

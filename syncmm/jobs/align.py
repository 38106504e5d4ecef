"""Paths in, SyncResult out: the media layer decodes, the core estimates.

Long inputs are decoded in worker processes, one per file and in parallel, and each worker also computes
its file's coarse features while it has the samples at hand.  The parent receives only the features
(about 3 MB per hour) and reads the short windows the fine and drift stages need from the memory the
workers decoded into (shared, :mod:`syncmm.media.pool`), so the waveforms are never copied between
processes and the parent's own memory stays small.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ..alignment.drift import offset_and_drift
from ..alignment.timeline import solve_timeline
from ..alignment.xcorr import Prepared, PrepareStream, prepare
from ..exceptions import AlignmentError, ParameterError, SyncmmError
from ..media.pool import DecodedAudio, close_all, decode_many
from ..media.split import split_plan
from ..options import AlignOptions
from ..types import Features, MediaInfo, MulticamResult, PairOffset, SyncResult

StageFn = Callable[[str, float, float | None], None]

#: Above this combined duration (seconds), files are decoded in parallel worker processes.
PARALLEL_ABOVE_S = 90.0
HOP_S = 0.01


def _analyse(y: np.ndarray, sr: int, name: str) -> Prepared:
    """What each decode worker computes while it holds the samples: the coarse features (picklable)."""
    return prepare(y, sr, name, HOP_S)


def _streamed(sr: int, name: str) -> PrepareStream:
    """The same, made in this process as a worker's samples arrive (once a core is free)."""
    return PrepareStream(sr, name, HOP_S)


def _align_decoded(ref: DecodedAudio, oth: DecodedAudio, sr: int, drift: bool | None = None, **options) -> SyncResult:
    est, drift_est = offset_and_drift(ref, oth, sr, t0_x=ref.meta.t0, t0_y=oth.meta.t0,
                                      prepared=(ref.analysis, oth.analysis), drift=drift, **options)  # fmt: skip
    return SyncResult(
        ref=ref.info,
        other=oth.info,
        ref_stream=ref.meta.stream_index if ref.meta.stream_index is not None else -1,
        other_stream=oth.meta.stream_index if oth.meta.stream_index is not None else -1,
        estimate=est,
        ref_t0=ref.meta.t0,
        other_t0=oth.meta.t0,
        ref_signal_duration_s=ref.duration_s,
        other_signal_duration_s=oth.duration_s,
        drift=drift_est,
        input_warnings=ref.meta.warnings + oth.meta.warnings,
    )


def align_many(
    ref: str | os.PathLike,
    others: Sequence[str | os.PathLike],
    options: AlignOptions | None = None,
    *,
    parallel: bool | None = None,
    progress: StageFn | None = None,
    keep_curve: bool = False,
    **overrides: Any,
) -> Iterator[SyncResult | SyncmmError]:
    """Align each of ``others`` to ``ref``, decoding REF once.

    Yields a :class:`SyncResult` per OTHER, or the :class:`SyncmmError` that OTHER raised (so one bad
    file does not stop the rest).  Errors of REF itself are raised.  Options as in :func:`align`;
    ``keep_curve`` keeps the correlation curve in each estimate (for plots).
    """
    from ..media import probe

    o = AlignOptions.of(options, **overrides)
    sr = o.sr
    ref_info = probe(ref)
    options_kw = dict(o.keywords("max_offset", "min_overlap", "method", "fine_window", "min_confidence", "drift"),
                      keep_curve=keep_curve)  # fmt: skip
    ref_audio: DecodedAudio | None = None
    try:
        for k, other in enumerate(others):
            try:
                other_info = probe(other)
            except SyncmmError as e:
                yield e
                continue
            jobs = [] if ref_audio is not None else [(str(ref), ref_info, o.ref_stream, "decode REF")]
            jobs.append((str(other), other_info, o.other_stream, "decode OTHER"))
            use_workers = parallel
            if use_workers is None:  # two files at once; or one (REF decoded already) split across two processes
                total = sum(j[1].duration_s or 0.0 for j in jobs)
                use_workers = total > PARALLEL_ABOVE_S and (os.cpu_count() or 1) > 1 and (
                    len(jobs) > 1 or split_plan([(j[1], j[2]) for j in jobs], sr) != [None])  # fmt: skip
            decoded = decode_many(jobs, sr, use_workers, progress, o.allow_damaged, analyse=_analyse,
                                  streamed=_streamed)  # fmt: skip
            if ref_audio is None:
                if isinstance(decoded[0], SyncmmError):
                    close_all([d for d in decoded[1:] if isinstance(d, DecodedAudio)])
                    raise decoded[0]
                ref_audio = decoded[0]
            oth = decoded[-1]
            if isinstance(oth, SyncmmError):
                yield oth
                continue
            try:
                if progress:
                    progress("align", 0.0, None)
                yield _align_decoded(ref_audio, oth, sr, **options_kw)
            except SyncmmError as e:
                yield e
            finally:
                if k == len(others) - 1:  # the last: REF's worker ends with it
                    close_all([oth, ref_audio])
                    ref_audio = None
                else:
                    oth.close()
    finally:
        if ref_audio is not None:
            ref_audio.close()


def align(
    ref: str | os.PathLike,
    other: str | os.PathLike,
    options: AlignOptions | None = None,
    *,
    parallel: bool | None = None,
    progress: StageFn | None = None,
    **overrides: Any,
) -> SyncResult:
    """Align the audio of ``other`` to the audio of ``ref``.

    Parameters
    ----------
    ref, other : str or PathLike
        Media files (any format FFmpeg reads).  ``offset_s`` is ``t_ref - t_other`` of the same event.
    options : AlignOptions, optional
        The align options whole (:class:`syncmm.options.AlignOptions`); any of them can also be given, or
        overridden, as a keyword, as below.
    ref_stream, other_stream : int, optional
        Audio stream of each (counting audio streams from 0; default the first).
    sr : int
        Analysis sample rate in Hz.
    max_offset, min_overlap, method, fine_window, min_confidence
        See :func:`syncmm.estimate_offset`.
    drift : bool, optional
        Measure clock drift and discontinuities in windows along the overlap (default: when the overlap
        is at least 60 s).  Then ``offset_s`` is the fitted offset at OTHER's time zero and
        ``result.drift`` holds the drift, the windows and the discontinuities.
    parallel : bool, optional
        Decode the two files in parallel worker processes; default: when they are longer than 90 s together
        (and, once REF is decoded, an OTHER alone when it is split across two processes).
    progress : callable, optional
        ``progress(stage, done_s, total_s)`` with stage ``"decode REF"``, ``"decode OTHER"``, ``"align"``.
    allow_damaged : bool
        Use inputs that lost more than 1 % of their audio to damage or truncation (refused otherwise: exit 3).

    Returns
    -------
    SyncResult

    Raises
    ------
    InputError, DecodeError, NoStreamError
        An input cannot be read or has no such audio stream (exit 3).
    AlignmentError
        No reliable alignment: no shared content, silence, too little content (exit 4).
    """
    (res,) = align_many(ref, [other], options, parallel=parallel, progress=progress, **overrides)
    if isinstance(res, SyncmmError):
        raise res
    return res


def _motion(path, stream: int | None, width: int, progress: StageFn | None, stage: str):
    from ..features.visual import motion_energy, motion_features
    from ..media.video import VideoReader

    with VideoReader(path, width=width, stream=stream) as r:
        total = None
        if r.stream.duration is not None and r.stream.time_base is not None:
            total = float(r.stream.duration * r.stream.time_base)

        def frames():
            last = -10.0
            for t, f in r.frames():
                if progress is not None and t - last >= 5.0:
                    last = t
                    progress(stage, max(t, 0.0), total)
                yield t, f

        times, M = motion_energy(frames())
        return motion_features(times, M, key_times=r.key_times), r.info.stream_index


def video_motion(path: str | os.PathLike, *, stream: int | None = None, width: int = 160,
                 progress: StageFn | None = None) -> Features:  # fmt: skip
    """The motion features of a file's video (as ``align --features motion`` uses them); stage ``"motion"``."""
    return _motion(path, stream, width, progress, "motion")[0]


def align_many_motion(
    ref: str | os.PathLike,
    others: Sequence[str | os.PathLike],
    options: AlignOptions | None = None,
    *,
    width: int = 160,
    progress: StageFn | None = None,
    keep_curve: bool = False,
    **overrides: Any,
) -> Iterator[SyncResult | SyncmmError]:
    """Like :func:`align_many`, from the pictures: motion energy in a 4x4 grid of each video, cross-correlated.

    For cameras that recorded no usable audio.  Streams count video streams from 0.  The offset is sub-frame
    (parabolic peak on a 100 Hz grid interpolated between each file's own frame times).
    """
    from ..alignment.xcorr import estimate_offset_features
    from ..media import probe

    o = AlignOptions.of(options, **overrides)
    ref_info = probe(ref)
    A, a_idx = _motion(ref, o.ref_stream, width, progress, "motion REF")
    for other in others:
        try:
            info = probe(other)
            B, b_idx = _motion(other, o.other_stream, width, progress, "motion OTHER")
            est = estimate_offset_features(A, B, max_offset=o.max_offset, min_overlap=o.min_overlap,
                                           min_confidence=o.min_confidence, method="motion-xcorr",
                                           keep_curve=keep_curve)  # fmt: skip
        except SyncmmError as e:
            yield e
            continue
        yield SyncResult(
            ref=ref_info, other=info, ref_stream=a_idx, other_stream=b_idx, estimate=est, ref_t0=A.t0,
            other_t0=B.t0, ref_signal_duration_s=A.X.shape[1] / A.rate, other_signal_duration_s=B.X.shape[1] / B.rate,
        )  # fmt: skip


def align_timeline(
    paths: Sequence[str | os.PathLike],
    options: AlignOptions | None = None,
    *,
    stream: int | None = None,
    parallel: bool | None = None,
    progress: StageFn | None = None,
    **overrides: Any,
) -> MulticamResult:
    """Place several recordings of one event on the timeline of the first (multicam).

    Every pair of files is aligned (each decoded once); the offsets found are made consistent by a
    confidence-weighted least-squares fit over the pair graph (:func:`~syncmm.alignment.timeline.solve_timeline`),
    so a camera that shares no sound with REF is placed through the cameras it does share sound with.
    Drift is not modelled here: each placement is the file's time zero on REF's timeline.

    Parameters
    ----------
    paths : sequence of str or PathLike
        REF first, then the others (at least two in all).
    options, sr, max_offset, min_overlap, method, fine_window, min_confidence, parallel, progress
        As in :func:`align` (drift and the per-file streams do not apply); progress stages ``"decode"`` and
        ``"align pairs"`` (done/total in pairs).
    stream : int, optional
        Audio stream of every file (default the first).

    Returns
    -------
    MulticamResult

    Raises
    ------
    InputError, DecodeError, NoStreamError
        REF itself cannot be read (the others' errors are in the result).
    """
    from ..media import probe

    o = AlignOptions.of(options, **overrides)
    sr = o.sr
    paths = [str(p) for p in paths]
    if len(paths) < 2:
        raise ParameterError("a timeline needs REF and at least one other file")
    infos: list[MediaInfo | None] = []
    errors: list[SyncmmError | None] = []
    for p in paths:
        try:
            infos.append(probe(p))
            errors.append(None)
        except SyncmmError as e:
            if not infos:
                raise
            infos.append(None)
            errors.append(e)
    jobs = [(p, info, stream, f"decode {os.path.basename(p)}") for p, info in zip(paths, infos, strict=True) if info]
    if parallel is None:
        parallel = sum(j[1].duration_s or 0.0 for j in jobs) > PARALLEL_ABOVE_S and (os.cpu_count() or 1) > 1
    got = decode_many(jobs, sr, parallel, progress, analyse=_analyse, streamed=_streamed)
    decoded = iter(got)
    audio: list[DecodedAudio | None] = []
    for i, info in enumerate(infos):
        d = next(decoded) if info is not None else None
        if isinstance(d, SyncmmError):
            if i == 0:  # (every other file's worker is let go too)
                close_all([a for a in got if isinstance(a, DecodedAudio)])
                raise d
            errors[i], d = d, None
        audio.append(d)
    options_kw = o.keywords("max_offset", "min_overlap", "method", "fine_window", "min_confidence")
    results: list[tuple[int, int, SyncResult]] = []
    try:
        todo = [(a, b) for a in range(len(paths)) for b in range(a + 1, len(paths)) if audio[a] and audio[b]]
        for k, (a, b) in enumerate(todo):
            if progress:
                progress("align pairs", k, len(todo))
            try:
                results.append((a, b, _align_decoded(audio[a], audio[b], sr, drift=False, **options_kw)))
            except AlignmentError:
                continue  # these two share no (reliable) content: no edge
    finally:
        close_all(audio)
    pairs = [PairOffset(a, b, r.offset_s, r.confidence) for a, b, r in results]
    tl = solve_timeline(len(paths), pairs, ref=0)
    return MulticamResult(tuple(paths), tuple(infos), tuple(errors), tuple(results), tl)

"""The ``check`` job: a file's own A/V sync from its speaker's lips (decode, faces, sound features, the
estimate of :mod:`syncmm.alignment.lipsync` for each face, the speaking one chosen)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace

StageFn = Callable[[str, float, "float | None"], None]
MIN_TRACK_S = 2.0  # faces seen for less than this are not candidates for the speaker


def estimate_speaker(tracks, speech, *, max_offset: float = 1.0, method: str = "cca", **kw):
    """The estimate of the face whose mouth follows the sound best (the active speaker).

    ``tracks`` are :class:`~syncmm.features.lips.FaceTrack`; ``speech`` :class:`~syncmm.features.speech.
    SpeechFeatures`.  Returns the :class:`~.lipsync.LipSyncEstimate` with ``face`` = the track's index and
    ``extra["faces"]`` = the number of candidate faces; raises the best candidate's AlignmentError when none
    is decided.
    """
    import numpy as np

    from ..alignment.lipsync import estimate_av_offset
    from ..exceptions import AlignmentError
    from ..features.lips import mouth_features

    cands = [i for i, t in enumerate(tracks) if t.seconds >= MIN_TRACK_S] or ([0] if tracks else [])
    if not cands:
        raise AlignmentError("no face found in the picture: lip sync cannot be measured")
    sound = np.column_stack([speech.mel, speech.envelope])
    best, best_err = None, None
    for i in cands:
        tr = tracks[i]
        try:
            est = estimate_av_offset(tr.times, mouth_features(tr), speech.times, sound, max_offset=max_offset,
                                     method=method, speech_active=speech.active, **kw)  # fmt: skip
        except AlignmentError as e:
            if best_err is None or _strength(e) > _strength(best_err):
                best_err = e
                if getattr(e, "estimate", None) is not None:
                    e.estimate = replace(e.estimate, face=i, extra=_where(tr, len(cands)))
            continue
        if best is None or est.strength > best.strength:
            best = replace(est, face=i, extra=_where(tr, len(cands)))
    if best is None:
        assert best_err is not None
        raise best_err
    return best


def _strength(e) -> float:
    est = getattr(e, "estimate", None)
    return est.strength if est is not None else -1.0


def _where(tr, n: int) -> dict:
    seen = tr.times[tr.present]
    return {"faces": n, "box": [round(v, 1) for v in tr.box()], "start_s": float(seen[0]), "end_s": float(seen[-1])}


def measure_lipsync(
    path: str | os.PathLike,
    *,
    max_offset: float = 1.0,
    width: int = 640,
    method: str = "cca",
    progress: StageFn | None = None,
):
    """The A/V offset of one file from its speaker's lips (see :mod:`syncmm.alignment.lipsync`).

    Returns ``(LipSyncEstimate, MediaInfo)``.  Raises NoStreamError (exit 3) without audio or video,
    AlignmentError (exit 4) without a face or speech.
    """
    from ..features.lips import track_faces
    from ..features.speech import speech_features
    from ..media import load_audio, probe
    from ..media.video import VideoReader

    info = probe(path)
    if not info.audio_streams:
        from ..exceptions import NoStreamError

        raise NoStreamError(f"{path}: has no audio stream: lip sync needs the sound")
    native = next((s.width for s in info.video_streams if s.width), width)
    w = min(width, native)
    from concurrent.futures import ThreadPoolExecutor

    def sound():
        sig = load_audio(path, 16000)
        return speech_features(sig.y, sig.sr, sig.t0)

    # the sound is decoded and analysed on the other core while the faces are tracked (both release the GIL)
    with ThreadPoolExecutor(1) as pool:
        speech = pool.submit(sound)
        with VideoReader(path, width=w - w % 2, pix_fmt="rgb24") as r:
            total = float(r.stream.duration * r.stream.time_base) if r.stream.duration else None

            def frames():
                last = -10.0
                for t, f in r.frames():
                    if progress is not None and t - last >= 2.0:
                        last = t
                        progress("faces", max(t, 0.0), total)
                    yield t, f

            tracks = track_faces(frames())
        speech = speech.result()
    return estimate_speaker(tracks, speech, max_offset=max_offset, method=method), info


def tolerance(est, tolerance_s: float) -> dict:
    """The ``checks.tolerance`` entry of a check: passed when the whole-file offset and every decided window
    a neighbouring window confirms are within ``tolerance_s`` (one window alone is not enough evidence)."""
    from ..alignment.lipsync_windows import confirmed_out_of

    out = confirmed_out_of(est.segments, tolerance_s)
    d = {"passed": abs(est.offset_s) <= tolerance_s and not out, "tolerance_s": tolerance_s}
    if out:
        d["windows_out"] = [[round(g.start_s, 2), round(g.end_s, 2)] for g in out]
    return d

"""The ``selftest`` job: perturb a user's own recording by known amounts and measure every method on it."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

StageFn = Callable[[str, float, "float | None"], None]


def run_selftest(
    file: str | os.PathLike,
    *,
    trials: int,
    methods: Sequence[str] | None,
    stream: int | None,
    seed: int,
    progress: StageFn | None = None,
):
    """Decode ``file`` (sound and/or picture motion, as the methods need) and run
    :func:`syncmm.alignment.selftest.selftest` on it.

    Returns ``(SelftestResult, frame_note)``: the note says which frame rate "within 1 frame" uses.

    Raises
    ------
    ParameterError
        An unknown method.
    NoStreamError
        The file lacks the stream a method needs (or both).
    """
    from fractions import Fraction

    from ..alignment.selftest import METHODS, selftest
    from ..exceptions import NoStreamError, ParameterError
    from ..media import load_audio, probe
    from ..media.write import reencode

    names = None if methods is None else list(methods)
    if names is not None and (not names or any(m not in METHODS for m in names)):
        raise ParameterError(f"--methods: use a comma-separated list of {', '.join(METHODS)}")
    info = probe(file)
    video = next((s for s in info.video_streams if s.frame_rate), None)
    has_audio = bool(info.audio_streams)
    if names is None:
        names = [m for m in METHODS if (m == "motion" and video is not None) or (m != "motion" and has_audio)]
    elif "motion" in names and video is None:
        raise NoStreamError(f"{file}: has no video stream for --methods motion")
    elif not has_audio and any(m != "motion" for m in names):
        raise NoStreamError(f"{file}: has no sound (no audio stream): use --methods motion")
    if not names:
        raise NoStreamError(f"{file}: has neither sound nor pictures to test")
    rate = Fraction(video.frame_rate) if video else Fraction(25)
    note = f"{float(rate):.3g} fps (" + ("the file's video)" if video else "no video: 25 fps assumed)")
    sr = 16000
    if progress:
        progress("decode", 0.0, None)
    sig = load_audio(file, sr, stream=stream) if any(m != "motion" for m in names) else None
    motion = None
    if "motion" in names:
        from .align import video_motion

        motion = video_motion(file, progress=progress)
    cb = (lambda k, n: progress("trials", k, n)) if progress else None
    res = selftest(None if sig is None else sig.y, sr, trials=trials, methods=names, frame_s=float(1 / rate),
                   reencode=reencode, seed=seed, progress=cb, motion=motion)  # fmt: skip
    return res, note

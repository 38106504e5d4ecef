"""Probe a media file: container, duration, streams and their start times."""

from __future__ import annotations

import os

from ..types import MediaInfo, StreamInfo
from ._open import open_container


def _seconds(value, time_base) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def probe(path: str | os.PathLike) -> MediaInfo:
    """Describe a media file.

    Parameters
    ----------
    path : str or PathLike
        The file.

    Returns
    -------
    MediaInfo

    Raises
    ------
    InputError, DecodeError
        If the file cannot be opened as media.
    """
    with open_container(path) as c:
        return info_from_container(c, path)


def info_from_container(c, path) -> MediaInfo:
    """Build a :class:`MediaInfo` from an open PyAV container."""
    streams = []
    for s in c.streams:
        cc = s.codec_context  # None where FFmpeg has no decoder for it (an unknown or damaged codec id)
        kw = {}
        if cc is None:
            pass
        elif s.type == "audio":
            kw = {"sample_rate": cc.sample_rate or None, "channels": cc.channels or None}
        elif s.type == "video":
            rate = s.average_rate or s.guessed_rate
            kw = {
                "frame_rate": f"{rate.numerator}/{rate.denominator}" if rate else None,
                "width": cc.width or None,
                "height": cc.height or None,
            }
        streams.append(
            StreamInfo(
                index=s.index,
                type=s.type,
                codec=cc.name if cc is not None else "?",
                start_time_s=_seconds(s.start_time, s.time_base),
                duration_s=_seconds(s.duration, s.time_base),
                **kw,
            )
        )
    dur = c.duration / 1e6 if c.duration is not None else None
    start = c.start_time / 1e6 if c.start_time is not None else None
    return MediaInfo(
        path=str(path),
        format=c.format.name,
        duration_s=dur,
        start_time_s=start,
        size_bytes=os.path.getsize(path),
        streams=tuple(streams),
    )

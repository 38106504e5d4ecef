"""Open a container with checks that turn every failure into a one-line, actionable error; where its
timeline starts."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from ..exceptions import DecodeError, InputError


def check_readable(path: str | os.PathLike) -> Path:
    """Raise :class:`InputError` unless ``path`` is an existing, non-empty, readable regular file."""
    p = Path(path)
    if not p.exists():
        if p.is_symlink():
            try:
                os.stat(p)
            except OSError as e:
                if e.errno == errno.ELOOP:
                    raise InputError(f"{p}: symbolic link loop (the link leads back to itself)") from None
            raise InputError(f"{p}: broken symbolic link (it points to {os.readlink(p)}, which does not exist)")
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a media file")
    if not p.is_file():
        raise InputError(f"{p}: not a regular file")
    if not os.access(p, os.R_OK):
        raise InputError(f"{p}: permission denied")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: file is empty")
    return p


def require_decoder(stream, path: str | os.PathLike) -> None:
    """Raise :class:`DecodeError` when FFmpeg has no decoder for ``stream`` (an unknown or damaged codec id)."""
    if stream.codec_context is None:
        raise DecodeError(f"{path}: stream {stream.index} cannot be decoded (unknown or damaged codec)")


def open_container(path: str | os.PathLike):
    """Open ``path`` for reading with PyAV.

    Raises
    ------
    InputError
        Missing, a directory, empty, unreadable.
    DecodeError
        Not a media file PyAV/FFmpeg can read (wrong content, truncated header...).
    """
    import av

    p = check_readable(path)
    try:
        return av.open(str(p), mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as e:
        reason = getattr(e, "strerror", None) or str(e)
        raise DecodeError(f"{p}: cannot be read as media ({reason}); is it truncated or not a media file?") from e
    except (OSError, UnicodeDecodeError) as e:
        raise DecodeError(f"{p}: cannot be read as media ({e})") from e


#: Containers whose timestamps are a presentation timeline that starts at zero by specification: a stream
#: that starts later (an empty edit in MP4, a later first block in Matroska) really does start later.
_TIMELINE_FORMATS = ("mov", "mp4", "matroska", "webm", "ogg", "avi", "nut", "flv", "asf")
#: Containers whose timestamps come from a running clock (MPEG PS/TS): the origin is the container's start.
_CLOCK_FORMATS = ("mpeg", "mpegts", "mpegtsraw", "mpegvideo")


def _timeline_kind(format_name: str) -> str:
    names = set(format_name.split(","))
    if names & set(_TIMELINE_FORMATS):
        return "timeline"
    if names & set(_CLOCK_FORMATS):
        return "clock"
    return "raw"


def timeline_origin(container) -> float:
    """Where time 0 of a file's timeline is on its streams' clock: the container's start time for formats
    whose timestamps are a transmission clock (MPEG-TS/PS: ``"clock"``), else 0 (MP4/MOV/Matroska keep their
    streams' own times; raw streams start at 0).  The one place this rule lives."""
    if _timeline_kind(container.format.name) == "clock" and container.start_time:
        return container.start_time / 1e6
    return 0.0

"""Open a container with checks that turn every failure into a one-line, actionable error."""

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

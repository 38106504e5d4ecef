"""What decoding found wrong with a stream: undecodable packets, frames unlike the stream, truncation.

A stream that lost more than :data:`DAMAGE_MAX_SHARE` of its duration (or :data:`DAMAGE_MAX_S` seconds) is refused
(:class:`~syncmm.exceptions.DecodeError`, exit 3) unless allowed; less is a warning in the report.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from ..exceptions import DecodeError

DAMAGE_MAX_SHARE = 0.01
DAMAGE_MAX_S = 5.0
#: Containers whose duration comes from a header written after the audio (sample counts, an index): a file
#: that decodes shorter than that was cut.  Raw streams (ADTS, MP3 without a Xing/Info header, MPEG-TS) only
#: have FFmpeg's estimate from the bit rate, which can be far off: no truncation check for them.
_DECLARING_FORMATS = ("flac", "mov", "mp4", "matroska", "webm")


@dataclass
class Damage:
    """Counters kept while a stream decodes (mutable: the decoder fills them in)."""

    declared_s: float | None = None  # what the file's own header says, where it says it
    errors: int = 0  # packets that did not decode
    dropped_frames: int = 0  # frames unlike their stream (a damaged header read as another rate or layout)
    lost_s: float = 0.0  # seconds lost to all of it, truncation included
    truncated_s: float = 0.0
    missing_start_s: float = 0.0  # a raw stream whose first packet is not at 0
    decoded_s: float = 0.0

    def finish(self, decoded_s: float, t0: float) -> None:
        """Record the decoded length; a stream shorter than its header declares was truncated."""
        self.decoded_s = decoded_s
        if self.declared_s:
            short = self.declared_s - (t0 + decoded_s)
            if short > max(0.5, 0.02 * self.declared_s):
                self.lost_s += short
                self.truncated_s = short

    def describe(self) -> str | None:
        """What decoding found wrong, in one sentence (None when nothing)."""
        parts = []
        if self.errors:
            parts.append(f"{self.errors} undecodable packet{'s' if self.errors > 1 else ''}")
        if self.dropped_frames:
            parts.append(f"{self.dropped_frames} frame{'s' if self.dropped_frames > 1 else ''} unlike the stream")
        if self.missing_start_s:
            parts.append(f"the first {self.missing_start_s:.3f} s missing")
        if self.truncated_s:
            parts.append(f"truncated: {self.decoded_s:.1f} s decoded of the {self.declared_s:.1f} s the file declares")
        if not parts:
            return None
        return f"damaged audio ({', '.join(parts)}; {self.lost_s:.2f} s lost)"

    def check(self, path: str | os.PathLike, allow: bool) -> str | None:
        """The warning (None when nothing is wrong).

        Raises
        ------
        DecodeError
            More than :data:`DAMAGE_MAX_SHARE` (or :data:`DAMAGE_MAX_S`) was lost, and not ``allow``.
        """
        why = self.describe()
        if why is None:
            return None
        limit = min(DAMAGE_MAX_S, DAMAGE_MAX_SHARE * max(self.declared_s or 0.0, self.decoded_s))
        if self.lost_s > limit and not allow:
            raise DecodeError(f"{path}: {why}; --allow-damaged to use it anyway")
        return why


def declared_duration(format_name: str, path: str | os.PathLike, total_s: float | None) -> float | None:
    """The duration the file's own header declares, or None where FFmpeg could only estimate it."""
    names = set(format_name.split(","))
    if "wav" in names:
        return _wav_declared_s(path)
    if "mp3" in names:
        try:
            with open(path, "rb") as f:
                head = f.read(1 << 16)
        except OSError:
            return None
        return total_s if any(tag in head for tag in (b"Xing", b"Info", b"VBRI")) else None
    return total_s if names & set(_DECLARING_FORMATS) else None


def _wav_declared_s(path: str | os.PathLike) -> float | None:
    """Seconds a RIFF/WAVE header declares (its data chunk), or None (streamed WAVs leave the size open)."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            byte_rate = None
            for _ in range(64):
                ck = f.read(8)
                if len(ck) < 8:
                    return None
                cid, size = ck[:4], struct.unpack("<I", ck[4:])[0]
                if cid == b"fmt ":
                    fmt = f.read(size + (size & 1))
                    byte_rate = struct.unpack("<I", fmt[8:12])[0] if len(fmt) >= 12 else None
                elif cid == b"data":
                    if not byte_rate or size in (0, 0xFFFFFFFF):
                        return None
                    return size / byte_rate
                else:
                    f.seek(size + (size & 1), 1)
    except OSError:
        return None
    return None

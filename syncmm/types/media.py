"""What files hold and what decoding gives: streams, media, signals, and the SampleSource protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class StreamInfo:
    """One stream of a media file, as probed."""

    index: int
    type: str
    codec: str
    start_time_s: float | None
    duration_s: float | None
    sample_rate: int | None = None
    channels: int | None = None
    frame_rate: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class MediaInfo:
    """What a file holds: container, duration and streams."""

    path: str
    format: str
    duration_s: float | None
    start_time_s: float | None
    size_bytes: int
    streams: tuple[StreamInfo, ...]

    @property
    def audio_streams(self) -> tuple[StreamInfo, ...]:
        return tuple(s for s in self.streams if s.type == "audio")

    @property
    def video_streams(self) -> tuple[StreamInfo, ...]:
        return tuple(s for s in self.streams if s.type == "video")


@dataclass(frozen=True, eq=False)
class Signal:
    """Mono audio ``y`` (float32, shape ``(n,)``) at ``sr`` Hz whose first sample is at ``t0`` seconds.

    ``t0`` is on the file's own timeline (stream start time, priming removed), so that the time of
    sample ``i`` is ``t0 + i / sr``.
    """

    y: np.ndarray
    sr: int
    t0: float = 0.0
    source: str | None = None
    stream_index: int | None = None
    native_rate: int | None = None
    channels: int | None = None
    codec: str | None = None
    warnings: tuple[str, ...] = ()  # what decoding found wrong (damaged packets, truncation)

    @property
    def duration_s(self) -> float:
        return len(self.y) / self.sr


@runtime_checkable
class SampleSource(Protocol):
    """Mono samples the estimators read by slicing: a NumPy array, or a decoded file whose samples stay in a
    worker process (:class:`syncmm.media.pool.DecodedAudio`; reading it can raise DecodeError).

    Slicing rather than a ``read(a, b)`` method, so that a plain ``np.ndarray`` is a SampleSource as it is.
    """

    def __len__(self) -> int: ...

    def __getitem__(self, sl: slice, /) -> np.ndarray: ...

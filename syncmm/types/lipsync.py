"""Lip sync of a file: the estimate and its windows (made by :mod:`syncmm.alignment.lipsync`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class LipSegment:
    """One window's estimate: picture time range, offset (bias removed), confidence."""

    start_s: float
    end_s: float
    offset_s: float | None
    confidence: float


@dataclass(frozen=True, eq=False)
class LipSyncEstimate:
    """``offset_s`` (picture minus audio, bias removed), the raw peak, confidence and the evidence used.

    When the sync steps inside the file (``step_s`` is set), ``offset_s`` and ``confidence`` are those of the
    longest run of agreeing windows (its weakest window's confidence), not of the whole-file peak.
    """

    offset_s: float
    raw_offset_s: float
    bias_s: float
    confidence: float
    strength: float  # z = r * sqrt(face seconds), the statistic behind the confidence
    correlation: float  # cross-validated canonical correlation at the peak
    runner_up_offset_s: float | None
    face_s: float  # seconds with the face
    speech_s: float  # seconds with speech while the face is visible
    lags_s: np.ndarray
    curve: np.ndarray
    method: str = "cca"
    segments: tuple[LipSegment, ...] = ()
    step_s: float | None = None  # where the sync changes, when it does
    agree: bool = True  # the partner statistic peaks within 40 ms of this one
    confidence_words: str = ""  # the confidence in words (the core fills it in)
    threshold: float = 0.97  # the confidence a decision needs (the core sets it)
    face: int = 0  # which face track (the active speaker)
    # the evidence, for plots: the first canonical pair at the peak on the 100 Hz grid, the mouth's variate
    # (NaN without a face) and the sound's, read at t + lag (already moved by the raw offset)
    times: np.ndarray | None = None
    mouth: np.ndarray | None = None
    env_times: np.ndarray | None = None
    env: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    @property
    def decided(self) -> bool:
        """The confidence reaches the threshold."""
        return self.confidence >= self.threshold

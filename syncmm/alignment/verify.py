"""Check a corrected file: the residual offset between REF and OUT at the start and at the end."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import SyncmmError
from .xcorr import estimate_offset

_SILENT = 1e-4


@dataclass(frozen=True)
class Residual:
    """The offset ``t_REF - t_OUT`` measured in one window (``None`` with ``error`` when it failed)."""

    ref_start_s: float
    ref_end_s: float
    offset_s: float | None
    confidence: float | None
    error: str | None = None


@dataclass(frozen=True)
class Verification:
    """Residual offsets over the first and the last window of OUT's audio against REF."""

    start: Residual
    end: Residual
    tolerance_s: float

    @property
    def passed(self) -> bool:
        return all(r.offset_s is not None and abs(r.offset_s) <= self.tolerance_s for r in (self.start, self.end))


def verify_alignment(
    x: np.ndarray,
    y: np.ndarray,
    sr: int,
    *,
    t0_x: float = 0.0,
    t0_y: float = 0.0,
    window_s: float = 60.0,
    tolerance_s: float = 0.001,
    max_offset: float = 0.5,
) -> Verification:
    """Measure how well ``y`` (a corrected file's audio) lines up with ``x`` (REF) at both ends.

    Parameters
    ----------
    x, y : np.ndarray [shape=(n,)]
        REF's and OUT's audio, mono, at ``sr``.
    sr : int
        Sample rate.
    t0_x, t0_y : float
        Times of their first samples.
    window_s : float
        Length of each window: the first and the last ``window_s`` of the stretch where OUT has sound
        and REF exists (shorter stretches use halves).
    tolerance_s : float
        Largest residual for :attr:`Verification.passed`.
    max_offset : float
        Search range around zero.

    Returns
    -------
    Verification
    """
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    loud = np.flatnonzero(np.abs(y) > _SILENT)
    if len(loud) == 0:
        empty = Residual(t0_y, t0_y, None, None, "OUT is silent")
        return Verification(empty, empty, tolerance_s)
    a = max(t0_y + loud[0] / sr, t0_x)
    b = min(t0_y + (loud[-1] + 1) / sr, t0_x + len(x) / sr)
    w = min(window_s, max(0.0, b - a) / 2)

    def one(lo: float, hi: float) -> Residual:
        xs = x[max(0, int(round((lo - t0_x) * sr))) : max(0, int(round((hi - t0_x) * sr)))]
        ys = y[max(0, int(round((lo - t0_y) * sr))) : max(0, int(round((hi - t0_y) * sr)))]
        try:
            e = estimate_offset(xs, ys, sr, max_offset=max_offset, fine_window=min(30.0, hi - lo))
        except SyncmmError as err:
            return Residual(lo, hi, None, None, str(err))
        return Residual(lo, hi, e.offset_s, e.confidence)

    return Verification(one(a, a + w), one(b - w, b), tolerance_s)

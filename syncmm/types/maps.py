"""Time maps from REF to OTHER: the drift model (TimeMap) and the DTW path (WarpPath)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class TimeMap:
    """The drift model every report, writer and test uses: ``t_OTHER = (t_REF - offset_s) * (1 + drift_ppm * 1e-6)``.

    ``drift_ppm > 0``: OTHER's clock runs fast.  Works on floats and NumPy arrays alike.
    """

    offset_s: float
    drift_ppm: float = 0.0

    @property
    def ratio(self) -> float:
        """OTHER seconds per REF second."""
        return 1 + self.drift_ppm * 1e-6

    def other_time(self, t_ref):
        """OTHER's time of REF time ``t_ref``."""
        return (t_ref - self.offset_s) * self.ratio

    def ref_time(self, t_other):
        """REF's time of OTHER time ``t_other``."""
        return self.offset_s + t_other / self.ratio


@dataclass(frozen=True)
class DTWResult:
    """One DTW: the path (K, 2) of (REF frame, OTHER frame), its accumulated cost and the cells computed."""

    path: np.ndarray
    cost: float
    cells: int


@dataclass(frozen=True, eq=False)
class WarpPath:
    """A monotonic time map between REF and OTHER found by DTW.

    ``path`` is a (K, 2) int array of (REF frame, OTHER frame) pairs at ``rate`` frames/s; frame ``i`` of
    REF is at ``ref_t0 + i / rate`` (likewise OTHER).
    """

    path: np.ndarray
    rate: float
    cost: float
    n_ref: int
    n_other: int
    cells: int
    ref_t0: float = 0.0
    other_t0: float = 0.0
    scales: tuple[int, ...] = field(default=())
    chroma_shift: int = 0  # OTHER's pitch classes were rolled by this many bins (transposition)
    #: mean local cost along the path / mean local cost of the same REF frames against OTHER frames moved away
    #: from the path (1 = no better than chance; :func:`warp` refuses paths above ``max_contrast``)
    contrast: float = 0.0
    band_s: float = 0.0  #: half-width of the band searched around each coarser scale's path (s)
    onset_weight: float = 0.0  #: weight of the onset distance at the finest scale (0: no onset features)

    def _curve(self) -> tuple[np.ndarray, np.ndarray]:
        i, j = self.path[:, 0], self.path[:, 1]
        ui, start = np.unique(i, return_index=True)
        sums = np.add.reduceat(j.astype(np.float64), start)
        counts = np.diff(np.append(start, len(j)))
        return ui.astype(np.float64), sums / counts

    def transfer(self, times_in_ref) -> np.ndarray:
        """Map REF times (s) to OTHER times (s), interpolating between frames; vectorised.  Before the path's
        first and after its last REF frame the map continues at tempo 1 (a warp of the sounding parts only)."""
        ui, jm = self._curve()
        t = (np.asarray(times_in_ref, np.float64) - self.ref_t0) * self.rate
        u = np.interp(t, ui, jm) + np.minimum(t - ui[0], 0.0) + np.maximum(t - ui[-1], 0.0)
        return u / self.rate + self.other_t0

    def inverse(self, times_in_other) -> np.ndarray:
        """Map OTHER times (s) to REF times (s): the same path read the other way."""
        flipped = WarpPath(self.path[:, ::-1].copy(), self.rate, self.cost, self.n_other, self.n_ref, self.cells,
                           self.other_t0, self.ref_t0)  # fmt: skip
        return flipped.transfer(times_in_other)

    def other_time(self, t_ref) -> np.ndarray:
        """OTHER's time of REF time ``t_ref``: :meth:`transfer`, named as :class:`TimeMap` names it, so that
        the code that places OTHER on REF's timeline takes either map."""
        return self.transfer(t_ref)

    def ref_time(self, t_other) -> np.ndarray:
        """REF's time of OTHER time ``t_other``: :meth:`inverse`, as :class:`TimeMap` names it."""
        return self.inverse(t_other)

    def summary(self, window_s: float = 5.0) -> dict[str, float]:
        """Mean tempo ratio (OTHER s per REF s), 5th/95th percentile of the local ratio over ``window_s``, mean cost."""
        ui, jm = self._curve()
        span = max(ui[-1] - ui[0], 1.0)
        mean_ratio = (jm[-1] - jm[0]) / span
        w = max(int(window_s * self.rate), 2)
        if len(ui) > w:
            grid = np.arange(ui[0], ui[-1] - w + 1, max(w // 4, 1))
            loc = (np.interp(grid + w, ui, jm) - np.interp(grid, ui, jm)) / w
            lo, hi = np.percentile(loc, [5, 95])
        else:
            lo = hi = mean_ratio
        return {
            "tempo_ratio": float(mean_ratio),
            "local_ratio_p5": float(lo),
            "local_ratio_p95": float(hi),
            "mean_cost": float(self.cost / max(len(self.path), 1)),
            "ref_start_s": float(ui[0] / self.rate + self.ref_t0),
            "ref_end_s": float(ui[-1] / self.rate + self.ref_t0),
            "other_start_s": float(jm[0] / self.rate + self.other_t0),
            "other_end_s": float(jm[-1] / self.rate + self.other_t0),
        }

"""Visual features: motion energy from grey frames (no I/O: frames and their times come in)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..exceptions import AlignmentError, ParameterError
from ..types import Features

#: Grey levels (of 255) of trend-free motion below which a picture counts as still (encoder noise).
MIN_MOTION = 0.05
#: Share of frames that must move (by MIN_MOTION) for motion to be evidence (a still's encoder warm-up is ~1 %).
MIN_MOVING_SHARE = 0.05


def motion_energy(
    frames: Iterable[tuple[float, np.ndarray]], grid: tuple[int, int] = (4, 4)
) -> tuple[np.ndarray, np.ndarray]:
    """Mean absolute frame difference in each cell of a ``grid``, per frame.

    Parameters
    ----------
    frames : iterable of (time_s, np.ndarray [shape=(h, w)])
        Grey frames in presentation order (consumed one at a time: bounded memory).
    grid : (rows, cols)
        Cells the frame is divided into; each gives one channel.

    Returns
    -------
    times : np.ndarray [shape=(n,)]
        Time of each difference (that of the later frame).
    M : np.ndarray [shape=(rows * cols, n)]
        Motion energy per cell, in grey levels.
    """
    gr, gc = grid
    if gr < 1 or gc < 1:
        raise ParameterError("grid must have at least one row and one column")
    prev = None
    times: list[float] = []
    rows: list[np.ndarray] = []
    for t, f in frames:
        f = np.asarray(f, np.float32)
        if prev is not None and f.shape == prev.shape:
            d = np.abs(f - prev)
            h, w = d.shape
            hh, ww = h // gr * gr, w // gc * gc
            cells = d[:hh, :ww].reshape(gr, hh // gr, gc, ww // gc).mean(axis=(1, 3))
            times.append(t)
            rows.append(cells.ravel())
        prev = f
    if len(rows) < 2:
        raise AlignmentError("too few video frames to measure motion")
    return np.asarray(times), np.stack(rows, axis=1)


def motion_features(
    times: np.ndarray,
    M: np.ndarray,
    rate: float = 100.0,
    smooth_s: float = 1.0,
    key_times: np.ndarray | None = None,
) -> Features:
    """Motion channels on a regular grid at ``rate`` (linear interpolation between frame times, VFR safe),
    with their slow trend (a ``smooth_s`` moving average) removed so that cross-correlation sees changes.

    ``key_times`` (the encoder's keyframes) are left out: a keyframe and the frame after it differ from their
    neighbours by the encoder's doing, at the same place in every file cut from the start of an encode, so on a
    near-still picture they would make any two files look aligned at 0.  Intra-only video (keyframes on more
    than a fifth of the frames) is kept whole.

    Raises
    ------
    AlignmentError
        A still picture (apart from keyframes): no motion to align on.
    """
    times = np.asarray(times, np.float64)
    order = np.argsort(times, kind="stable")
    times, M = times[order], M[:, order]
    keep = np.concatenate([[True], np.diff(times) > 0])
    times, M = times[keep], M[:, keep]
    masked = False
    if key_times is not None and len(times) > 2:
        k = np.unique(np.asarray(key_times, np.float64))
        if 0 < len(k) <= 0.2 * len(times):
            step = float(np.median(np.diff(times)))
            near = np.zeros(len(times), bool)
            for t in k:  # the difference into the keyframe and the one out of it
                near |= (times >= t - 1e-6) & (times <= t + 1.5 * step)
            if (~near).sum() >= 2:
                times, M, masked = times[~near], M[:, ~near], bool(near.any())
    if len(times) < 2 or times[-1] - times[0] < 0.5:
        raise AlignmentError("the video is too short to align on motion (< 0.5 s)")
    moving = float(np.mean(M.max(axis=0) > MIN_MOTION))
    if moving == 0.0:
        raise AlignmentError("the picture does not move: no motion to align on")
    if moving < MIN_MOVING_SHARE:
        extra = ", apart from the encoder's keyframes" if masked else ""
        raise AlignmentError(
            f"the picture barely moves (in {moving:.1%} of its frames{extra}): too little motion to align on; "
            "what changes is likely the encoder's doing, the same in any two files"
        )
    grid = times[0] + np.arange(int((times[-1] - times[0]) * rate) + 1) / rate
    X = np.stack([np.interp(grid, times, m) for m in M])
    from scipy.ndimage import uniform_filter1d

    X = X - uniform_filter1d(X, max(int(smooth_s * rate), 1), axis=1, mode="nearest")
    if not np.any(np.abs(X) > MIN_MOTION):
        extra = " (only the encoder's keyframes change it)" if masked else ""
        raise AlignmentError(f"the picture does not move{extra}: no motion to align on")
    return Features(X=X.astype(np.float32), rate=rate, t0=float(times[0]),
                    names=tuple(f"motion{i}" for i in range(len(X))))  # fmt: skip

"""Decoded frames to NumPy arrays, and the growable buffer decoded audio is written into."""

from __future__ import annotations

import numpy as np

#: Sample formats read as they are when no rate or channel change is needed (FFmpeg's own scaling to float).
AS_IS = {"flt": 1, "fltp": 1, "s16": 2.0**-15, "s16p": 2.0**-15}


DTYPES = {"flt": np.float32, "s16": np.int16, "s32": np.int32, "dbl": np.float64, "u8": np.uint8}


def frames_array(frames: list, n: int) -> np.ndarray:
    """The frames' samples side by side, as ``np.concatenate([f.to_ndarray() for f in frames], axis=1)`` gives
    them, read from the planes directly (``to_ndarray`` stacks each frame's planes: a third of the loop's time)."""
    f0 = frames[0]
    dt = DTYPES.get(f0.format.name.rstrip("p"))
    if dt is None:
        return np.concatenate([f.to_ndarray() for f in frames], axis=1)
    k = f0.layout.nb_channels
    planar = f0.format.is_planar
    out = np.empty((k, n) if planar else (1, n * k), dt)
    o = 0
    for f in frames:
        m = f.samples
        if planar:
            for c, plane in enumerate(f.planes):
                out[c, o : o + m] = np.frombuffer(plane, dt, m)
            o += m
        else:
            out[0, o : o + m * k] = np.frombuffer(f.planes[0], dt, m * k)
            o += m * k
    return out


class SampleBuffer:
    """Growable float32 buffer: decoded audio is written once, without a list of chunks to concatenate."""

    def __init__(self, capacity: int):
        self.a = np.empty(max(capacity, 4096), np.float32)
        self.n = 0

    def append(self, x: np.ndarray) -> None:
        need = self.n + len(x)
        if need > len(self.a):
            new = np.empty(max(need, int(len(self.a) * 1.5)), np.float32)
            new[: self.n] = self.a[: self.n]
            self.a = new
        self.a[self.n : need] = x
        self.n = need

    def zeros(self, k: int) -> None:
        self.append(np.zeros(k, np.float32))

    def result(self) -> np.ndarray:
        if self.n >= 0.9 * len(self.a):
            return self.a[: self.n]
        return self.a[: self.n].copy()

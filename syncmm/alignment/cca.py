"""Canonical correlation as a function of lag, cross-validated over blocks of time (arrays in, arrays out).

The building block of lip sync (:mod:`.lipsync`): mouth features X (n, p) and sound features Y (n, q) on one
grid; for every lag L the first canonical pair between X(t) and Y(t + L) (ridge-regularised), fitted on some
blocks of time and scored on others.  The lagged cross-covariances are computed once per 1-s block by FFT,
so that any fold layout (interleaved folds, one window held out, one block held out) costs only small
eigenproblems.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def lagged_cov(X: np.ndarray, Y: np.ndarray, K: int, block: int) -> np.ndarray:
    """Per block of ``block`` frames: ``C[b, K + L] = sum_{t in b} X[t] Y[t + L]^T`` for L in -K..K.

    Computed by FFT block by block (bounded memory on long files); Y is zero outside its range.
    Returns (n_blocks, 2K + 1, p, q).
    """
    n, p = X.shape
    q = Y.shape[1]
    nb = -(-n // block)
    m = 1 << int(math.ceil(math.log2(block + 2 * K)))
    Xp = np.zeros((nb * block, p))
    Xp[:n] = X
    Yp = np.zeros((nb * block + 2 * K, q))
    Yp[K : K + n] = Y
    out = np.empty((nb, 2 * K + 1, p, q))
    # blocks per batch: ~8 MB of spectra (64 MB batches cost 5-6x more on a process's first two calls, 0.23-0.31 s
    # against 0.05 s for a 60-s clip's 12 x 25 features: fresh memory each time)
    step = max(1, 2**20 // (m * p * q))
    for a in range(0, nb, step):
        b = min(nb, a + step)
        xb = np.fft.rfft(Xp[a * block : b * block].reshape(b - a, block, p), m, axis=1)
        idx = (np.arange(a, b) * block)[:, None] + np.arange(block + 2 * K)[None, :]
        yb = np.fft.rfft(Yp[idx], m, axis=1)
        c = np.fft.irfft(np.conj(xb)[:, :, :, None] * yb[:, :, None, :], m, axis=1)
        out[a:b] = c[:, : 2 * K + 1]  # index K + L <-> Y offset K + L in the padded window
    return out


@dataclass(frozen=True, eq=False)
class BlockStats:
    """Per 1-s block: lagged cross-covariances ``C`` (nb, 2K+1, p, q), the mouth covariance ``Xx`` (nb, p, p)
    and the frames with a face ``nf`` (nb,); ``Cyy`` (q, q) the sound's covariance over the whole grid."""

    C: np.ndarray
    Xx: np.ndarray
    nf: np.ndarray
    Cyy: np.ndarray

    @classmethod
    def of(cls, X: np.ndarray, Y: np.ndarray, face: np.ndarray, K: int, block: int) -> BlockStats:
        """The statistics of standardised ``X`` (zero without a face) and ``Y``."""
        n, p = X.shape
        Xm = X * face[:, None]
        C = lagged_cov(Xm, Y, K, block)
        nb = C.shape[0]
        Xb = np.zeros((nb * block, p))
        Xb[:n] = Xm
        Xb = Xb.reshape(nb, block, p)
        fb = np.zeros(nb * block, bool)
        fb[:n] = face
        return cls(C, np.einsum("btp,btr->bpr", Xb, Xb), fb.reshape(nb, block).sum(1).astype(float), Y.T @ Y / n)

    def subset(self, xs, ys, blocks=slice(None)) -> BlockStats:
        """The statistics of some mouth columns ``xs``, sound columns ``ys`` and blocks."""
        ys = np.arange(self.Cyy.shape[0])[ys]
        return BlockStats(self.C[blocks][:, :, xs][:, :, :, ys], self.Xx[blocks][:, xs][:, :, xs],
                          self.nf[blocks], self.Cyy[np.ix_(ys, ys)])  # fmt: skip


@dataclass(frozen=True, eq=False)
class Folds:
    """Held-out pieces per fold: the numerator and the two variances of the correlation at each lag, and the
    face seconds of each fold."""

    num: np.ndarray  # (F, 2K + 1)
    vx: np.ndarray
    vy: np.ndarray
    frames: np.ndarray  # (F,) frames with a face

    def curve(self, which: int | np.ndarray | slice = slice(None)) -> np.ndarray:
        """The correlation at each lag over the given folds, pooled."""
        num, vx, vy = self.num[which], self.vx[which], self.vy[which]
        if num.ndim == 2:
            num, vx, vy = num.sum(0), vx.sum(0), vy.sum(0)
        return num / np.sqrt(np.maximum(vx * vy, 1e-30))


def top_singular_pair(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first left and right singular vectors of each matrix of a stack ``M`` (n, p, q), as
    ``U[:, :, 0]`` and ``Vt[:, 0, :]`` of ``np.linalg.svd(M)`` give them, up to a sign shared by the pair
    (``u @ M @ v`` is the largest singular value, >= 0).

    From the eigenvectors of ``M M^T`` (p <= q) or ``M^T M``: the small symmetric eigenproblems cost half
    the SVD of the stack (lip sync's folds: 201 lags of 12 x 25, 2.0 against 4.4 ms); the vectors agree
    with the SVD's to ~1e-13 unless the first two singular values nearly coincide (then neither is defined).
    """
    _, p, q = M.shape
    if p > q:
        v, u = top_singular_pair(M.transpose(0, 2, 1))
        return u, v
    w, V = np.linalg.eigh(M @ M.transpose(0, 2, 1))
    u = V[:, :, -1]
    v = np.einsum("lij,li->lj", M, u)
    s = np.sqrt(np.maximum(w[:, -1], 0.0))
    v = np.divide(v, s[:, None], out=np.zeros_like(v), where=s[:, None] > 0)
    return u, v


def held_out(st: BlockStats, fold: np.ndarray, ridge: float) -> Folds:
    """For each fold f >= 0 of the blocks: the projection at each lag fitted on every other block (folds -1
    included: they only train) and scored on fold f."""
    fold = np.asarray(fold)
    F = int(fold.max()) + 1
    p, q = st.Xx.shape[1], st.Cyy.shape[0]
    L = st.C.shape[1]
    Ctot, Xtot, ntot = st.C.sum(0), st.Xx.sum(0), st.nf.sum()
    Lyi = np.linalg.inv(np.linalg.cholesky(st.Cyy + ridge * np.eye(q)))
    num, vx, vy = (np.zeros((F, L)) for _ in range(3))
    frames = np.zeros(F)
    for f in range(F):
        sel = fold == f
        Cf, Xf, nf = st.C[sel].sum(0), st.Xx[sel].sum(0), st.nf[sel].sum()
        frames[f] = nf
        if nf == 0 or ntot == nf:
            continue
        ntr = ntot - nf
        Lx = np.linalg.inv(np.linalg.cholesky((Xtot - Xf) / ntr + ridge * np.eye(p)))
        u, v = top_singular_pair(Lx @ ((Ctot - Cf) / ntr) @ Lyi.T)
        wx = np.einsum("ij,li->lj", Lx, u)
        wy = np.einsum("ij,li->lj", Lyi, v)
        num[f] = np.einsum("li,lij,lj->l", wx, Cf, wy)
        vx[f] = np.einsum("li,ij,lj->l", wx, Xf, wx)
        vy[f] = np.einsum("li,ij,lj->l", wy, st.Cyy, wy) * nf
    return Folds(num, vx, vy, frames)


def interleaved(nb: int, n_folds: int) -> np.ndarray:
    """Block i in fold i mod ``n_folds``."""
    return np.arange(nb) % n_folds

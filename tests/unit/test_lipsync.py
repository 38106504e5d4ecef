"""Lip sync on arrays: the lagged covariance against a plain reference, the cross-validated CCA on generated
mouth and sound features with exact lags, the calibration, the per-window estimates and a step."""

from __future__ import annotations

import numpy as np
import pytest

from syncmm.alignment import lipsync as ls
from syncmm.alignment import lipsync_model as lm
from syncmm.alignment.cca import lagged_cov, top_singular_pair
from syncmm.dsp.filters import bandpass
from syncmm.exceptions import AlignmentError, ParameterError
from syncmm.features.lips import MOUTH_COLUMNS, OPENING


def test_lagged_cov_matches_the_direct_sum():
    rng = np.random.default_rng(0)
    n, p, q, K, block = 53, 3, 2, 4, 10
    X, Y = rng.standard_normal((n, p)), rng.standard_normal((n, q))
    C = lagged_cov(X, Y, K, block)
    for b in range(C.shape[0]):
        for L in range(-K, K + 1):
            ref = np.zeros((p, q))
            for t in range(b * block, min(n, (b + 1) * block)):
                if 0 <= t + L < n:
                    ref += np.outer(X[t], Y[t + L])
            np.testing.assert_allclose(C[b, K + L], ref, atol=1e-9)


@pytest.mark.parametrize("shape", [(7, 4, 9), (5, 9, 4), (3, 1, 1), (4, 6, 6)])
def test_top_singular_pair_matches_the_svd(shape):
    rng = np.random.default_rng(sum(shape))
    M = rng.standard_normal(shape)
    u, v = top_singular_pair(M)
    U, S, Vt = np.linalg.svd(M, full_matrices=False)
    sign = np.sign(np.einsum("li,li->l", U[:, :, 0], u))[:, None]  # a pair's sign is free; shared by u and v
    np.testing.assert_allclose(u * sign, U[:, :, 0], atol=1e-9)
    np.testing.assert_allclose(v * sign, Vt[:, 0, :], atol=1e-9)
    np.testing.assert_allclose(np.einsum("li,lij,lj->l", u, M, v), S[:, 0], rtol=1e-9)


def test_bandpass_keeps_the_band_and_removes_the_rest():
    t = np.arange(2000) / 100.0
    inside, outside = np.sin(2 * np.pi * 4 * t), np.sin(2 * np.pi * 20 * t)
    y = bandpass(inside + outside, 100.0, 1.0, 8.0)
    assert np.abs(y[200:-200] - inside[200:-200]).max() < 0.05


def _scene(seconds: float, lag_frames, seed: int = 1, noise: float = 1.0):
    """Mouth features at 25 fps and sound features at 100 Hz made from one hidden 'speech' signal; the sound
    is the hidden signal ``lag_frames`` (at 100 Hz; a function of time for steps) later."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 100)
    h = bandpass(rng.standard_normal((n + 400, 2)), 100.0, 1.0, 8.0)
    h /= h.std(0)
    t100 = np.arange(n) / 100.0
    lag = np.broadcast_to(np.asarray([lag_frames(t) for t in t100] if callable(lag_frames) else lag_frames), n)
    src = h[200 + np.arange(n) - lag]  # sound at t carries the mouth of t - lag: audio late by lag
    p, q = len(MOUTH_COLUMNS), 25
    A, B = rng.standard_normal((2, p)), rng.standard_normal((2, q))
    tv = np.arange(int(seconds * 25)) / 25.0
    hv = h[200 + (tv * 100).astype(int)]
    mouth = hv @ A + 0.5 * noise * rng.standard_normal((len(tv), p))
    mouth[:, OPENING] = hv[:, 0] + 0.3 * noise * rng.standard_normal(len(tv))
    sound = src @ B + noise * rng.standard_normal((n, q))
    sound[:, -1] = 3 * (src[:, 0] + 0.3 * noise * rng.standard_normal(n)) + 5.0  # the envelope: loud, speech-like
    return tv, mouth, t100, sound


@pytest.mark.parametrize("lag", [0, 13, -27])
def test_recovers_an_exact_lag(lag):
    tv, mouth, ts, sound = _scene(20.0, lag)
    est = ls.estimate_av_offset(tv, mouth, ts, sound, bias_s=0.0)
    assert est.decided and est.agree and est.confidence > 0.99
    assert abs(est.offset_s - (-lag / 100.0)) <= 0.005  # audio late by lag/100 s: offset = -lag/100
    assert est.segments and all(g.offset_s is not None for g in est.segments)


def test_unrelated_sound_is_undecidable():
    tv, mouth, _, _ = _scene(12.0, 0, seed=2)
    _, _, ts, sound = _scene(12.0, 0, seed=3)
    with pytest.raises(AlignmentError, match="undecidable") as e:
        ls.estimate_av_offset(tv, mouth, ts, sound)
    assert e.value.estimate is not None and not e.value.estimate.decided


def test_gaps_without_a_face_are_left_out():
    tv, mouth, ts, sound = _scene(20.0, 8)
    mouth = mouth.copy()
    mouth[100:200] = np.nan  # 4 s without a face
    est = ls.estimate_av_offset(tv, mouth, ts, sound, bias_s=0.0)
    assert abs(est.offset_s + 0.08) <= 0.005 and 15.5 <= est.face_s <= 16.5


def test_a_step_in_sync_is_found():
    tv, mouth, ts, sound = _scene(60.0, lambda t: 0 if t < 30.0 else 12, seed=4)
    est = ls.estimate_av_offset(tv, mouth, ts, sound, bias_s=0.0)
    assert est.step_s is not None and abs(est.step_s - 30.0) <= 2.0
    early = [g.offset_s for g in est.segments if g.end_s <= 30.0 and g.offset_s is not None]
    late = [g.offset_s for g in est.segments if g.start_s >= 30.0 and g.offset_s is not None]
    assert early and late
    assert all(abs(o) <= 0.04 for o in early) and all(abs(o + 0.12) <= 0.04 for o in late)


def test_confidence_is_calibrated_and_monotonic():
    zs = np.linspace(0.0, 3.0, 31)
    c = [lm.calibrated(z, True) for z in zs]
    assert all(a <= b for a, b in zip(c, c[1:], strict=False)) and c[0] < 0.97 < c[-1]
    assert max(lm.calibrated(z, False) for z in zs) <= 0.5  # two statistics that disagree never decide
    (t1, m1, _), (t2, m2, _) = lm.NULL["cca"]
    assert lm.calibrated(m1, True, face_s=t1) == pytest.approx(1 - lm.NULL_AGREE["cca"] / 2)
    assert lm.calibrated(m2, True, face_s=t2) == pytest.approx(1 - lm.NULL_AGREE["cca"] / 2)
    assert lm.calibrated(1.3, True, face_s=60) < lm.calibrated(1.3, True, face_s=6)  # the null grows with length
    assert lm.confidence_words(0.999).startswith("certain") and lm.confidence_words(0.3).startswith("undecidable")


def test_bad_input():
    tv, mouth, ts, sound = _scene(6.0, 0)
    with pytest.raises(ParameterError):
        ls.estimate_av_offset(tv, mouth, ts, sound, method="magic")
    with pytest.raises(ParameterError):
        ls.estimate_av_offset(tv, mouth, ts, sound, max_offset=9.0)
    with pytest.raises(ParameterError):
        ls.estimate_av_offset(tv[:-1], mouth, ts, sound)
    with pytest.raises(AlignmentError, match="no face"):
        ls.estimate_av_offset(tv, np.full_like(mouth, np.nan), ts, sound)
    quiet = sound.copy()
    quiet[:, -1] = 1e-3 * np.random.default_rng(0).standard_normal(len(ts))
    with pytest.raises(AlignmentError, match="no speech"):
        ls.estimate_av_offset(tv, mouth, ts, quiet)

"""The music features of ``syncmm warp`` on generated notes with exact times: chroma onsets, the sounding span,
the onset split, and the warp of a span (its map continuing at tempo 1 outside)."""

from __future__ import annotations

import numpy as np
import pytest

from syncmm.alignment.multiscale import warp
from syncmm.exceptions import ParameterError
from syncmm.features.music import chroma_onsets, music_features, sounding_span, split_onsets

SR, RATE = 12000, 50.0


def notes(spec, dur: float) -> np.ndarray:
    """Piano-like decaying tones: ``spec`` = [(onset s, MIDI note)]."""
    y = np.zeros(int(dur * SR), np.float32)
    for t0, midi in spec:
        a = int(t0 * SR)
        tt = np.arange(len(y) - a) / SR
        f0 = 440 * 2 ** ((midi - 69) / 12)
        y[a:] += sum(0.3 / k * np.sin(2 * np.pi * k * f0 * tt) for k in (1, 2, 3)) * np.exp(-4 * tt)
    return y


def test_chroma_onsets_peak_at_the_notes_in_their_pitch_class():
    spec = [(0.5, 60), (1.3, 64), (2.1, 67), (2.9, 62), (3.7, 69)]  # C E G D A
    F = music_features(notes(spec, 4.5), SR, RATE, "chroma+onset")
    X, ons = split_onsets(F)
    assert X.shape == ons.shape == (12, F.X.shape[1]) and ons.min() >= 0 and ons.max() <= 1.0 + 1e-6
    for t0, midi in spec:
        k = int(round(t0 * RATE))
        seg = ons[:, k - 5 : k + 4]
        pc, dt = np.unravel_index(np.argmax(seg), seg.shape)
        # right class; at most 3 frames early: the 0.17-s window sees the rise up to half a window ahead (the
        # same for both performances, so it cancels in the map)
        assert pc == midi % 12 and -3 <= dt - 5 <= 0, (t0, midi, pc, dt - 5)
        assert ons[midi % 12, k - 8] < 0.2 * ons[midi % 12, k - 5 + dt]  # nothing before the note
    # decays: still there 2 frames later, gone after the decay window (0.1 s)
    k = int(np.argmax(ons[0, : int(RATE)]))
    top = ons[0, k]
    assert 0.3 * top < ons[0, k + 2] < top and ons[0, k + 8] < 0.2 * top


def test_chroma_onsets_are_local_and_level_free():
    """A soft passage's onsets count like a loud one's (local normalisation)."""
    y = notes([(0.5, 60), (1.5, 64)], 2.5)
    z = notes([(0.5, 60), (1.5, 64)], 2.5) * 0.01
    F = music_features(np.concatenate([y, z]), SR, RATE, "chroma+onset")
    norm = np.linalg.norm(split_onsets(F)[1], axis=0)
    half = int(2.5 * RATE)
    assert norm[:half].max() == pytest.approx(1.0, abs=0.05) and norm[half:].max() == pytest.approx(1.0, abs=0.05)


def test_chroma_onsets_direct_call_matches_music_features():
    from syncmm.features.music import _hop, _power, chroma_filters

    y = notes([(0.3, 60), (0.9, 65)], 1.5)
    S, n_fft = _power(y, SR, _hop(SR, RATE))
    ons = chroma_onsets(S, chroma_filters(SR, n_fft), RATE)
    np.testing.assert_allclose(ons, split_onsets(music_features(y, SR, RATE))[1], rtol=1e-5, atol=1e-6)


def test_sounding_span_cuts_silence_and_noise_at_the_ends_only():
    music = notes([(t, 60 + (i % 5)) for i, t in enumerate(np.arange(0.0, 6.0, 0.5))], 6.5)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.05, 3 * SR).astype(np.float32)
    gap = np.zeros(SR, np.float32)  # a silent bar inside the music is kept
    y = np.concatenate([np.zeros(2 * SR, np.float32), music[: 3 * SR], gap, music[3 * SR :], noise])
    a, b = sounding_span(y, SR, RATE)
    assert abs(a - (2.0 - 0.1) * RATE) <= 2  # the first note at 2.0 s, a 0.1-s margin kept
    end_music = (2.0 + 1.0 + len(music) / SR) * RATE
    assert end_music - 0.6 * RATE <= b <= end_music + 0.3 * RATE  # the last note's decay, not the noise
    n = 1 + len(y) // (SR // int(RATE))
    assert sounding_span(np.zeros(SR, np.float32), SR, RATE) == (0, 1 + SR // 240)
    assert 0 <= a < b <= n


def test_split_onsets():
    F = music_features(notes([(0.2, 60)], 1.2), SR, RATE, "chroma")
    X, ons = split_onsets(F)
    assert ons is None and X is F.X  # nothing to split off
    F = music_features(notes([(0.2, 60)], 1.2), SR, RATE, "onset")
    assert split_onsets(F)[1] is None  # onsets alone stay the features


def test_warp_of_spans_and_the_map_outside(rng):
    """Only the spans are warped: the path runs from their first to their last corner, and the map continues
    at tempo 1 before and after (so leading silence maps to leading silence)."""
    X = np.abs(np.cumsum(rng.standard_normal((12, 300)), axis=1))
    Y = np.hstack([np.ones((12, 40)), X[:, 20:280], np.ones((12, 30))])  # OTHER: REF 20..280 after 40 frames
    wp = warp(X, Y, RATE, spans=((20, 280), (40, 300)), compress=None, transpose=None)
    assert tuple(wp.path[0]) == (20, 40) and tuple(wp.path[-1]) == (279, 299)
    assert wp.n_ref == 300 and wp.n_other == 330
    t = np.array([0.0, 0.2, 3.0, 5.58, 5.98])
    np.testing.assert_allclose(wp.transfer(t), t + 0.4, atol=0.03)
    with pytest.raises(ParameterError, match="spans"):
        warp(X, Y, RATE, spans=((20, 400), (0, 300)))


def test_spans_with_a_seeded_offset(rng):
    """A seed and spans together: the seed is moved into the spans' frames and the overlap stays inside them."""
    X = np.abs(np.cumsum(rng.standard_normal((12, 400)), axis=1))
    Y = np.hstack([np.ones((12, 30)), X[:, 50:350], np.ones((12, 60))])  # REF frame 50 + k = OTHER frame 30 + k
    wp = warp(X, Y, RATE, spans=((50, 350), (30, 330)), offset_s=(50 - 30) / RATE, compress=None, transpose=None)
    assert tuple(wp.path[0]) == (50, 30) and tuple(wp.path[-1]) == (349, 329)
    np.testing.assert_allclose(wp.transfer(np.array([2.0, 4.0])), np.array([2.0, 4.0]) - 0.4, atol=0.03)

"""Clock drift and discontinuities on real speech rearranged into long non-repeating timelines."""

from __future__ import annotations

import numpy as np
import pytest

from syncmm import estimate_offset
from syncmm.alignment.drift import estimate_drift, theil_sen
from syncmm.synth import drifted, speech_timeline

SR = 16000


@pytest.fixture(scope="module")
def clips(speech16k):
    return [speech16k[a : a + 4 * SR] for a in range(0, len(speech16k) - 4 * SR, 3 * SR)]


def _timeline(minutes: float, sr: int, clips, seed: int) -> np.ndarray:
    if sr != SR:
        from syncmm.dsp.resample import resample_at

        clips = [resample_at(c, np.arange(0, len(c), SR / sr)) for c in clips]
    return speech_timeline(minutes * 60 + 30, sr, np.random.default_rng(seed), clips)


def _check(x, y, sr, offset, ppm):
    est = estimate_offset(x, y, sr)
    d = estimate_drift(x, y, sr, est)
    assert abs(d.drift_ppm - ppm) <= 2.0, d.drift_ppm
    assert abs(d.offset_s - offset) <= 1e-3, d.offset_s
    assert not d.discontinuities
    return d


@pytest.mark.parametrize("ppm", [-200.0, -50.0, 20.0, 100.0, 200.0])
def test_drift_10_minutes(clips, ppm):
    event = _timeline(10.5, SR, clips, seed=int(ppm) + 1000)
    y = drifted(event, SR, 12.345678, ppm, 600.0 * (1 + ppm * 1e-6) - 20)
    d = _check(event, y, SR, 12.345678, ppm)
    assert d.residual_rms_s < 2e-4
    assert d.offset_at(300.0) == pytest.approx(300.0 - (300.0 - 12.345678) * (1 + ppm * 1e-6), abs=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("ppm", [-200.0, -50.0, 20.0, 100.0, 200.0])
def test_drift_60_minutes(clips, ppm):
    sr = 8000
    event = _timeline(60.5, sr, clips, seed=int(ppm) + 2000)
    y = drifted(event, sr, 7.654321, ppm, 3600.0 - 40)
    _check(event, y, sr, 7.654321, ppm)


@pytest.fixture(scope="module")
def event10(clips):
    return _timeline(10.5, SR, clips, seed=77)


@pytest.mark.parametrize("kind", ["dropout", "cut", "pause"])
def test_discontinuity_is_found_and_the_main_part_still_fits(event10, kind):
    """2 s lost (a dropout), 2 s edited out (a cut) or 2 s of silence inserted (a pause) in OTHER."""
    ppm, off = 100.0, 5.0
    y = drifted(event10, SR, off, ppm, 590.0)
    at = int(400.0 * SR)  # OTHER sample where it happens
    if kind in ("dropout", "cut"):
        y = np.concatenate([y[:at], y[at + 2 * SR :]])
        jump = +2.0
    else:
        y = np.concatenate([y[:at], np.zeros(2 * SR, np.float32), y[at:]])
        jump = -2.0
    ref_time = off + 400.0 / (1 + ppm * 1e-6)  # REF time of OTHER's sample `at`
    est = estimate_offset(event10, y, SR)
    d = estimate_drift(event10, y, SR, est)
    assert len(d.discontinuities) == 1
    disc = d.discontinuities[0]
    assert disc.jump_s == pytest.approx(jump, abs=0.005)
    assert abs(disc.ref_time_s - ref_time) <= 0.05, (disc.ref_time_s, ref_time)
    resume = ref_time + (2.0 if kind in ("dropout", "cut") else 0.0)  # REF lost 2 s of OTHER, or none
    assert abs(disc.ref_resume_s - resume) <= 0.05, (disc.ref_resume_s, resume)
    assert abs(d.drift_ppm - ppm) <= 2.0
    assert abs(d.offset_s - off) <= 1e-3  # the longest consistent part is the first 400 s
    assert d.fit_span[1] < ref_time + 10


def test_silent_stretch_is_a_gap_not_a_jump(event10):
    y = drifted(event10, SR, 3.0, -50.0, 590.0)
    y[200 * SR : 230 * SR] = 0.0
    est = estimate_offset(event10, y, SR)
    d = estimate_drift(event10, y, SR, est)
    assert not d.discontinuities
    assert abs(d.drift_ppm + 50.0) <= 2.0
    # no window measured inside the silence: each segment's 3-s waveform window must hold content
    assert all(not (201.5 < s.ref_time_s - 3.0 < 228.5) for s in d.segments)


def test_theil_sen_ignores_outliers(rng):
    t = np.linspace(0, 100, 50)
    o = 2.0 - 1e-4 * t + rng.normal(0, 1e-6, 50)
    o[[5, 17, 30]] += 0.5
    a, b = theil_sen(t, o)
    assert a == pytest.approx(2.0, abs=1e-5) and b == pytest.approx(-1e-4, abs=1e-7)


def test_windows_measured_in_two_threads_are_the_plain_loops(event10, monkeypatch):
    from syncmm.alignment import drift

    y = drifted(event10, SR, 3.21, 80.0, 560.0)
    est = estimate_offset(event10, y, SR)
    threaded = estimate_drift(event10, y, SR, est)
    monkeypatch.setattr(drift, "_in_two_threads", lambda fn, items: [fn(item) for item in items])
    assert estimate_drift(event10, y, SR, est) == threaded
    assert len(threaded.segments) >= 30


def test_in_two_threads_keeps_order_and_raises_the_first_error():
    from syncmm.alignment.drift import _in_two_threads

    assert _in_two_threads(lambda v: v * v, list(range(11))) == [v * v for v in range(11)]

    def fail_at(v):
        if v in (2, 5):
            raise ValueError(v)
        return v

    with pytest.raises(ValueError, match="2"):
        _in_two_threads(fail_at, list(range(9)))
    with pytest.raises(ValueError, match="5"):
        _in_two_threads(fail_at, [7, 8, 5, 6, 2, 1])

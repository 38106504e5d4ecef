"""Offset estimation on arrays with exact ground truth (generated signals and real speech)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import fft as sfft

from syncmm import estimate_offset
from syncmm.alignment.peaks import _bandlimited_peak, _xcorr_multichannel
from syncmm.exceptions import AlignmentError, ParameterError
from syncmm.synth import add_noise, excerpt, lowpass, speech_like

SR = 16000
CLEAN_TOL = 1e-4  # 0.1 ms
DEGRADED_TOL = 1e-3  # 1 ms


@pytest.fixture(scope="module")
def base():
    return speech_like(90.0, SR, np.random.default_rng(7))


@pytest.mark.parametrize("offset", [0.123456, -7.5, 0.0, 3.0000625, -0.0000313])
def test_clean_shifts_generated(base, offset):
    ref = excerpt(base, SR, 20.0, 40.0)
    oth = excerpt(base, SR, 20.0 + offset, 25.0)
    e = estimate_offset(ref, oth, SR)
    assert abs(e.offset_s - offset) <= CLEAN_TOL
    assert e.confidence > 0.5
    assert e.offset_samples == pytest.approx(e.offset_s * SR)


@pytest.mark.parametrize("offset", [0.123456, -7.5, 0.0])
def test_clean_shifts_real_speech(speech16k, offset):
    ref = excerpt(speech16k, SR, 15.0, 40.0)
    oth = excerpt(speech16k, SR, 15.0 + offset, 20.0)
    e = estimate_offset(ref, oth, SR)
    assert abs(e.offset_s - offset) <= CLEAN_TOL
    assert e.confidence > 0.5


def test_t0_enters_the_offset(base):
    ref = excerpt(base, SR, 10.0, 20.0)
    oth = excerpt(base, SR, 12.0, 10.0)
    e = estimate_offset(ref, oth, SR, t0_x=1.5, t0_y=0.25)
    assert e.offset_s == pytest.approx(2.0 + 1.5 - 0.25, abs=CLEAN_TOL)


@pytest.mark.parametrize(
    ("ref_span", "oth_span"),
    [
        ((10.0, 30.0), (15.0, 10.0)),  # OTHER inside REF
        ((15.0, 10.0), (10.0, 30.0)),  # REF inside OTHER
        ((10.0, 20.0), (24.0, 20.0)),  # partial overlap (6 s), OTHER later
        ((24.0, 20.0), (10.0, 20.0)),  # partial overlap, OTHER earlier
    ],
)
def test_overlap_geometries(base, ref_span, oth_span):
    ref = excerpt(base, SR, *ref_span)
    oth = excerpt(base, SR, *oth_span)
    truth = oth_span[0] - ref_span[0]
    e = estimate_offset(ref, oth, SR)
    assert abs(e.offset_s - truth) <= CLEAN_TOL
    expected_overlap = min(ref_span[0] + ref_span[1], oth_span[0] + oth_span[1]) - max(ref_span[0], oth_span[0])
    assert e.overlap_s == pytest.approx(expected_overlap, abs=0.01)


def test_noise_10db(speech16k, rng):
    ref = excerpt(speech16k, SR, 5.0, 50.0)
    oth = add_noise(excerpt(speech16k, SR, 17.3456, 30.0), 10.0, rng)
    e = estimate_offset(ref, oth, SR)
    assert abs(e.offset_s - 12.3456) <= DEGRADED_TOL


def test_lowpass_3khz(speech16k):
    ref = excerpt(speech16k, SR, 5.0, 50.0)
    oth = lowpass(excerpt(speech16k, SR, 4.0101, 30.0), SR, 3000.0)
    e = estimate_offset(ref, oth, SR)
    assert abs(e.offset_s - (-0.9899)) <= DEGRADED_TOL


def test_gcc_phat_and_coarse_methods(base):
    ref = excerpt(base, SR, 10.0, 30.0)
    oth = excerpt(base, SR, 14.25, 15.0)
    phat = estimate_offset(ref, oth, SR, method="gcc-phat")
    assert abs(phat.offset_s - 4.25) <= CLEAN_TOL
    assert "gcc-phat" in phat.method
    coarse = estimate_offset(ref, oth, SR, method="coarse")
    assert abs(coarse.offset_s - 4.25) <= 0.01  # 10 ms frames, interpolated
    assert coarse.fine_correlation is None


@pytest.mark.slow
@pytest.mark.parametrize("swap", [False, True])
def test_clip_in_30_minutes(swap):
    rng = np.random.default_rng(30)
    long = speech_like(1800.0, SR, rng)
    start = 900.0 + 0.0123456
    clip = excerpt(long, SR, start, 10.0)
    if swap:
        e = estimate_offset(clip, long, SR)
        assert abs(e.offset_s + start) <= CLEAN_TOL
    else:
        e = estimate_offset(long, clip, SR)
        assert abs(e.offset_s - start) <= CLEAN_TOL
    assert e.confidence > 0.5


def test_max_offset_excludes_the_true_peak(base):
    ref = excerpt(base, SR, 10.0, 30.0)
    oth = excerpt(base, SR, 18.0, 10.0)
    assert abs(estimate_offset(ref, oth, SR, max_offset=8.5).offset_s - 8.0) <= CLEAN_TOL
    with pytest.raises(AlignmentError):
        estimate_offset(ref, oth, SR, max_offset=5.0)


def test_unrelated_content_is_rejected():
    a = speech_like(20.0, SR, np.random.default_rng(1))
    b = speech_like(15.0, SR, np.random.default_rng(2))
    with pytest.raises(AlignmentError, match="no reliable alignment") as ei:
        estimate_offset(a, b, SR)
    assert ei.value.estimate.confidence < 0.3


def test_repetitive_content_lowers_confidence():
    # a click train with a 0.5 s period: every multiple of 0.5 s fits equally well
    n = 20 * SR
    x = np.zeros(n, np.float32)
    x[:: SR // 2] = 1.0
    x = np.convolve(x, np.hanning(64), mode="same").astype(np.float32)
    y = x[int(3.2 * SR) : int(13.2 * SR)].copy()
    with pytest.raises(AlignmentError):
        estimate_offset(x, y, SR)
    e = estimate_offset(x, y, SR, min_confidence=0.0)
    assert e.confidence < 0.2


def test_looped_speech_is_ambiguous(speech16k):
    seg = speech16k[: 5 * SR]
    looped = np.tile(seg, 6)
    clip = looped[int(7.5 * SR) : int(11.5 * SR)]
    e = estimate_offset(looped, clip, SR, min_confidence=0.0)
    assert e.confidence < 0.3


@pytest.mark.parametrize(
    ("x", "err", "match"),
    [
        (np.zeros(SR * 5, np.float32), AlignmentError, "silent"),
        (np.ones(int(0.2 * SR), np.float32), AlignmentError, "too short"),
        (np.full(SR * 5, np.nan, np.float32), ParameterError, "NaN"),
        (np.zeros((2, SR * 5), np.float32), ParameterError, "1-D"),
    ],
)
def test_bad_arrays(base, x, err, match):
    with pytest.raises(err, match=match):
        estimate_offset(base[: SR * 10], x, SR)


def test_steady_tone_has_nothing_to_align():
    t = np.arange(SR * 5) / SR
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    with pytest.raises(AlignmentError):
        estimate_offset(tone, tone[SR:], SR)


def test_bad_parameters(base):
    with pytest.raises(ParameterError):
        estimate_offset(base, base, SR, method="nope")
    with pytest.raises(ParameterError):
        estimate_offset(base, base, SR, max_offset=-1)


def test_multichannel_xcorr_matches_numpy(rng):
    a = rng.standard_normal((3, 37))
    b = rng.standard_normal((3, 23))
    ref = sum(np.correlate(a[c], b[c], mode="full") for c in range(3))
    np.testing.assert_allclose(_xcorr_multichannel(a, b), ref, atol=1e-9)


def test_bandlimited_peak_matches_dense_interpolation(rng):
    n = 256
    x = rng.standard_normal(n)
    x = np.fft.irfft(np.fft.rfft(x) * (np.fft.rfftfreq(n) < 0.3), n)  # band-limited
    true_tau = 5.37
    C = sfft.rfft(x) * np.exp(-2j * np.pi * np.fft.rfftfreq(n) * true_tau)  # correlation peaks at 5.37
    C = C * np.conj(sfft.rfft(x)) / np.abs(sfft.rfft(x)).clip(1e-9) * np.abs(sfft.rfft(x))
    tau, _ = _bandlimited_peak(C, n, 5.0)
    grid = np.linspace(4.5, 6.5, 20001)
    k = np.arange(len(C))
    w = np.where((k == 0) | (k == len(C) - 1), 1.0, 2.0)
    vals = [(w * (C * np.exp(2j * np.pi * k * g / n)).real).sum() for g in grid]
    assert tau == pytest.approx(grid[int(np.argmax(vals))], abs=2e-4)
    assert tau == pytest.approx(true_tau, abs=1e-3)


def test_next_fast_len_is_scipys_real_fast_length(rng):
    """The FFT sizes (hence the correlations, to the bit) are the ones scipy.fft chose before NumPy replaced it."""
    from syncmm.alignment.peaks import next_fast_len

    sizes = [*range(1, 3000), *rng.integers(3000, 20_000_000, 3000).tolist()]
    assert [next_fast_len(n) for n in sizes] == [sfft.next_fast_len(n, real=True) for n in sizes]


@pytest.mark.parametrize("n", [1000, 1001, 4099])
def test_bandlimited_peak_equals_the_direct_newton_sum(rng, n):
    """The factorised phase sum gives the same Newton iterates as summing every bin's exponential."""
    x = rng.standard_normal(n)
    y = np.roll(x, 11) + 0.5 * rng.standard_normal(n)
    C = sfft.rfft(y) * np.conj(sfft.rfft(x))
    k = np.arange(len(C))
    w = np.full(len(C), 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    omega, Cw = 2 * np.pi * k / n, C * w / n
    tau = 10.7
    for _ in range(8):  # the plain per-bin formulation
        e = Cw * np.exp(1j * omega * tau)
        d1, d2 = (1j * omega * e).real.sum(), (-(omega**2) * e).real.sum()
        step = float(np.clip(-d1 / d2, -0.5, 0.5))
        tau += step
        if abs(step) < 1e-6:
            break
    got, val = _bandlimited_peak(C, n, 10.7)
    assert got == pytest.approx(tau, abs=1e-9)
    assert val == pytest.approx((Cw * np.exp(1j * omega * got)).real.sum(), rel=1e-9)
    assert got == pytest.approx(11.0, abs=0.1)


@pytest.mark.slow
def test_three_hour_reference():
    """A 10-min excerpt found in a 3-hour recording (at 4 kHz to keep the test's memory small)."""
    sr = 4000
    rng = np.random.default_rng(3)
    long = speech_like(3 * 3600.0, sr, rng)
    start = 2 * 3600.0 + 123.4567
    clip = excerpt(long, sr, start, 600.0)
    e = estimate_offset(long, clip, sr)
    assert abs(e.offset_s - start) <= 2.5e-4  # 1 sample at 4 kHz
    assert e.confidence > 0.5


def test_onset_features_do_not_depend_on_the_chunking():
    """onset_bands frames its STFT a chunk at a time (512 frames by default: the chunk stays in cache); any
    chunk size gives the same features and activity, to the bit, also across a chunk boundary mid-signal."""
    from syncmm.features.audio import onset_bands

    y = speech_like(23.7, 16000, np.random.default_rng(4))
    ref_f, ref_a = onset_bands(y, 16000, chunk_frames=100000)  # one chunk
    for k in (1, 7, 512, 4096):
        f, a = onset_bands(y, 16000, chunk_frames=k)
        assert np.array_equal(f.X, ref_f.X) and np.array_equal(a, ref_a)


def test_onset_features_computed_as_the_samples_arrive_are_the_same():
    """OnsetBands fed the signal's start as it grows (pieces of any size), then finished with all of it, gives
    onset_bands' features to the bit; fed from other memory than it is finished with, it starts again."""
    from syncmm.alignment.xcorr import PrepareStream, prepare
    from syncmm.features.audio import OnsetBands, onset_bands

    y = speech_like(31.3, 16000, np.random.default_rng(5)).astype(np.float32)
    ref_f, ref_a = onset_bands(y, 16000)
    rng = np.random.default_rng(6)
    for _ in range(4):
        bands, n = OnsetBands(16000), 0
        while n < len(y):
            n = min(len(y), n + int(rng.integers(1, 90000)))
            bands.feed(y[:n])
        assert bands.frames > 0
        f, a = bands.finish(y)
        assert np.array_equal(f.X, ref_f.X) and np.array_equal(a, ref_a) and f.rate == ref_f.rate
    bands = OnsetBands(16000)
    bands.feed(np.zeros(len(y) // 2, np.float32))  # not y's memory: not used
    f, a = bands.finish(y)
    assert np.array_equal(f.X, ref_f.X) and np.array_equal(a, ref_a)
    stream = PrepareStream(16000, "REF")
    stream.feed(y[: len(y) // 3])
    got, want = stream.finish(y), prepare(y, 16000, "REF")
    assert np.array_equal(got.features.X, want.features.X) and np.array_equal(got.activity, want.activity)
    assert (got.n, got.sr) == (want.n, want.sr)
    silent = PrepareStream(16000, "OTHER")
    silent.feed(np.zeros(16000, np.float32))
    with pytest.raises(AlignmentError, match="OTHER is silent"):
        silent.finish(np.zeros(64000, np.float32))

"""The media layer: exact timelines through real encoders (written with PyAV), probing, stream choice."""

from __future__ import annotations

import fractions

import av
import numpy as np
import pytest

from syncmm import align
from syncmm.exceptions import DecodeError, InputError, NoStreamError
from syncmm.media import load_audio, probe
from syncmm.media.write import write_audio
from syncmm.synth import excerpt, speech_like

SR = 48000


@pytest.fixture(scope="module")
def base():
    return speech_like(60.0, SR, np.random.default_rng(3))


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def ref_file(base, media_dir):
    p = media_dir / "ref.flac"
    write_audio(p, excerpt(base, SR, 5.0, 40.0), SR)
    return p


def test_click_position_is_exact_after_decoding(media_dir):
    x = np.zeros(3 * 44100, np.float32)
    x[44100] = 0.9  # one click at exactly 1.000 s
    p = media_dir / "click.wav"
    write_audio(p, x, 44100)
    s = load_audio(p, sr=16000)
    assert s.t0 == 0.0
    assert abs(int(np.argmax(np.abs(s.y))) - 16000) <= 1
    assert s.native_rate == 44100 and s.channels == 1


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("o.m4a", {"bit_rate": 64000}),
        ("o.mp3", {"bit_rate": 64000}),
        ("o.ogg", {"bit_rate": 64000}),
        ("o.opus", {"bit_rate": 64000}),
        ("o44.wav", {"rate": 44100}),
        ("o_stereo.m4a", {"bit_rate": 64000, "channels": 2, "rate": 44100}),
    ],
)
@pytest.mark.parametrize("offset", [1.234567, -3.0000104])
def test_reencoded_other(base, ref_file, media_dir, name, kw, offset):
    """AAC, MP3, Opus at 64 kbit/s and 44.1 kHz vs 48 kHz: within 1 ms (measured: a few µs)."""
    p = media_dir / f"{offset}_{name}"
    write_audio(p, excerpt(base, SR, 5.0 + offset, 20.0), SR, **kw)
    res = align(ref_file, p)
    assert abs(res.offset_s - offset) <= 1e-3
    assert res.confidence > 0.5


@pytest.mark.parametrize(("name", "tol"), [("late.mka", 1e-4), ("late.m4a", 1e-3)])
def test_stream_start_time_is_honoured(base, media_dir, name, tol):
    """A stream that starts at 0.5 s in its container, aligned against its own source, gives 0.5 s.

    MP4 stores the start as an edit list in the movie time scale (ms), so FFmpeg's writer rounds it
    (0.68 ms here); Matroska keeps it exactly.
    """
    src = excerpt(base, SR, 10.0, 15.0)
    srcp = media_dir / "src.flac"
    write_audio(srcp, src, SR)
    p = media_dir / name
    write_audio(p, src, SR, start_s=0.5, bit_rate=128000)
    assert probe(p).audio_streams[0].start_time_s == pytest.approx(0.5, abs=0.03)
    res = align(p, srcp)
    assert abs(res.offset_s - 0.5) <= tol
    assert res.ref_t0 == pytest.approx(0.5, abs=0.03)


def test_mpeg_ps_timeline_is_relative_to_container_start(shared_data):
    p = shared_data / "lips" / "grid_bbaf2n.mpg"
    s = load_audio(p)
    info = probe(p)
    assert info.format == "mpeg"
    assert 0.0 <= s.t0 < 0.1
    assert len(info.video_streams) == 1 and len(info.audio_streams) == 1


def test_vorbis_timestamp_jitter_is_not_a_gap(shared_data):
    """Vorbis frames in Ogg carry +-10 ms timestamp jitter; no silence may be inserted for it."""
    p = shared_data / "offset" / "aof_r4_excerpt.ogg"
    s = load_audio(p, sr=44100)
    info = probe(p)
    assert abs(s.duration_s - info.audio_streams[0].duration_s) < 0.002


def _two_audio_streams(path, a, b, sr):
    with av.open(str(path), "w") as c:
        for _ in (a, b):
            s = c.add_stream("pcm_s16le", rate=sr)
            s.layout = "mono"
        for idx, y in enumerate((a, b)):
            st = c.streams.audio[idx]
            fr = av.AudioFrame.from_ndarray((y[None] * 32767).astype(np.int16), format="s16", layout="mono")
            fr.sample_rate = sr
            fr.pts = 0
            fr.time_base = fractions.Fraction(1, sr)
            for p in st.encode(fr):
                c.mux(p)
            for p in st.encode(None):
                c.mux(p)


def test_stream_selection(base, media_dir, ref_file):
    a = excerpt(base, SR, 7.0, 10.0)  # +2 s
    b = excerpt(base, SR, 9.5, 10.0)  # +4.5 s
    p = media_dir / "two.mka"
    _two_audio_streams(p, a, b, SR)
    assert len(probe(p).audio_streams) == 2
    assert align(ref_file, p).offset_s == pytest.approx(2.0, abs=1e-3)
    r = align(ref_file, p, other_stream=1)
    assert r.offset_s == pytest.approx(4.5, abs=1e-3)
    assert r.other_stream == 1
    with pytest.raises(NoStreamError, match="no audio stream 2"):
        load_audio(p, stream=2)


def test_gap_in_timestamps_is_filled(media_dir):
    """Two chunks of audio with a 1 s hole in their timestamps: the hole becomes silence."""
    sr = 16000
    p = media_dir / "gap.mka"
    with av.open(str(p), "w") as c:
        s = c.add_stream("pcm_s16le", rate=sr)
        s.layout = "mono"
        for start in (0, 3 * sr):  # 2 s of audio, 1 s hole, 2 s of audio
            y = np.full((1, 2 * sr), 1000, np.int16)
            y[0, 0] = 30000
            fr = av.AudioFrame.from_ndarray(y, format="s16", layout="mono")
            fr.sample_rate, fr.pts, fr.time_base = sr, start, fractions.Fraction(1, sr)
            for pk in s.encode(fr):
                c.mux(pk)
        for pk in s.encode(None):
            c.mux(pk)
    sig = load_audio(p, sr=sr)
    assert sig.duration_s == pytest.approx(5.0, abs=0.01)
    clicks = np.flatnonzero(np.abs(sig.y) > 0.5)
    assert clicks[0] <= 2 and abs(clicks[-1] - 3 * sr) <= 2
    assert np.abs(sig.y[int(2.2 * sr) : int(2.8 * sr)]).max() < 1e-3


@pytest.mark.parametrize(
    ("name", "kw"),
    [("as_is.flac", {}), ("as_is.wav", {}), ("as_is.m4a", {"bit_rate": 64000}), ("as_is_st.flac", {"channels": 2})],
)
def test_audio_at_the_analysis_rate_skips_the_resampler_bit_exactly(base, media_dir, name, kw):
    """Frames already at the analysis rate and channel count (s16 FLAC/WAV, float AAC) are read as they are:
    the same samples, to the bit, as FFmpeg's resampler gives (the path every other file takes)."""
    sr = 16000
    p = media_dir / name
    write_audio(p, excerpt(base, SR, 1.0, 12.0)[::3], sr, **kw)
    for mono in (True, False):
        with av.open(str(p)) as c:
            st = c.streams.audio[0]
            layout = "mono" if mono else st.layout.name
            res = av.AudioResampler(format="fltp", layout=layout, rate=sr)
            ref = np.concatenate([o.to_ndarray() for f in c.decode(st) for o in res.resample(f)], axis=1)
            ref = np.concatenate([ref, *[o.to_ndarray() for o in res.resample(None)]], axis=1)
        from syncmm.media.reader import AudioReader

        with AudioReader(p, None, rate=sr, mono=mono) as r:
            got = np.concatenate(list(r.chunks()), axis=1)
        assert got.dtype == np.float32 and got.shape == ref.shape
        assert np.array_equal(got, ref)


@pytest.mark.parametrize(
    ("name", "rate", "kw"),
    [
        ("conv.mp3", 44100, {"channels": 2}),
        ("conv.m4a", 48000, {"bit_rate": 64000}),
        ("conv.ogg", 48000, {"codec": "libopus"}),
        ("conv_st.flac", 44100, {"channels": 2}),
        ("conv.wav", 22050, {}),
    ],
)
def test_converted_samples_equal_pyav_resampler(base, media_dir, name, rate, kw):
    """Frames that need converting go through a filter graph read in blocks (syncmm.media._samples.Converter):
    to the bit the samples PyAV's AudioResampler gives frame by frame, mono and in the stream's channels."""
    from syncmm.media.reader import AudioReader

    p = media_dir / name
    x = excerpt(base, SR, 1.0, 13.0)
    if rate != SR:
        x = np.interp(np.arange(int(len(x) * rate / SR)) * SR / rate, np.arange(len(x)), x).astype(np.float32)
    write_audio(p, x, rate, **kw)
    for mono in (True, False):
        with av.open(str(p)) as c:
            st = c.streams.audio[0]
            layout = "mono" if mono else st.layout.name
            res = av.AudioResampler(format="fltp", layout=layout, rate=16000)
            ref = np.concatenate([o.to_ndarray() for f in c.decode(st) for o in res.resample(f)], axis=1)
            ref = np.concatenate([ref, *[o.to_ndarray() for o in res.resample(None)]], axis=1)
        with AudioReader(p, None, rate=16000, mono=mono) as r:
            got = np.concatenate(list(r.chunks()), axis=1)
        assert got.dtype == np.float32 and got.shape == ref.shape
        assert np.array_equal(got, ref)


@pytest.mark.parametrize("fmt", ["fltp", "flt", "s16", "s16p", "s32", "s32p", "dblp", "u8"])
@pytest.mark.parametrize("layout", ["mono", "stereo"])
def test_frames_read_from_their_planes_equal_to_ndarray(rng, fmt, layout):
    from syncmm.media._samples import frames_array

    k = 1 if layout == "mono" else 2
    planar = fmt.endswith("p")
    frames = []
    for m in (1152, 1024, 7):
        shape = (k, m) if planar else (1, m * k)
        dt = {"flt": np.float32, "dbl": np.float64, "s16": np.int16, "s32": np.int32, "u8": np.uint8}[fmt.rstrip("p")]
        x = (rng.standard_normal(shape) * 1000).astype(dt)
        frames.append(av.AudioFrame.from_ndarray(x, format=fmt, layout=layout))
    n = sum(f.samples for f in frames)
    ref = np.concatenate([f.to_ndarray() for f in frames], axis=1)
    got = frames_array(frames, n)
    assert got.dtype == ref.dtype and np.array_equal(got, ref)


def test_bad_files(media_dir):
    with pytest.raises(InputError, match="no such file"):
        load_audio(media_dir / "missing.wav")
    with pytest.raises(InputError, match="directory"):
        load_audio(media_dir)
    empty = media_dir / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        load_audio(empty)
    text = media_dir / "notes.mp4"
    text.write_text("this is not a video\n" * 20)
    with pytest.raises(DecodeError):
        load_audio(text)


@pytest.mark.parametrize("parallel", [False, True])
def test_parallel_and_serial_decoding_agree(base, ref_file, media_dir, parallel):
    """Worker processes (used for long files) give bit-identical results to in-process decoding."""
    p = media_dir / "par.m4a"
    if not p.exists():
        write_audio(p, excerpt(base, SR, 9.87654, 20.0), SR, bit_rate=64000)
    r = align(ref_file, p, parallel=parallel)
    assert abs(r.offset_s - 4.87654) <= 1e-4
    assert r.estimate == align(ref_file, p, parallel=not parallel).estimate


def test_worker_errors_come_back_as_syncmm_errors(ref_file, media_dir):
    from syncmm.exceptions import AlignmentError

    silent = media_dir / "silent.wav"
    write_audio(silent, np.zeros(3 * SR, np.float32), SR)
    with pytest.raises(AlignmentError, match="silent"):
        align(ref_file, silent, parallel=True)
    with pytest.raises(AlignmentError, match="silent"):
        align(silent, ref_file, parallel=True)


def test_decoding_that_stops_early_keeps_the_converted_audio(tmp_path):
    """A stream whose demuxer fails midway (a fuzz case: zeroed bytes in an ADTS stream) is used as far as it
    was decoded: what FFmpeg's converter holds when the error comes (up to its 1-s output block) is kept;
    only the last ~0.5 s of frames queued for it are not (as before the converter read in blocks)."""
    from syncmm.fuzz import damage, fuzz_seeds

    fuzz_seeds(tmp_path)
    data, _ = damage((tmp_path / "a.aac").read_bytes(), np.random.default_rng([12, 360]))
    p = tmp_path / "bad.aac"
    p.write_bytes(data)
    decoded = 0.0
    with av.open(str(p)) as c, pytest.raises(av.error.FFmpegError):
        for pk in c.demux(c.streams.audio[0]):
            try:
                decoded += sum(f.samples / f.sample_rate for f in pk.decode())
            except av.error.FFmpegError:
                pass
    assert decoded > 2.5  # the demuxer stops after ~3 s of the 8-s seed
    sig = load_audio(p, sr=16000, allow_damaged=True)
    assert decoded - 0.55 <= sig.duration_s <= decoded + 0.01


def test_a_frame_relabelled_midstream_is_converted_as_the_stream(rng):
    """A frame with the stream's channel count under another layout label (a damaged header can decode that
    way) would make FFmpeg's filter source stop the stream: its samples are read as the stream's layout,
    the same samples as if it had been labelled so."""
    from syncmm.media._samples import Converter

    xs = [(rng.standard_normal((1, 4800)) * 0.1).astype(np.float32) for _ in range(3)]

    def convert(labels):
        frames = []
        for x, lay in zip(xs, labels, strict=True):
            f = av.AudioFrame.from_ndarray(x, "fltp", lay)
            f.sample_rate = 48000
            frames.append(f)
        c = Converter(16000, "mono", 1, 16000)
        c.push(frames)
        return np.concatenate(c.pull() + c.finish(), axis=1)

    got, ref = convert(["mono", "FL", "mono"]), convert(["mono"] * 3)
    assert got.shape == (1, 4800) and np.array_equal(got, ref)

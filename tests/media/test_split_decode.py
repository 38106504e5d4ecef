"""A file's end decoded by a second process and joined: the same samples as one decode, or no join at all."""

from __future__ import annotations

import math

import numpy as np
import pytest

from syncmm.exceptions import ParameterError
from syncmm.media import load_audio, probe
from syncmm.media.write import write_audio
from syncmm.synth import speech_like

SR = 48000


@pytest.fixture(scope="module")
def base():
    return speech_like(30.0, SR, np.random.default_rng(5))


def _decode(path, rate, start=None):
    from syncmm.media.reader import AudioReader

    with AudioReader(path, None, rate=rate, mono=True) as r:
        return np.concatenate([x[0] for x in r.chunks(start=start)]), r


@pytest.mark.parametrize(
    ("name", "native", "kw"),
    [
        ("a.mp3", 44100, {}),
        ("b.mp3", 48000, {"channels": 2}),
        ("c.flac", 44100, {"channels": 2}),
        ("d.wav", 22050, {}),
        ("e.wav", 48000, {"channels": 2}),
    ],
)
@pytest.mark.parametrize("rate", [16000, 44100])
def test_decoding_from_a_native_sample_gives_the_whole_decodes_samples(base, tmp_path, name, native, kw, rate):
    """From a native sample on the resampler's phase, after WARMUP_S, the samples are the whole decode's to the bit
    (MP3's decoder restarted PREROLL_S early; FFmpeg's resampler restarted on the same phase), to the end."""
    from syncmm.media.split import WARMUP_S

    p = tmp_path / name
    x = base if native == SR else np.interp(np.arange(int(len(base) * native / SR)) * SR / native,
                                            np.arange(len(base)), base).astype(np.float32)  # fmt: skip
    write_audio(p, x, native, **kw)
    whole, r = _decode(p, rate)
    assert r.regular
    period = native // math.gcd(native, rate)
    w = int(WARMUP_S * rate)
    for frac in (0.3, 0.61):
        start = int(len(x) * frac) // period * period
        tail, rt = _decode(p, rate, start)
        q0 = start * rate // native
        assert rt.regular
        assert len(tail) == len(whole) - q0
        assert np.array_equal(tail[w:], whole[q0 + w :])
    if period > 1:  # off the resampler's phase
        with pytest.raises(ParameterError, match="cannot start"):
            _decode(p, rate, start + 1)


def test_decoding_from_a_sample_refuses_a_timeline_container(base, tmp_path):
    p = tmp_path / "a.m4a"
    write_audio(p, base, SR, bit_rate=64000)
    with pytest.raises(ParameterError, match="cannot start"):
        _decode(p, 16000, 48000 * 3)


def _fake_tail(p, start, rate, change_after=False, change_overlap=False, fail=False):
    """A Tail decoded here beforehand (as the second process would), possibly altered."""
    from syncmm.media.split import Tail, decode_tail, tail_span

    cap = int(probe(p).duration_s * rate * 1.01) + rate
    buf = np.zeros(cap, np.float32)
    got = decode_tail(p, rate, None, start, buf)
    assert got is not None
    a, b = tail_span(start, probe(p).audio_streams[0].sample_rate, rate)
    if change_after:
        buf[b : got[0]] += 0.5
    if change_overlap:
        got[1][-1] += 1e-6
    calls = []

    def wait():
        calls.append("wait")
        return None if fail else got

    return Tail(start, buf, wait, lambda: calls.append("cancel")), calls


@pytest.mark.parametrize("how", ["same", "altered after the overlap", "altered overlap", "failed"])
def test_load_audio_joins_a_tail_only_where_it_gives_the_same_samples(base, tmp_path, how):
    p = tmp_path / "a.mp3"
    write_audio(p, base, SR, channels=2)
    whole = load_audio(p, 16000)
    start = len(base) // 2 // 3 * 3
    tail, calls = _fake_tail(p, start, 16000, change_after=how == "altered after the overlap",
                             change_overlap=how == "altered overlap", fail=how == "failed")  # fmt: skip
    got = load_audio(p, 16000, tail=tail)
    assert calls[0] == "wait" and "cancel" in calls
    assert (got.t0, got.warnings, got.native_rate, got.channels) == (whole.t0, whole.warnings, 48000, 2)
    assert len(got.y) == len(whole.y)
    if how == "altered after the overlap":  # joined: the samples are the tail's (so here not the true ones)
        b = (start * 16000 // SR) + int(0.6 * 16000)
        assert np.array_equal(got.y[:b], whole.y[:b]) and np.allclose(got.y[b:], whole.y[b:] + 0.5)
    else:  # the same, or not joined: decoded here to the end
        assert np.array_equal(got.y, whole.y)


@pytest.fixture(scope="module")
def long_mp3(tmp_path_factory):
    d = tmp_path_factory.mktemp("split")
    x = speech_like(130.0, 44100, np.random.default_rng(8))
    p = d / "long.mp3"
    write_audio(p, x, 44100, bit_rate=64000)
    short = d / "short.wav"
    write_audio(short, x[44100 * 40 : 44100 * 50], 44100)
    return p, short


def _record_joins(monkeypatch, log):
    """Patch load_audio's join so that each join's outcome ("True": joined) is appended to the file ``log``, also
    in worker processes (forked: they inherit the patch); returns a function that reads them."""
    from syncmm.media import audio, split

    log.unlink(missing_ok=True)

    def recording_join(*a):
        joined = split.join_tail(*a)
        with open(log, "a") as f:
            f.write(f"{joined}\n")
        return joined

    monkeypatch.setattr(audio, "join_tail", recording_join)
    return lambda: log.read_text().split() if log.exists() else []


def _decode_many_recording_joins(monkeypatch, tmp_path, files):
    """decode_many in worker processes, and the joins the workers made."""
    from syncmm.media.pool import decode_many

    joins = _record_joins(monkeypatch, tmp_path / "joins.txt")
    jobs = [(str(f), probe(f), None, "decode") for f in files]
    out = decode_many(jobs, 16000, True, None, allow_damaged=True, analyse=lambda y, sr, name: len(y))
    try:
        return [(d.meta, d[0 : len(d)], d.analysis) for d in out], joins()
    finally:
        for d in out:
            d.close()


def test_a_long_file_is_decoded_by_two_processes_to_the_same_samples(long_mp3, monkeypatch, tmp_path):
    from syncmm.media.split import split_plan

    long, short = long_mp3
    assert split_plan([(probe(long), None), (probe(short), None)], 16000)[1] is None
    assert split_plan([(probe(long), None), (probe(short), None)], 16000)[0] is not None
    got, joins = _decode_many_recording_joins(monkeypatch, tmp_path, [long, short])
    assert joins == ["True"]
    for f, (meta, y, n) in zip([long, short], got, strict=True):
        sig = load_audio(f, 16000)
        assert np.array_equal(y, sig.y) and n == len(sig.y)
        assert (meta.t0, meta.warnings) == (sig.t0, sig.warnings)


def test_a_tail_that_finds_damage_is_not_joined(long_mp3, monkeypatch, tmp_path):
    """Zeroed bytes at 75 % of the file: the tail is not regular, so the worker decodes to the end itself and
    finds (and reports) the same damage as one decode."""
    long, short = long_mp3
    data = bytearray(long.read_bytes())
    k = int(len(data) * 0.75)
    data[k : k + 3000] = bytes(3000)
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(bytes(data))
    sig = load_audio(bad, 16000, allow_damaged=True)
    assert sig.warnings  # the damage is seen
    got, joins = _decode_many_recording_joins(monkeypatch, tmp_path, [bad, short])
    assert joins == ["False"]
    meta, y, _ = got[0]
    assert np.array_equal(y, sig.y) and meta.warnings == tuple(f"{bad}: {w}" for w in sig.warnings)


def test_only_a_file_that_is_most_of_the_work_and_decodes_exactly_from_any_packet_is_split(long_mp3, tmp_path):
    from syncmm.media.split import SPLIT_MIN_S, split_plan

    long, short = long_mp3
    li, si = probe(long), probe(short)
    assert split_plan([(li, None)], 16000) != [None]  # alone: all the work
    assert split_plan([(li, None), (li, None)], 16000) == [None, None]  # half each
    start = split_plan([(li, None), (si, None)], 16000)[0]
    assert start % 441 == 0 and abs(start / 44100 - li.duration_s / 2) < 0.02  # mid-file, on 44.1 -> 16 kHz phase
    aac = tmp_path / "long.m4a"
    write_audio(aac, speech_like(SPLIT_MIN_S + 10, 16000, np.random.default_rng(1)), 16000, bit_rate=32000)
    assert split_plan([(probe(aac), None), (si, None)], 16000) == [None, None]  # AAC: not exact from a packet
    assert split_plan([(si, None)], 16000) == [None]  # shorter than SPLIT_MIN_S


def _decode_split_here(p, sr, monkeypatch, log):
    """``load_audio`` with the end decoded beforehand from mid-file (as the second process would, into the buffer
    they share) and joined where it agrees; the result (or the error) and whether the join was taken."""
    from syncmm.exceptions import SyncmmError
    from syncmm.media import split
    from syncmm.media.split import Tail, decode_tail, split_start

    monkeypatch.setattr(split, "SPLIT_MIN_S", 0.0)
    joins = _record_joins(monkeypatch, log)
    try:
        info = probe(p)
        start = split_start(info, None, sr)
        if start is None:
            return None, None
        buf = np.zeros(int((info.duration_s or 60.0) * sr * 1.01) + sr, np.float32)
        try:
            got = decode_tail(p, sr, None, start, buf)
        except SyncmmError:
            got = None
        sig = load_audio(p, sr, allow_damaged=True, tail=Tail(start, buf, lambda: got, lambda: None))
        return ("ok", sig.y.tobytes(), sig.warnings, sig.t0), joins()[0] == "True"
    except SyncmmError as e:
        return ("error", type(e).__name__, str(e)), joins()[0] == "True" if joins() else None


def _decode_whole(p, sr):
    from syncmm.exceptions import SyncmmError

    try:
        sig = load_audio(p, sr, allow_damaged=True)
        return ("ok", sig.y.tobytes(), sig.warnings, sig.t0)
    except SyncmmError as e:
        return ("error", type(e).__name__, str(e))


def test_real_files_split_and_joined_give_their_whole_decode(shared_data, monkeypatch, tmp_path):
    """Every raw MP3, FLAC and WAV file in ../shared/data, split in the middle, at 16 and 44.1 kHz."""
    exts = {".mp3", ".flac", ".wav"}
    files = sorted(p for p in shared_data.rglob("*") if p.suffix.lower() in exts and p.is_file())
    seen = 0
    for p in files:
        for sr in (16000, 44100):
            got, joined = _decode_split_here(p, sr, monkeypatch, tmp_path / "joins.txt")
            if got is None:
                continue
            seen += 1
            assert got == _decode_whole(p, sr), (p.name, sr)
            assert joined, (p.name, sr)  # clean files: the join is taken
    assert seen >= 10


def test_damaged_files_split_and_joined_give_their_whole_decode(tmp_path, monkeypatch):
    """Damaged copies (syncmm.fuzz.damage: flipped bits, cuts, zeroed, inserted or repeated blocks) of a 40-s MP3
    (mono, stereo), FLAC and WAV: the same samples, warnings and start, or the same error, as one decode; the
    join taken where both parts decoded cleanly and agree, not taken otherwise."""
    from syncmm.fuzz import damage

    x = speech_like(40.0, 44100, np.random.default_rng(2))
    joins = []
    for name, kw in (("a.mp3", {"bit_rate": 64000}), ("b.mp3", {"channels": 2}), ("c.flac", {}), ("d.wav", {})):
        clean = tmp_path / name
        write_audio(clean, x, 44100, **kw)
        data = clean.read_bytes()
        for k in range(8):
            bad = tmp_path / f"bad_{k}_{name}"
            bad.write_bytes(damage(data, np.random.default_rng([7, k]))[0])
            got, joined = _decode_split_here(bad, 16000, monkeypatch, tmp_path / "joins.txt")
            if got is None:  # the damage hides what the file is
                continue
            assert got == _decode_whole(bad, 16000), bad.name
            joins.append(joined)
    assert len(joins) >= 24 and joins.count(True) >= 4 and joins.count(False) >= 4


def test_align_with_several_others_splits_a_long_one_decoded_alone(long_mp3, monkeypatch, tmp_path):
    """`align REF A B`: REF is decoded once, with A; B is then decoded alone, by two processes when it is a long
    MP3 (it was decoded in the parent, on one core); the same estimates as decoding everything in the parent."""
    from syncmm.jobs.align import align_many

    long, short = long_mp3
    joins = _record_joins(monkeypatch, tmp_path / "joins.txt")
    got = list(align_many(short, [short, long]))
    assert joins() == ["True"]  # A (10 s, with REF) decoded here; B split
    ref = list(align_many(short, [short, long], parallel=False))
    assert [r.estimate for r in got] == [r.estimate for r in ref]
    assert abs(got[1].offset_s + 40.0) < 1e-3  # REF is B's 40-50 s

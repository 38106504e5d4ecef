"""Decode workers: samples written into memory shared with the parent, or served through the pipe when they do not
fit there; the same samples as one decode in this process either way."""

from __future__ import annotations

import dataclasses
import mmap

import numpy as np
import pytest

from syncmm.media import load_audio, pool, probe
from syncmm.media.write import write_audio
from syncmm.synth import speech_like


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("pool")
    x = speech_like(130.0, 44100, np.random.default_rng(3))
    long = d / "long.mp3"  # most of the work: split between two processes
    write_audio(long, x, 44100, bit_rate=64000)
    aac = d / "clip.m4a"
    write_audio(aac, x[44100 * 20 : 44100 * 35], 44100, bit_rate=64000)
    return long, aac


@pytest.fixture(scope="module")
def excerpt(files, tmp_path_factory):
    """70 s of the long file from 40 s on (drift is measured: >= 60 s of overlap)."""
    p = tmp_path_factory.mktemp("pool") / "excerpt.wav"
    write_audio(p, load_audio(files[0], 44100).y[44100 * 40 : 44100 * 110], 44100)
    return p


def _decode_many(files, **info_changes):
    jobs = [(str(f), dataclasses.replace(probe(f), **info_changes), None, "decode") for f in files]
    out = pool.decode_many(jobs, 16000, True, None, analyse=lambda y, sr, name: float(np.sum(y, dtype=np.float64)))
    try:
        return [(d.local, d.meta, d[0 : len(d)].copy(), d[1000:1100].copy(), d.analysis) for d in out]
    finally:
        pool.close_all(out)  # every worker told to end, then each waited for
        assert not any(d._proc.is_alive() for d in out if isinstance(d, pool._RemoteAudio))


def _assert_same_as_one_decode(files, got):
    for f, (_, meta, y, window, analysis) in zip(files, got, strict=True):
        sig = load_audio(f, 16000)
        assert np.array_equal(y, sig.y)
        assert np.array_equal(window, sig.y[1000:1100])
        assert (meta.t0, meta.warnings, meta.stream_index) == (sig.t0, sig.warnings, sig.stream_index)
        assert analysis == float(np.sum(sig.y, dtype=np.float64))  # computed on the worker's samples


def test_worker_samples_are_read_from_memory_shared_with_the_parent(files):
    got = _decode_many(files)
    assert [g[0] for g in got] == [True, True]
    _assert_same_as_one_decode(files, got)


def test_samples_that_outgrow_the_shared_memory_are_served_through_the_pipe(files, monkeypatch):
    """A stream longer than its probe said (the mapping is made at the probed length): the worker's samples move
    to memory of its own, the parent asks for windows through the pipe; a split file's tail does not fit either
    and is not joined.  Same samples."""
    real = pool._shared_samples

    def half(info, sr):
        mm = real(info, sr)
        return None if mm is None else mmap.mmap(-1, len(mm) // 2)

    monkeypatch.setattr(pool, "_shared_samples", half)
    got = _decode_many(files)
    assert [g[0] for g in got] == [False, False]
    _assert_same_as_one_decode(files, got)


def test_a_stream_of_unknown_length_is_served_through_the_pipe(files):
    got = _decode_many(files, duration_s=None)
    assert [g[0] for g in got] == [False, False]
    _assert_same_as_one_decode(files, got)


def test_no_shared_memory_for_an_implausible_length(files):
    assert pool._shared_samples(dataclasses.replace(probe(files[1]), duration_s=pool.SHARED_MAX_S * 2), 16000) is None
    assert pool._shared_samples(dataclasses.replace(probe(files[1]), duration_s=-1.0), 16000) is None


def test_align_reads_the_same_windows_from_shared_memory_and_through_the_pipe(files, excerpt, monkeypatch):
    """The drift stage reads windows from two threads: through the pipe one request at a time."""
    from syncmm import align

    shared = align(files[0], excerpt, parallel=True)
    assert shared.drift is not None and abs(shared.estimate.offset_s - 40.0) < 1e-3
    monkeypatch.setattr(pool, "_shared_samples", lambda info, sr: None)
    piped = align(files[0], excerpt, parallel=True)
    assert (piped.estimate, piped.drift) == (shared.estimate, shared.drift)


def _made_here(made: list):
    """The align path's streamed analysis, noting each analysis and each feed it makes in this process."""
    from syncmm.jobs.align import _streamed

    def streamed(sr, name):
        s = _streamed(sr, name)
        feed, finish = s.feed, s.finish
        s.feed = lambda y: (made.append(("feed", len(y))), feed(y))[1]
        s.finish = lambda y: (made.append(("finish", len(y))), finish(y))[1]
        return s

    return streamed


def test_a_file_decoded_while_a_core_is_free_is_analysed_here_as_it_arrives(excerpt):
    """One worker left decoding (here the only one): this process claims its analysis and makes it from the
    shared samples as they arrive; the worker skips it.  The same features as the worker's own analysis."""
    from syncmm.jobs.align import _analyse

    made: list = []
    jobs = [(str(excerpt), probe(excerpt), None, "decode")]
    (d,) = pool.decode_many(jobs, 16000, True, None, analyse=_analyse, streamed=_made_here(made))
    try:
        want = _analyse(load_audio(excerpt, 16000).y, 16000, str(excerpt))
        assert d.local and made[-1] == ("finish", len(d)) and [m for m in made if m[0] == "feed"]
        assert np.array_equal(d.analysis.features.X, want.features.X)
        assert np.array_equal(d.analysis.activity, want.activity) and d.analysis.n == want.n
    finally:
        pool.close_all([d])


def test_an_analysis_made_here_fails_as_the_workers_would(tmp_path):
    from syncmm.exceptions import AlignmentError
    from syncmm.jobs.align import _analyse

    silent = tmp_path / "silent.wav"
    write_audio(silent, np.zeros(16000 * 40, np.float32), 16000)
    made: list = []
    jobs = [(str(silent), probe(silent), None, "decode")]
    (err,) = pool.decode_many(jobs, 16000, True, None, analyse=_analyse, streamed=_made_here(made))
    assert isinstance(err, AlignmentError) and made[-1][0] == "finish"
    with pytest.raises(AlignmentError) as e:
        _analyse(load_audio(silent, 16000).y, 16000, str(silent))
    assert str(err) == str(e.value)


def test_two_files_give_the_workers_analyses_wherever_they_are_made(files):
    from syncmm.jobs.align import _analyse

    jobs = [(str(f), probe(f), None, "decode") for f in files]
    out = pool.decode_many(jobs, 16000, True, None, analyse=_analyse, streamed=_made_here([]))
    try:
        for f, d in zip(files, out, strict=True):
            want = _analyse(load_audio(f, 16000).y, 16000, str(f))
            assert np.array_equal(d.analysis.features.X, want.features.X) and d.analysis.n == want.n
    finally:
        pool.close_all(out)

"""Decode several audio files at once, each in its own worker process that keeps its samples.

Each worker decodes its file into memory it shares with the parent (a mapping of the probed length, made
before the fork) and runs an analysis callable on the samples while it has them (the caller's coarse
features); the parent receives the metadata and that analysis through a pipe, and reads the short windows
it needs straight from the shared memory, so long waveforms are neither copied nor sent.  (A stream longer
than its probe said outgrows that memory: its windows are then sent through the pipe on demand.)  A decoded
file is a :class:`~syncmm.types.SampleSource` (length and slicing), whether its samples are local or remote.

A file that is most of the work (:func:`~syncmm.media.split.split_plan`: a long MP3 against a short clip)
is decoded by two processes: a second one decodes its second half into memory the two share, and the
worker joins it to its own first half when the two give the same samples where they meet
(:class:`~syncmm.media.split.Tail`).

Once a core is free (one file decoded, the other still decoding), the parent makes the analysis of the file
still decoding itself, from the shared samples as they arrive (:class:`StreamedAnalysis`), so that little of
it is left when that decode ends; the worker then skips it.  The workers' side: :mod:`syncmm.media._worker`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import mmap
import multiprocessing as mp
import os
import sys
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Protocol

import numpy as np

from ..exceptions import DecodeError, SyncmmError
from ..types import MediaInfo, Signal
from ._samples import capacity
from ._worker import Analyse, decode, serve, serve_tail
from .split import split_plan

StageFn = Callable[[str, float, "float | None"], None]


class StreamedAnalysis(Protocol):
    """The worker's analysis made in the parent as the samples arrive: ``feed`` the stream's start decoded so
    far (growing, in the same memory), then ``finish`` with all of it; the same result as ``Analyse``."""

    def feed(self, y: np.ndarray) -> None: ...

    def finish(self, y: np.ndarray) -> object: ...


#: Makes the :class:`StreamedAnalysis` of one file from ``(rate, name)``.
Streamed = Callable[[int, str], StreamedAnalysis]


class DecodedAudio:
    """One decoded audio stream: its metadata, the worker's analysis, and slicing access to its samples."""

    def __init__(self, info: MediaInfo, meta: Signal, n: int, analysis: object):
        self.info = info
        self.meta = meta  # the Signal's fields; ``y`` is empty (the samples are reached by slicing self)
        self.n = n
        self.analysis = analysis

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, sl: slice) -> np.ndarray:
        raise NotImplementedError

    @property
    def local(self) -> bool:
        """The samples are in this process's memory (its own, or shared with the worker): reading asks no one."""
        return True

    def close(self) -> None:
        """Let the worker go (nothing for local samples)."""

    @property
    def duration_s(self) -> float:
        return self.n / self.meta.sr


class _LocalAudio(DecodedAudio):
    def __init__(self, info: MediaInfo, sig: Signal, analysis: object):
        super().__init__(info, dataclasses.replace(sig, y=np.zeros(0, np.float32)), len(sig.y), analysis)
        self._y = sig.y

    def __getitem__(self, sl: slice) -> np.ndarray:
        return self._y[sl]


class _RemoteAudio(DecodedAudio):
    """Samples a worker process decoded: read from memory the two share, or else asked for through a pipe."""

    def __init__(self, info: MediaInfo, meta: Signal, n: int, analysis: object, conn: Connection, proc,
                 shared: mmap.mmap | None = None):  # fmt: skip
        super().__init__(info, meta, n, analysis)
        self._conn, self._proc = conn, proc
        self._y = None if shared is None else np.frombuffer(shared, np.float32, n)
        self._asking = threading.Lock()  # one request at a time on the pipe (readers may be threads)

    @property
    def local(self) -> bool:
        return self._y is not None

    def __getitem__(self, sl: slice) -> np.ndarray:
        if self._y is not None:
            return self._y[sl]
        a, b, _ = sl.indices(self.n)
        try:
            with self._asking:
                self._conn.send((a, b))
                return self._conn.recv()
        except (EOFError, OSError) as e:
            raise DecodeError(f"{self.info.path}: the decoder process ended unexpectedly") from e

    def close(self) -> None:
        self._release()
        self._reap()

    def _release(self) -> None:
        """Tell the worker to end (it frees its memory as it exits)."""
        self._y = None  # (the mapping goes with the last view of it)
        if self._conn.closed:
            return
        with contextlib.suppress(OSError):
            self._conn.send(None)
        with contextlib.suppress(OSError):
            self._conn.close()

    def _reap(self) -> None:
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.kill()


def close_all(audio: Sequence[DecodedAudio | None]) -> None:
    """Close several decoded streams at once: every worker is told to end before any is waited for (a
    worker takes ~15 ms to free its memory and exit; one after the other, the waits add up)."""
    remote = [a for a in audio if isinstance(a, _RemoteAudio)]
    for a in remote:
        a._release()
    for a in audio:
        if a is not None and not isinstance(a, _RemoteAudio):
            a.close()
    for a in remote:
        a._reap()


class _Here:
    """A worker's analysis as this process makes it (:class:`StreamedAnalysis`), from the samples it shares."""

    #: Feed the analysis when at least this many new samples are there (at 16 kHz about 5 s: the worker's
    #: progress messages come every 5 s of the stream).
    MIN_NEW = 65536

    def __init__(self, analysis: StreamedAnalysis, samples: np.ndarray, claim: mmap.mmap):
        self.analysis, self.samples, self.claim = analysis, samples, claim
        self.claimed = False
        self.fed = 0

    def feed(self, n: int) -> None:
        """The worker holds ``n`` final samples in the shared memory (-1: they outgrew it)."""
        if 0 <= n <= len(self.samples) and n - self.fed >= self.MIN_NEW:
            self.analysis.feed(self.samples[:n])
            self.fed = n

    def finish(self, n: int) -> object:
        return self.analysis.finish(self.samples[:n])


#: Files longer than this (by their probe) keep their samples in the worker's own memory (a mapping of the
#: probed length is made up front; a damaged header can claim days).
SHARED_MAX_S = 24 * 3600.0


def _shared_samples(info: MediaInfo, sr: int) -> mmap.mmap | None:
    """Memory for a file's samples at ``sr`` (as load_audio reserves for its probed length) that a forked worker
    writes and this process reads; None when the length is unknown or implausible."""
    d = info.duration_s
    if not d or not 0 < d <= SHARED_MAX_S:
        return None
    try:
        return mmap.mmap(-1, 4 * capacity(d, sr))
    except (OSError, ValueError, OverflowError):
        return None


def _mp_context():
    return mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def decode_many(
    jobs: Sequence[tuple[str, MediaInfo, int | None, str]],
    sr: int,
    parallel: bool,
    progress: StageFn | None,
    allow_damaged: bool = False,
    *,
    analyse: Analyse,
    streamed: Streamed | None = None,
    while_waiting: Callable[[], None] | None = None,
) -> list[DecodedAudio | SyncmmError]:
    """Decode several files at ``sr`` (in parallel processes if ``parallel``); errors are returned, not raised.

    Parameters
    ----------
    jobs : sequence of (path, MediaInfo, stream or None, progress stage name)
    sr : int
        Decode rate.
    parallel : bool
        One worker process per file (the samples stay there), else decoded here.
    progress : callable, optional
        ``progress(stage, done_s, total_s)``.
    allow_damaged : bool
        Go on with damaged input (:func:`~syncmm.media.load_audio`).
    analyse : callable
        Run on each file's samples where they are decoded; the result is ``DecodedAudio.analysis``.
    streamed : callable, optional
        The same analysis made here, from the samples a worker writes into the memory it shares with this
        process, as it writes them (:class:`StreamedAnalysis`).  Used for a file still being decoded once a
        core is free (at most one decoding process left), so that its analysis is mostly done when its
        decoding ends, instead of after; the worker then skips ``analyse``.
    while_waiting : callable, optional
        The caller's own work, run here once the workers are started (after the fork, so no thread of it
        is copied into them) and before their results are collected; first when decoding here.
    """
    out: list[DecodedAudio | SyncmmError | None] = [None] * len(jobs)
    if not parallel:
        if while_waiting:
            while_waiting()
        for i, (path, info, stream, stage) in enumerate(jobs):
            cb = (lambda d, t, s=stage: progress(s, d, t)) if progress else None
            try:
                sig, an = decode(path, sr, stream, cb, allow_damaged, analyse)
                out[i] = _LocalAudio(info, sig, an)
            except SyncmmError as e:
                out[i] = e
        return out  # type: ignore[return-value]
    ctx = _mp_context()
    fork = ctx.get_start_method() == "fork"  # (memory shared through a mapping made before the fork)
    pending: dict[Connection, tuple[int, object, mmap.mmap | None]] = {}
    tails: list = []
    here: dict[int, _Here] = {}  # jobs whose analysis may be made here (streamed)
    try:
        plan = split_plan([(info, stream) for _, info, stream, _ in jobs], sr)
        for i, (path, info, stream, _stage) in enumerate(jobs):
            mm = _shared_samples(info, sr) if fork else None
            tail = None
            start = plan[i] if mm is not None else None
            if start is not None:  # the file's end decoded beside, into the same shared memory
                t_read, t_write = ctx.Pipe(duplex=False)
                tproc = ctx.Process(target=serve_tail, args=(t_write, str(path), sr, stream, start, mm,
                                                              os.getpid()), daemon=True)  # fmt: skip
                tproc.start()
                t_write.close()
                tails.append(tproc)
                tail = (start, t_read, tproc.pid)
            claim = None
            if streamed is not None and mm is not None:
                claim = mmap.mmap(-1, 8)
                here[i] = _Here(streamed(sr, str(path)), np.frombuffer(mm, np.float32), claim)
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=serve, args=(child, str(path), sr, stream, os.getpid(), allow_damaged,
                                                    analyse, mm, tail, claim), daemon=True)  # fmt: skip
            proc.start()
            child.close()
            if tail is not None:  # (closed here before the next fork: only the owner holds it)
                tail[1].close()
            pending[parent] = (i, proc, mm)
        if while_waiting:
            while_waiting()
        while pending:
            # a core is free once at most one process decodes: the analysis of a file still being decoded is
            # then made here as its samples arrive (claimed: its worker will not make it)
            unclaimed = [h for i, h in here.items() if not h.claimed and any(v[0] == i for v in pending.values())]
            if unclaimed and len(pending) + sum(t.is_alive() for t in tails) <= 1:
                for h in unclaimed:
                    h.claim[0] = 1
                    h.claimed = True
            for conn in wait(list(pending)):
                i, proc, mm = pending[conn]
                path, info, stream, stage = jobs[i]
                try:
                    msg = conn.recv()
                except EOFError:
                    msg = ("error", DecodeError(f"{path}: the decoder process ended unexpectedly"))
                if msg[0] == "progress":
                    if progress:
                        progress(stage, msg[1], msg[2])
                    h = here.get(i)
                    if h is not None and h.claimed:
                        h.feed(msg[3])
                    continue
                del pending[conn]
                if msg[0] == "ready" and i in here and here[i].claimed and msg[3] is None and msg[4]:  # made here
                    try:
                        msg = (*msg[:3], here[i].finish(msg[2]), msg[4])
                    except SyncmmError as e:
                        conn.send(None)
                        msg = ("error", e)
                if msg[0] == "ready":
                    out[i] = _RemoteAudio(info, msg[1], msg[2], msg[3], conn, proc, mm if msg[4] else None)
                else:
                    conn.close()
                    proc.join(timeout=5)
                    err = msg[1]
                    if not isinstance(err, SyncmmError):
                        raise err  # an internal error in the worker (exit 70)
                    out[i] = err
        for proc in tails:  # done, or of no more use to their owners
            proc.kill()
            proc.join(timeout=5)
    except BaseException:
        for conn, (_, proc, _mm) in pending.items():
            proc.kill()
            conn.close()
        for proc in tails:
            proc.kill()
        for r in out:
            if isinstance(r, DecodedAudio):
                r.close()
        raise
    return out  # type: ignore[return-value]

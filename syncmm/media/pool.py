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
"""

from __future__ import annotations

import contextlib
import dataclasses
import mmap
import multiprocessing as mp
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait

import numpy as np

from ..exceptions import DecodeError, SyncmmError
from ..types import MediaInfo, Signal
from ._samples import capacity
from .split import split_plan

StageFn = Callable[[str, float, "float | None"], None]
#: Runs in the worker on ``(samples, rate, name)``; its result travels to the parent (must pickle).
Analyse = Callable[[np.ndarray, int, str], object]


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


def _serve_tail(conn: Connection, path: str, sr: int, stream: int | None, start: int, mm: mmap.mmap,
                parent: int) -> None:  # fmt: skip
    """Tail process: decode the end of a stream into the shared buffer, then tell the owner (:class:`Tail`)."""
    import logging

    from .._proc import die_with_parent
    from .split import decode_tail

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)
    logging.disable(logging.CRITICAL)  # what this part finds is found and told again by the owner's decode
    try:
        got = decode_tail(path, sr, stream, start, np.frombuffer(mm, np.float32))
    except BaseException:  # noqa: BLE001 - the owner decodes this part itself, and reports what it finds
        got = None
    with contextlib.suppress(OSError):
        conn.send(got)


def _tail_link(start: int, buffer: np.ndarray, conn: Connection, pid: int):
    from .split import Tail

    def wait():
        try:
            return conn.recv()
        except (EOFError, OSError):
            return None

    def cancel():
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(EOFError, OSError):
            while True:  # until the process is gone (its end of the pipe closes): no more writes
                conn.recv()
        conn.close()

    return Tail(start, buffer, wait, cancel)


def _decode(path, sr, stream, progress, allow_damaged: bool, analyse: Analyse, tail=None, out=None
            ) -> tuple[Signal, object]:  # fmt: skip
    from .audio import load_audio

    sig = load_audio(path, sr=sr, stream=stream, progress=progress, allow_damaged=allow_damaged, tail=tail, out=out)
    if sig.warnings:
        sig = dataclasses.replace(sig, warnings=tuple(f"{path}: {w}" for w in sig.warnings))
    return sig, analyse(sig.y, sr, str(path))


def _serve(conn: Connection, path: str, sr: int, stream: int | None, parent: int, allow_damaged: bool,
           analyse: Analyse, mm: mmap.mmap | None = None, tail: tuple | None = None) -> None:  # fmt: skip
    """Worker process: decode (into ``mm``, shared with the parent, when the samples fit), send the analysis,
    then serve windows (of samples that did not fit) until told to stop."""
    from .._proc import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends the workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)
    try:
        out = None if mm is None else np.frombuffer(mm, np.float32)
        link = _tail_link(tail[0], out, *tail[1:]) if tail else None
        sig, an = _decode(path, sr, stream, lambda d, t: conn.send(("progress", d, t)), allow_damaged, analyse,
                          link, out)  # fmt: skip
        shared = out is not None and np.shares_memory(sig.y, out)
        conn.send(("ready", dataclasses.replace(sig, y=np.zeros(0, np.float32)), len(sig.y), an, shared))
    except BaseException as e:  # noqa: BLE001 - everything is reported to the parent
        try:
            conn.send(("error", e))
        except Exception:  # noqa: BLE001 - an unpicklable exception
            conn.send(("error", DecodeError(f"{path}: {type(e).__name__}: {e}")))
        return
    y = sig.y
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        a, b = msg
        conn.send(np.array(y[a:b]))


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
                sig, an = _decode(path, sr, stream, cb, allow_damaged, analyse)
                out[i] = _LocalAudio(info, sig, an)
            except SyncmmError as e:
                out[i] = e
        return out  # type: ignore[return-value]
    ctx = _mp_context()
    fork = ctx.get_start_method() == "fork"  # (memory shared through a mapping made before the fork)
    pending: dict[Connection, tuple[int, object, mmap.mmap | None]] = {}
    tails: list = []
    try:
        plan = split_plan([(info, stream) for _, info, stream, _ in jobs], sr)
        for i, (path, info, stream, _stage) in enumerate(jobs):
            mm = _shared_samples(info, sr) if fork else None
            tail = None
            start = plan[i] if mm is not None else None
            if start is not None:  # the file's end decoded beside, into the same shared memory
                t_read, t_write = ctx.Pipe(duplex=False)
                tproc = ctx.Process(target=_serve_tail, args=(t_write, str(path), sr, stream, start, mm,
                                                              os.getpid()), daemon=True)  # fmt: skip
                tproc.start()
                t_write.close()
                tails.append(tproc)
                tail = (start, t_read, tproc.pid)
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(child, str(path), sr, stream, os.getpid(), allow_damaged,
                                                    analyse, mm, tail), daemon=True)  # fmt: skip
            proc.start()
            child.close()
            if tail is not None:  # (closed here before the next fork: only the owner holds it)
                tail[1].close()
            pending[parent] = (i, proc, mm)
        if while_waiting:
            while_waiting()
        while pending:
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
                    continue
                del pending[conn]
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

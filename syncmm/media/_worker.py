"""The decode worker processes of :mod:`syncmm.media.pool` (their side of it): decode a file into memory shared
with the parent, analyse it unless the parent does, then serve windows of samples that did not fit there; and
the process that decodes a split file's end (:mod:`syncmm.media.split`)."""

from __future__ import annotations

import contextlib
import dataclasses
import mmap
import os
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection

import numpy as np

from ..exceptions import DecodeError
from ..types import Signal

#: Runs in the worker on ``(samples, rate, name)``; its result travels to the parent (must pickle).
Analyse = Callable[[np.ndarray, int, str], object]


def serve_tail(conn: Connection, path: str, sr: int, stream: int | None, start: int, mm: mmap.mmap,
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


def decode(path, sr, stream, progress, allow_damaged: bool, analyse: Analyse, tail=None, out=None,
           on_samples=None, skip: Callable[[Signal], bool] | None = None) -> tuple[Signal, object]:  # fmt: skip
    """Decode, then analyse (unless ``skip(signal)``: the parent does; the analysis is then None)."""
    from .audio import load_audio

    sig = load_audio(path, sr=sr, stream=stream, progress=progress, allow_damaged=allow_damaged, tail=tail, out=out,
                     on_samples=on_samples)  # fmt: skip
    if sig.warnings:
        sig = dataclasses.replace(sig, warnings=tuple(f"{path}: {w}" for w in sig.warnings))
    return sig, None if skip is not None and skip(sig) else analyse(sig.y, sr, str(path))


def serve(conn: Connection, path: str, sr: int, stream: int | None, parent: int, allow_damaged: bool,
          analyse: Analyse, mm: mmap.mmap | None = None, tail: tuple | None = None,
          claim: mmap.mmap | None = None) -> None:  # fmt: skip
    """Worker process: decode (into ``mm``, shared with the parent, when the samples fit), send the analysis,
    then serve windows (of samples that did not fit) until told to stop.

    Each progress message says how many samples ``mm`` holds so far (-1: none there, they outgrew it).  When
    the parent has set ``claim`` (it makes the analysis itself, from those samples) and the samples are all in
    ``mm``, no analysis is made here (None is sent)."""
    from .._proc import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends the workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)
    try:
        out = None if mm is None else np.frombuffer(mm, np.float32)
        link = _tail_link(tail[0], out, *tail[1:]) if tail else None
        held = [-1]  # samples final in out

        def on_samples(a: np.ndarray, n: int) -> None:
            held[0] = n if a is out else -1

        def claimed(sig: Signal) -> bool:
            return claim is not None and claim[0] == 1 and out is not None and np.shares_memory(sig.y, out)

        sig, an = decode(path, sr, stream, lambda d, t: conn.send(("progress", d, t, held[0])), allow_damaged,
                         analyse, link, out, on_samples, claimed)  # fmt: skip
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

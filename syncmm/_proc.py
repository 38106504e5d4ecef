"""Child processes that cannot outlive the command that started them."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

#: Set by the command's SIGTERM/SIGINT handler.  The handler also raises KeyboardInterrupt, but when the signal
#: lands while Python code runs inside a C library's callback (a decoder's log hook) that exception is swallowed
#: there; long loops and the final rename of every output check this flag, so the stop is never lost.
INTERRUPTED = threading.Event()


def raise_if_interrupted() -> None:
    """Raise KeyboardInterrupt if the command was told to stop (see :data:`INTERRUPTED`)."""
    if INTERRUPTED.is_set():
        raise KeyboardInterrupt


def die_with_parent(parent_pid: int | None = None) -> None:
    """Make this (worker) process die with its parent, and let go of the parent's stdin and stdout.

    Linux: ``PR_SET_PDEATHSIG`` sends SIGKILL when the parent dies (kill -9 included); elsewhere nothing is set.
    If the parent is already gone, exit at once.  Standard input and output become ``/dev/null``: a worker never
    prints results, and a script reading the command's stdout must see it close when the command ends.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        os.close(null)

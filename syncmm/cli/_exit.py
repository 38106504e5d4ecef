"""The single exception -> exit-code table (GUIDE §4) and the handler every command runs under."""

from __future__ import annotations

import functools
import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import typer

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_NO_ALIGNMENT = 4
EXIT_OUTPUT = 5
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    EXIT_OK: "ok",
    EXIT_CHECK_FAILED: "check failed (offset beyond --tolerance, confidence below --min-confidence)",
    EXIT_USAGE: "usage error (bad option or argument value)",
    EXIT_INPUT: "an input could not be read or decoded, or lacks the needed stream",
    EXIT_NO_ALIGNMENT: "no reliable alignment found (no shared content, silence, too little content)",
    EXIT_OUTPUT: "an output could not be written",
    EXIT_INTERNAL: "internal error (traceback with -vv)",
    EXIT_INTERRUPTED: "interrupted",
}

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("syncmm")


def exit_code_for(exc: BaseException) -> int:
    """Map an exception to its exit code."""
    from ..exceptions import SyncmmError

    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, SyncmmError):
        return exc.exit_code
    return EXIT_INTERNAL


def error_line(exc: BaseException) -> str:
    """One line describing ``exc`` for stderr."""
    from ..exceptions import SyncmmError

    if isinstance(exc, KeyboardInterrupt):
        return "syncmm: interrupted"
    if isinstance(exc, SyncmmError):
        return f"syncmm: error: {exc}"
    return f"syncmm: internal error: {type(exc).__name__}: {exc} (run with -vv for a traceback)"


def sigterm_as_interrupt() -> None:
    """From now on SIGTERM (a batch system or CI stopping us) cleans up like Ctrl-C: exit 130, one line.

    Installed for the whole command, not just around a write: a handler restored at the end of a write could
    turn a SIGTERM that arrived during its last C call into a silently ignored one.
    """
    import contextlib
    import signal

    from .._proc import INTERRUPTED

    def handler(signum, frame):
        INTERRUPTED.set()  # remembered: the exception below can be swallowed inside a C library's callback
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread (embedded use): leave signals alone
        signal.signal(signal.SIGTERM, handler)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # Ctrl-C: the same, remembered
            signal.signal(signal.SIGINT, handler)


def handle_errors(fn: F) -> F:
    """Run a command; turn any exception into one line on stderr and its exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except (Exception, KeyboardInterrupt) as exc:  # the one place where errors become exit codes
            code = exit_code_for(exc)
            if code == EXIT_INTERNAL and log.isEnabledFor(logging.DEBUG):
                traceback.print_exc(file=sys.stderr)
            print(error_line(exc).replace("\n", " "), file=sys.stderr)
            raise typer.Exit(code) from None

    return wrapper  # type: ignore[return-value]

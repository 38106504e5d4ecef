"""Exception hierarchy.  Each class carries the process exit code the CLI maps it to (GUIDE §4)."""

from __future__ import annotations


class SyncmmError(Exception):
    """Base class of every error syncmm raises on purpose."""

    exit_code: int = 70


class ParameterError(SyncmmError, ValueError):
    """An option or argument value is invalid (exit 2)."""

    exit_code = 2


class InputError(SyncmmError):
    """An input file is missing, unreadable or not media (exit 3)."""

    exit_code = 3


class DecodeError(InputError):
    """An input could be opened but not decoded (exit 3)."""


class NoStreamError(InputError):
    """An input lacks the stream the operation needs (exit 3)."""


class AlignmentError(SyncmmError):
    """No reliable alignment was found: no shared content, silence, too little content (exit 4).

    ``estimate`` is the best (unreliable) estimate when there was one, so that a plot can show why.
    """

    exit_code = 4

    def __init__(self, message: str, estimate: object | None = None) -> None:
        super().__init__(message)
        self.estimate = estimate


class OutputError(SyncmmError):
    """An output could not be written, or would overwrite something it must not (exit 5)."""

    exit_code = 5


class CheckFailed(SyncmmError):
    """A check requested by the user failed (tolerance, minimum confidence) (exit 1)."""

    exit_code = 1

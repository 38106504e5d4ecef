"""The ``syncmm`` command line (typer).  Heavy libraries are imported inside commands only."""

from __future__ import annotations

import typer

from .._version import __version__

app = typer.Typer(
    name="syncmm",
    help="Synchronise media: find how far apart two recordings of one event are.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"syncmm {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Synchronise media: find how far apart two recordings of one event are.

    \b
    Examples:
      syncmm align camera.mp4 recorder.wav
      syncmm align ref.wav a.wav b.wav --format json | jq '.[].offset_s'

    Exit codes: 0 ok, 1 check failed, 2 usage, 3 unreadable input, 4 no reliable alignment,
    5 output not written, 70 internal error, 130 interrupted (Ctrl-C or SIGTERM).
    """


from . import align as _align  # noqa: E402,F401  (registers the command)
from . import apply as _apply_cmd  # noqa: E402,F401
from . import batch as _batch_cmd  # noqa: E402,F401
from . import check as _check_cmd  # noqa: E402,F401
from . import export as _export_cmd  # noqa: E402,F401
from . import selftest as _selftest_cmd  # noqa: E402,F401
from . import warp as _warp_cmd  # noqa: E402,F401


def process_defaults() -> None:
    """What a ``syncmm`` process sets before NumPy loads (see :func:`main`)."""
    import os

    for k in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(k, "1")


def main() -> None:
    """Console-script entry point: :func:`run`, then the process ends (:func:`_end`)."""
    _end(run())


def run() -> int:
    """Run the command line in ``sys.argv``; its exit code.  Usage errors as one ``syncmm: error:`` line (exit 2),
    SIGTERM like Ctrl-C.

    Before NumPy loads, BLAS gets one thread (unless the environment says otherwise): syncmm parallelises
    by process (decode workers, batch jobs), and OpenBLAS threads on top of those spin on the same cores
    (align of two 10-min files: 3.3-3.6 s CPU instead of 4.2-4.5 s, the same wall).
    """
    import sys

    process_defaults()

    from ._exit import EXIT_INTERRUPTED, EXIT_USAGE, sigterm_as_interrupt

    # typer vendors click: its UsageError is BadParameter's base class
    usage_error = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
    sigterm_as_interrupt()
    try:
        rc = _app_for(sys.argv[1:])(standalone_mode=False)
    except usage_error as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # a bare `syncmm CMD`: its help
            e.show()
            return EXIT_USAGE
        msg = e.format_message().replace("\n", " ")
        hint = f" (see '{e.ctx.command_path} -h')" if e.ctx is not None else ""
        print(f"syncmm: error: {msg}{hint}", file=sys.stderr)
        return EXIT_USAGE
    except (typer.Abort, KeyboardInterrupt):
        print("syncmm: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return rc if isinstance(rc, int) else 0


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the command ``args`` start with, when they name one: typer builds the options of
    every command it holds on each run, ~30 ms for all seven against ~10 ms for one.  Otherwise (help, a root
    option, an unknown command) the whole app."""
    import copy

    name = args[0] if args and not args[0].startswith("-") else None
    commands = [c for c in app.registered_commands if c.name == name]
    if not commands:
        return app
    lean = copy.copy(app)  # (a shallow copy: app itself keeps every command)
    lean.registered_commands = commands
    return lean


def _end(code: int) -> None:
    """End the process now that its work is done and its output flushed, without the interpreter's teardown.

    Freeing every module and object at exit cost a ``syncmm align`` 30-70 ms (median wall of an align that
    exits 3, alternating runs: 0.33 -> 0.30 s, ``bench/ab_revs.py``) and does nothing a finished command
    needs: files are closed and renamed by then, decode workers joined, log handlers flushed here.
    """
    import logging
    import os
    import sys

    logging.shutdown()
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing more can be written there
            pass
    os._exit(code)

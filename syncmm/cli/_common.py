"""Shared CLI plumbing: logging set-up, progress on stderr, time options."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager

import typer

from ..exceptions import ParameterError


def setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logger = logging.getLogger("syncmm")
    logger.setLevel(level)
    for h in list(logger.handlers):
        logger.removeHandler(h)
    h = logging.StreamHandler(sys.stderr)
    h.setFormatter(logging.Formatter("syncmm: %(levelname)s: %(message)s"))
    logger.addHandler(h)
    logger.propagate = False


def parse_time_option(value: str | None, name: str, fps: str | None = None) -> float | None:
    if value is None:
        return None
    from ..timefmt import parse_time

    try:
        return parse_time(value, fps)
    except ParameterError as e:
        raise typer.BadParameter(str(e), param_hint=name) from None


@contextmanager
def stderr_progress(enabled: bool):
    """Yield ``update(stage, done, total)``: a rich progress bar on stderr when it is a terminal."""
    if not enabled or not sys.stderr.isatty() or os.environ.get("TERM") == "dumb":
        yield lambda stage, done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"), TimeElapsedColumn(),
        console=console, transient=True,
    ) as prog:  # fmt: skip
        tasks: dict[str, int] = {}

        def update(stage: str, done: float, total: float | None) -> None:
            if stage not in tasks:
                tasks[stage] = prog.add_task(stage, total=total, info="")
            info = f"{done:.0f}/{total:.0f} s" if total else ""
            prog.update(tasks[stage], completed=done, total=total, info=info)

        yield update

"""``syncmm selftest FILE``: how reliably syncmm syncs this kind of material."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from . import app
from ._common import setup_logging, stderr_progress
from ._exit import handle_errors


@app.command("selftest", no_args_is_help=True)
@handle_errors
def selftest_cmd(
    file: Annotated[Path, typer.Argument(help="A recording of the kind you want to sync.", metavar="FILE")],
    trials: Annotated[int, typer.Option(help="Number of perturbed excerpts.")] = 20,
    methods: Annotated[
        str | None,
        typer.Option(
            "--methods",
            "--features",
            help="Comma-separated: xcorr, gcc-phat, coarse, motion (default: all; motion when FILE has video).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the perturbations (same seed, same trials).")] = 0,
    stream: Annotated[int | None, typer.Option(help="Audio stream, counted from 0.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="-v info, -vv debug.")] = 0,
) -> None:
    """Shift, drift, re-encode, band-limit and add noise to excerpts of FILE by known amounts, align them back,
    and report the accuracy of each method with a recommendation.

    \b
    Examples:
      syncmm selftest lecture.wav
      syncmm selftest concert.flac --trials 50 --format json | jq .methods.xcorr.share_within_1ms

    Uses up to the first 10 minutes of FILE.  Exit 0 when the recommended method put >= 95 % of the trials
    within 1 ms, 1 when it did not (a CI gate for new material), 4 when no method aligned any trial.
    """
    setup_logging(verbose, quiet)
    if fmt not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--format")
    if not 1 <= trials <= 1000:
        raise typer.BadParameter("use 1..1000", param_hint="--trials")
    from ..options import check_value

    check_value("seed", seed)
    check_value("stream", stream)
    from ..jobs.selftest import run_selftest
    from ..report.selftest import selftest_report, selftest_text

    names = None if methods is None else [m.strip() for m in methods.split(",") if m.strip()]
    with stderr_progress(not quiet) as progress:
        res, note = run_selftest(file, trials=trials, methods=names, stream=stream, seed=seed, progress=progress)
    d = selftest_report(res, str(file), note)
    sys.stdout.write(selftest_text(d) if fmt == "text" else json.dumps(d, indent=2) + "\n")
    if res.recommended is None:
        raise typer.Exit(4)
    best = d["methods"][res.recommended]
    if best["within_1ms"] < 0.95 * best["trials"]:
        raise typer.Exit(1)

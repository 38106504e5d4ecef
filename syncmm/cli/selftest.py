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
    from ..alignment.selftest import METHODS

    names = None if methods is None else [m.strip() for m in methods.split(",") if m.strip()]
    if names is not None and (not names or any(m not in METHODS for m in names)):
        raise typer.BadParameter(f"use a comma-separated list of {', '.join(METHODS)}", param_hint="--methods")
    from fractions import Fraction

    from ..alignment.selftest import selftest
    from ..exceptions import NoStreamError
    from ..media import load_audio, probe
    from ..media.write import reencode
    from ..report.selftest import selftest_report, selftest_text

    info = probe(file)
    video = next((s for s in info.video_streams if s.frame_rate), None)
    has_audio = bool(info.audio_streams)
    if names is None:
        names = [m for m in METHODS if (m == "motion" and video is not None) or (m != "motion" and has_audio)]
    elif "motion" in names and video is None:
        raise NoStreamError(f"{file}: has no video stream for --methods motion")
    elif not has_audio and any(m != "motion" for m in names):
        raise NoStreamError(f"{file}: has no sound (no audio stream): use --methods motion")
    if not names:
        raise NoStreamError(f"{file}: has neither sound nor pictures to test")
    rate = Fraction(video.frame_rate) if video else Fraction(25)
    note = f"{float(rate):.3g} fps (" + ("the file's video)" if video else "no video: 25 fps assumed)")
    sr = 16000
    with stderr_progress(not quiet) as progress:
        progress("decode", 0.0, None)
        sig = load_audio(file, sr, stream=stream) if any(m != "motion" for m in names) else None
        motion = None
        if "motion" in names:
            from ..jobs.align import video_motion

            motion = video_motion(file, progress=progress)
        y = None if sig is None else sig.y
        res = selftest(y, sr, trials=trials, methods=names, frame_s=float(1 / rate), reencode=reencode, seed=seed,
                       progress=lambda k, n: progress("trials", k, n), motion=motion)  # fmt: skip
    d = selftest_report(res, str(file), note)
    sys.stdout.write(selftest_text(d) if fmt == "text" else json.dumps(d, indent=2) + "\n")
    if res.recommended is None:
        raise typer.Exit(4)
    best = d["methods"][res.recommended]
    if best["within_1ms"] < 0.95 * best["trials"]:
        raise typer.Exit(1)

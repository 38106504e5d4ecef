"""``syncmm check VIDEO``: a file's own A/V sync, from the speaker's lips."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from . import app
from ._common import parse_time_option, setup_logging, stderr_progress
from ._exit import EXIT_CHECK_FAILED, handle_errors

log = logging.getLogger("syncmm")


@app.command("check", no_args_is_help=True)
@handle_errors
def check_cmd(
    video: Annotated[Path, typer.Argument(help="A video with a speaker and their sound.", metavar="VIDEO")],
    tolerance: Annotated[str | None, typer.Option(help="Exit 1 if |offset| is above this (e.g. 45ms).")] = None,
    min_confidence: Annotated[float | None, typer.Option(help="Exit 1 if the confidence is below this.")] = None,
    max_offset: Annotated[str, typer.Option(help="Search range.")] = "1s",
    method: Annotated[
        str, typer.Option(help="cca (mouth shape and sound bands, cross-validated) or opening (lip gap vs loudness).")
    ] = "cca",
    junit_xml: Annotated[
        str | None, typer.Option("--junit-xml", help="Write a JUnit XML test case here (- = stdout).")
    ] = None,
    fix: Annotated[str | None, typer.Option(help="Write a corrected copy (video copied, audio shifted).")] = None,
    plot: Annotated[
        str | None,
        typer.Option(metavar="FILE.png", help="Draw mouth, sound and correlation to a PNG/SVG/PDF (extra plot)."),
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", "-y", help="Replace existing outputs.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="-v info, -vv debug.")] = 0,
) -> None:
    """Measure a file's A/V offset from the speaker's mouth against its own speech.

    \b
    Examples:
      syncmm check interview.mp4
      syncmm check transcode.mp4 --tolerance 45ms --junit-xml lipsync.xml   # CI gate
      syncmm check dub.mp4 --fix dub-fixed.mp4
      syncmm check interview.mp4 --plot lips.png

    offset_s = t_picture - t_audio: audio 200 ms late gives -0.200 (cut 0.2 s from the audio).
    Exit 0 in sync, 1 out of --tolerance (the whole file, or two neighbouring 10-s windows), 3 no audio or video
    stream, 4 undecidable (no face, no speech, the mouth does not follow the sound clearly enough).
    """
    setup_logging(verbose, quiet)
    if fmt not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--format")
    from ..options import check_value

    tol = check_value("tolerance", parse_time_option(tolerance, "--tolerance"))
    check_value("min_confidence", min_confidence)
    mo = parse_time_option(max_offset, "--max-offset")
    if mo is None or not 0.05 <= mo <= 5:
        raise typer.BadParameter("use 50ms..5s", param_hint="--max-offset")
    if method not in ("cca", "opening"):
        raise typer.BadParameter("use cca or opening", param_hint="--method")
    from ..outputs import OutputGate
    from ..report import writers

    gate = OutputGate([video], overwrite)
    junit_path = gate.claim(junit_xml, "--junit-xml", stdout_ok=True) if junit_xml is not None else None
    if fix is not None:
        fix = gate.claim(fix, "--fix")
    if plot is not None:
        from ..report.plots import plot_format

        plot_format(plot)
        plot = gate.claim(plot, "--plot")
    from ..exceptions import AlignmentError
    from ..jobs.check import measure_lipsync, tolerance
    from ..report.check import check_report, check_text
    from ..report.check import junit_xml as junit
    from ..report.plots import plot_check

    try:
        with stderr_progress(not quiet) as progress:
            est, info = measure_lipsync(video, max_offset=mo, method=method, progress=progress)
    except AlignmentError as e:
        if plot is not None and getattr(e, "estimate", None) is not None:  # show why it is undecidable
            plot_check(plot, e.estimate, name=str(video), inputs=[video], overwrite=overwrite)
        raise
    if plot is not None:
        plot_check(plot, est, name=str(video), inputs=[video], overwrite=overwrite)
    checks = {}
    if tol is not None:  # the whole file and every decided window a neighbouring window confirms
        checks["tolerance"] = tolerance(est, tol)
    if min_confidence is not None:
        checks["min_confidence"] = {"passed": est.confidence >= min_confidence, "min_confidence": min_confidence}
    failed = any(not c["passed"] for c in checks.values())
    report = check_report(est, info, checks)
    if fix is not None:
        from ._apply import run_apply

        if est.step_s is not None:
            log.warning("the sync changes at about %.1f s: --fix moves the whole audio by one offset", est.step_s)
        report["fix"] = run_apply(
            ref=video, other=video, out=fix, offset_s=est.offset_s, drift_ppm=0.0, ref_stream=None,
            other_stream=None, mode="video", audio_codec=None, keep_original_audio=False, overwrite=overwrite,
            dry_run=False, verify=False,
        )  # fmt: skip
    if junit_xml is not None:
        writers.write_atomic(junit_path, junit(report), overwrite=overwrite, checked=True)
        if junit_path is None:  # the JUnit XML took standard output
            return _exit_if(failed)
    sys.stdout.write(writers.render([report], "json", False) if fmt == "json" else check_text(report))
    _exit_if(failed)


def _exit_if(failed: bool) -> None:
    if failed:
        raise typer.Exit(EXIT_CHECK_FAILED)

"""``syncmm align REF OTHER...``"""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from . import app
from ._apply import CodecOpt, DryOpt, KeepOpt, ModeOpt, VerifyOpt
from ._common import parse_time_option, setup_logging, stderr_progress
from ._exit import EXIT_CHECK_FAILED, error_line, exit_code_for, handle_errors

log = logging.getLogger("syncmm")


@app.command("align", no_args_is_help=True)
@handle_errors
def align_cmd(
    ref: Annotated[
        Path, typer.Argument(help="Reference recording (its timeline is kept).", show_default=False, metavar="REF")
    ],
    others: Annotated[
        list[Path],
        typer.Argument(help="One or more recordings to align to REF.", show_default=False, metavar="OTHER"),
    ],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json, jsonl or csv.")] = "text",
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the report here (atomically; - = stdout).")
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", "-y", help="Replace an existing --output.")] = False,
    max_offset: Annotated[str | None, typer.Option(help="Largest |offset| to consider: 30, 30s, 500ms, 1:30.")] = None,
    min_overlap: Annotated[str | None, typer.Option(help="Smallest overlap an offset may imply (default 2 s).")] = None,
    method: Annotated[str, typer.Option(help="Fine stage: xcorr, gcc-phat, or coarse (onsets only).")] = "xcorr",
    features: Annotated[
        str, typer.Option(help="audio (sound onsets, then waveforms) or motion (the pictures, for silent cameras).")
    ] = "audio",
    stream: Annotated[int | None, typer.Option(help="Audio stream of OTHER, counted from 0.")] = None,
    ref_stream: Annotated[int | None, typer.Option(help="Audio stream of REF, counted from 0.")] = None,
    rate: Annotated[int, typer.Option(help="Analysis sample rate in Hz.")] = 16000,
    window: Annotated[str, typer.Option(help="Length of OTHER used by the fine stage.")] = "30s",
    expect: Annotated[str, typer.Option(help="Expected offset for --tolerance.")] = "0",
    tolerance: Annotated[
        str | None, typer.Option(help="Check: exit 1 unless |offset - expect| <= this (e.g. 40ms).")
    ] = None,
    min_confidence: Annotated[float | None, typer.Option(help="Check: exit 1 if confidence is below this.")] = None,
    drift: Annotated[
        bool | None,
        typer.Option(
            "--drift/--no-drift", help="Measure clock drift and jumps (default: when the overlap is >= 60 s)."
        ),
    ] = None,
    fps: Annotated[str | None, typer.Option(help="Frame rate for times given in frames or timecode.")] = None,
    allow_damaged: Annotated[
        bool, typer.Option(help="Use inputs that lost over 1 % of their audio to damage or truncation.")
    ] = False,
    apply: Annotated[
        str | None,
        typer.Option("--apply", metavar="OUT", help="Write OTHER's audio, re-timed onto REF's timeline, to OUT."),
    ] = None,
    mode: ModeOpt = "auto",
    audio_codec: CodecOpt = None,
    keep_original_audio: KeepOpt = False,
    dry_run: DryOpt = False,
    verify: VerifyOpt = False,
    plot: Annotated[
        str | None,
        typer.Option(
            metavar="FILE.png", help="Draw the correlation (and offset over time) to a PNG/SVG/PDF (extra plot)."
        ),
    ] = None,
    timeline: Annotated[
        bool,
        typer.Option(
            "--timeline", help="Multicam: align every pair and place all files on REF's timeline (least squares)."
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="-v info, -vv debug.")] = 0,
) -> None:
    """Find the offset of each OTHER against REF from their audio.

    \b
    Examples:
      syncmm align camera.mp4 recorder.wav
      syncmm align ref.wav clip.m4a --format json | jq .offset_s
      syncmm align master.mov transcode.mp4 --tolerance 40ms   # CI gate: exit 1 if out of sync
      syncmm align ref.wav a.wav b.wav c.wav -f csv -o offsets.csv
      syncmm align camera.mp4 recorder.wav --apply synced.mp4 --verify
      syncmm align camera.mp4 recorder.wav --plot evidence.png
      syncmm align camA.mp4 camB.mp4 camC.mp4 zoom.wav --timeline -f json -o shoot.json

    offset_s = t_REF - t_OTHER of the same event: positive means delay OTHER by offset_s
    (ffmpeg -itsoffset offset_s -i OTHER); negative means cut |offset_s| from OTHER's start.
    """
    setup_logging(verbose, quiet)
    from ..report import FORMATS

    if fmt not in FORMATS:
        raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
    if features not in ("audio", "motion"):
        raise typer.BadParameter("use audio or motion", param_hint="--features")
    if features == "motion" and apply is not None:
        raise typer.BadParameter("corrected media needs audio features", param_hint="--apply")
    if method not in ("xcorr", "gcc-phat", "coarse"):
        raise typer.BadParameter("use xcorr, gcc-phat or coarse", param_hint="--method")
    from ..options import AlignOptions, check_value

    check_value("rate", rate)
    mo = check_value("max_offset", parse_time_option(max_offset, "--max-offset", fps))
    mov = check_value("min_overlap", parse_time_option(min_overlap, "--min-overlap", fps))
    win = check_value("window", parse_time_option(window, "--window", fps))
    exp = check_value("expect", parse_time_option(expect, "--expect", fps)) or 0.0
    tol = check_value("tolerance", parse_time_option(tolerance, "--tolerance", fps))
    check_value("min_confidence", min_confidence)
    check_value("stream", stream)
    check_value("ref_stream", ref_stream)
    if apply is None and (dry_run or verify or keep_original_audio or audio_codec or mode != "auto"):
        raise typer.BadParameter("needs --apply OUT", param_hint="--dry-run/--verify/--mode/--audio-codec")
    if apply is not None and len(others) != 1:
        raise typer.BadParameter("takes exactly one OTHER", param_hint="--apply")
    from ..outputs import OutputGate

    gate = OutputGate([ref, *others], overwrite)
    out_path = gate.claim(output, "--output", stdout_ok=True) if output is not None else None
    if timeline:
        if (apply is not None or plot is not None or features != "audio" or tol is not None
                or min_confidence is not None or drift or ref_stream is not None):  # fmt: skip
            raise typer.BadParameter(
                "works with audio features, without --apply, --plot, --tolerance, --min-confidence, --drift and "
                "--ref-stream (--stream applies to every file)",
                param_hint="--timeline",
            )
        _timeline(ref, others, fmt, out_path, overwrite, quiet, stream,
                  AlignOptions.of(sr=rate, max_offset=mo, min_overlap=mov, method=method, fine_window=win))  # fmt: skip
        return
    if apply is not None:
        apply = gate.claim(apply, "--apply")
    if plot is not None:
        if len(others) != 1:
            raise typer.BadParameter("takes exactly one OTHER", param_hint="--plot")
        from ..report.plots import plot_format

        plot_format(plot)
        plot = gate.claim(plot, "--plot")

    from ..exceptions import SyncmmError
    from ..jobs.align import align_many, align_many_motion
    from ..report import error_entry, render, result_to_dict, write_atomic
    from ..report.schema import tolerance_check
    from ._apply import run_apply

    entries = []
    worst = 0

    opts = AlignOptions.of(ref_stream=ref_stream, other_stream=stream, sr=rate, max_offset=mo, min_overlap=mov,
                           method=method, fine_window=win, drift=drift, allow_damaged=allow_damaged)  # fmt: skip

    def run_all(progress):
        run = align_many_motion if features == "motion" else align_many
        return run(ref, others, opts, progress=progress, keep_curve=plot is not None)

    with stderr_progress(not quiet) as progress, contextlib.closing(run_all(progress)) as results:
        for other, res in zip(others, results, strict=False):
            if isinstance(res, SyncmmError):
                if plot is not None and getattr(res, "estimate", None) is not None:  # show why it failed
                    from ..report.plots import plot_align

                    plot_align(plot, res.estimate, offset_s=None, names=(str(ref), str(other)),
                               inputs=[ref, other], overwrite=overwrite)  # fmt: skip
                if len(others) == 1:
                    raise res
                code = exit_code_for(res)
                print(error_line(res), file=sys.stderr)
                entries.append(error_entry(str(ref), str(other), code, str(res)))
                worst = max(worst, code)
                continue
            checks = {}
            if tol is not None:
                checks["tolerance"] = tolerance_check(res.offset_s, exp, tol)
            if min_confidence is not None:
                ok = res.confidence >= min_confidence
                checks["min_confidence"] = {
                    "passed": ok, "min_confidence": min_confidence,
                    "detail": f"{res.confidence:.3f} {'>=' if ok else '<'} {min_confidence:.3f}",
                }  # fmt: skip
            failed = any(not c["passed"] for c in checks.values())
            if plot is not None:
                from ..report.plots import plot_align

                plot_align(plot, res.estimate, offset_s=res.offset_s, drift=res.drift, names=(str(ref), str(other)),
                           inputs=[ref, other], overwrite=overwrite)  # fmt: skip
            for w in res.estimate.warnings:
                log.warning("%s: %s", other, w)
            applied = None
            if apply is not None and failed:
                log.warning("%s: not written: a check failed", apply)
            elif apply is not None:
                if res.drift is not None and res.drift.discontinuities:
                    a, b = res.drift.fit_span
                    log.warning("%s: OTHER jumps; the output is in sync on REF %.1f-%.1f s only", apply, a, b)
                applied = run_apply(
                    ref=ref, other=other, out=apply, offset_s=res.offset_s, drift_ppm=res.drift_ppm,
                    ref_stream=res.ref_stream, other_stream=res.other_stream, mode=mode, audio_codec=audio_codec,
                    keep_original_audio=keep_original_audio, overwrite=overwrite, dry_run=dry_run, verify=verify,
                    other_t0=res.other_t0, progress=progress,
                )  # fmt: skip
                if applied.get("verify") is not None:
                    v = applied["verify"]
                    checks["verify"] = {
                        "passed": v["passed"], "tolerance_s": v["tolerance_s"],
                        "detail": "residual at start/end of OUT: "
                        + ", ".join("failed" if v[k]["offset_s"] is None else f"{v[k]['offset_s'] * 1e3:+.3f} ms"
                                    for k in ("start", "end")),
                    }  # fmt: skip
                    failed = failed or not v["passed"]
            entry = result_to_dict(res, status="check_failed" if failed else "ok", checks=checks or None)
            if applied is not None:
                entry["apply"] = applied
            entries.append(entry)
            if failed:
                worst = max(worst, EXIT_CHECK_FAILED)
    text = render(entries, fmt, as_list=len(others) > 1)
    write_atomic(out_path, text, overwrite=overwrite, checked=True)
    if worst:
        raise typer.Exit(worst)


def _timeline(ref: Path, others: list[Path], fmt: str, output: Path | None, overwrite: bool, quiet: bool,
              stream: int | None, options) -> None:  # fmt: skip
    from ..jobs.align import align_timeline
    from ..report import write_atomic
    from ..report.timeline import render_timeline, timeline_report

    with stderr_progress(not quiet) as progress:
        mc = align_timeline([ref, *others], options, stream=stream, progress=progress)
    d = timeline_report(mc)
    for f in d["files"]:
        if f["status"] != "ok":
            print(f"syncmm: error: {f['path']}: {f['error']}", file=sys.stderr)
    dropped = [p for p in d["pairs"] if not p["used"]]
    for p in dropped:
        log.warning("pair %d-%d dropped: its offset is %+.1f ms off the others", p["a"], p["b"], p["residual_s"] * 1e3)
    write_atomic(output, render_timeline(d, fmt), overwrite=overwrite, checked=True)
    if d["exit_code"]:
        raise typer.Exit(d["exit_code"])

"""``syncmm warp REF OTHER``: a non-linear time map by multiscale DTW."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from . import app
from ._common import parse_time_option, setup_logging, stderr_progress
from ._exit import handle_errors


@app.command("warp", no_args_is_help=True)
@handle_errors
def warp_cmd(
    ref: Annotated[Path, typer.Argument(help="REF: media, or a .npy (d, N) feature matrix.", metavar="REF")],
    other: Annotated[Path, typer.Argument(help="OTHER: media, or a .npy (d, M) feature matrix.", metavar="OTHER")],
    features: Annotated[
        str, typer.Option(help="chroma, cens, onset, mfcc, joined by + (onsets pin the finest scale).")
    ] = "chroma+onset",
    onset_weight: Annotated[
        float | None,
        typer.Option(min=0.0, help="Weight of the onset distance against the harmonic cost [default: 0.75]."),
    ] = None,
    rate: Annotated[float, typer.Option(help="Feature frames per second (of the .npy inputs too).")] = 50.0,
    band: Annotated[
        str | None,
        typer.Option(help="Half-width of the band around the coarser scale's path [default: 0.3s, 0.6s with onsets]."),
    ] = None,
    metric: Annotated[str, typer.Option(help="cosine or euclidean.")] = "cosine",
    steps: Annotated[str, typer.Option(help="classic, symmetric or slope2.")] = "classic",
    transpose: Annotated[str, typer.Option(help="auto (try the 12 keys for chroma), none, or semitones.")] = "auto",
    subsequence: Annotated[bool, typer.Option(help="OTHER is a part of REF: find where.")] = False,
    offset: Annotated[
        str | None,
        typer.Option(help="Seed with an offset t_REF - t_OTHER (e.g. 12.5s), or 'auto' (cross-correlation)."),
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the time map: .csv or .json (atomically).")
    ] = None,
    render: Annotated[
        str | None, typer.Option(help="Write OTHER's audio warped onto REF's timeline (wav, flac...).")
    ] = None,
    plot: Annotated[
        str | None,
        typer.Option(metavar="FILE.png", help="Draw the cost matrix, band and path to a PNG/SVG/PDF (extra plot)."),
    ] = None,
    max_contrast: Annotated[
        float, typer.Option(help="Refuse a path costing more than this share of chance (1 = accept anything).")
    ] = 0.50,
    overwrite: Annotated[bool, typer.Option("--overwrite", "-y", help="Replace existing outputs.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json (the summary on stdout).")] = "text",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="-v info, -vv debug.")] = 0,
) -> None:
    """Find a monotonic time map REF seconds -> OTHER seconds (two performances, a re-edited dub...).

    \b
    Examples:
      syncmm warp take1.flac take2.flac -o map.csv
      syncmm warp a.flac b.flac --features chroma+onset+mfcc -f json | jq .summary
      syncmm warp ref_chroma.npy other_chroma.npy --rate 50 -o map.json
      syncmm warp original.wav dub.wav --render dub-on-original.wav
      syncmm warp take1.flac take2.flac --plot map.png
      syncmm warp broadcast.wav clip.wav --offset auto   # offset plus wobble: warp the overlap only
    """
    setup_logging(verbose, quiet)
    if fmt not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--format")
    if transpose not in ("auto", "none") and not transpose.lstrip("-").isdigit():
        raise typer.BadParameter("use auto, none or a number of semitones", param_hint="--transpose")
    from ..options import check_value

    check_value("feature_rate", rate, "--rate")
    check_value("min_confidence", max_contrast, "--max-contrast")
    band_s = None if band is None else check_value("band", parse_time_option(band, "--band"))
    seed = None if offset in (None, "auto") else parse_time_option(offset, "--offset")
    from ..outputs import OutputGate
    from ..report import writers

    if output is not None and Path(output).suffix.lower() not in (".csv", ".json"):
        raise typer.BadParameter("use a .csv or .json file", param_hint="--output")
    gate = OutputGate([ref, other], overwrite)
    if output is not None:
        output = gate.claim(output, "--output")
    from ..jobs import warp as job

    if render is not None:
        if other.suffix.lower() == ".npy":
            raise typer.BadParameter("needs OTHER as audio, not a .npy", param_hint="--render")
        job.check_render_target(render)
        render = gate.claim(render, "--render")
    if plot is not None:
        from ..report.plots import plot_format

        plot_format(plot)
        plot = gate.claim(plot, "--plot")

    from ..report.warp import warp_csv, warp_map, warp_report, warp_text

    with stderr_progress(not quiet) as progress:
        tr: str | int | None = None if transpose == "none" else "auto" if transpose == "auto" else int(transpose)
        w = job.warp_files(ref, other, features=features, rate=rate, metric=metric, steps=steps, band_s=band_s,
                           transpose=tr, subsequence=subsequence, offset="auto" if offset == "auto" else seed,
                           max_contrast=max_contrast, onset_weight=onset_weight, progress=progress)  # fmt: skip
        wp, fr, fo = w.path, w.ref_features, w.other_features
        report = warp_report(wp, str(ref), str(other), features if w.ref_audio is not None else "npy")
        if w.seed_offset_s is not None:
            report["seed_offset_s"] = round(w.seed_offset_s, 6)
        if output is not None:
            if output.suffix.lower() == ".csv":
                text = warp_csv(wp)
            else:
                text = writers.render([dict(report, map=warp_map(wp))], "json", False)
            writers.write_atomic(output, text, inputs=[ref, other], overwrite=overwrite)
        if plot is not None:
            from ..report.plots import plot_warp

            progress("plot", 0.0, None)
            plot_warp(plot, wp, fr.X, fo.X, band_s=wp.band_s, summary=wp.summary(), names=(str(ref), str(other)),
                      inputs=[ref, other], overwrite=overwrite)  # fmt: skip
        if render is not None:
            job.render(w, ref, other, render, overwrite)
            report["render"] = str(render)
    if fmt == "json":
        sys.stdout.write(writers.render([report], "json", False))
    else:
        sys.stdout.write(warp_text(report))

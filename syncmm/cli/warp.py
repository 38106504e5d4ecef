"""``syncmm warp REF OTHER``: a non-linear time map by multiscale DTW."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from . import app
from ._common import parse_time_option, setup_logging, stderr_progress
from ._exit import handle_errors

#: Audio rate for the features: the first of these that the frame rate divides (12 kHz keeps pitches to 5 kHz).
ANALYSIS_RATES = (12000, 22050, 24000, 16000, 20000)


@app.command("warp", no_args_is_help=True)
@handle_errors
def warp_cmd(
    ref: Annotated[Path, typer.Argument(help="REF: media, or a .npy (d, N) feature matrix.", metavar="REF")],
    other: Annotated[Path, typer.Argument(help="OTHER: media, or a .npy (d, M) feature matrix.", metavar="OTHER")],
    features: Annotated[str, typer.Option(help="chroma, cens, onset, mfcc, joined by +.")] = "chroma+onset",
    rate: Annotated[float, typer.Option(help="Feature frames per second (of the .npy inputs too).")] = 50.0,
    band: Annotated[str, typer.Option(help="Half-width of the band around the coarser scale's path.")] = "0.3s",
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
    ] = 0.55,
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
    band_s = check_value("band", parse_time_option(band, "--band"))
    seed = None if offset in (None, "auto") else parse_time_option(offset, "--offset")
    from ..report import writers
    from ..report.output import OutputGate

    if output is not None and Path(output).suffix.lower() not in (".csv", ".json"):
        raise typer.BadParameter("use a .csv or .json file", param_hint="--output")
    gate = OutputGate([ref, other], overwrite)
    if output is not None:
        output = gate.claim(output, "--output")
    if render is not None:
        from ..media.write import check_audio_container

        if other.suffix.lower() == ".npy":
            raise typer.BadParameter("needs OTHER as audio, not a .npy", param_hint="--render")
        check_audio_container(render)
        render = gate.claim(render, "--render")
    if plot is not None:
        from ..report.plots import plot_format

        plot_format(plot)
        plot = gate.claim(plot, "--plot")

    from ..alignment.dtw import warp
    from ..report.warp import warp_csv, warp_map, warp_report, warp_text

    with stderr_progress(not quiet) as progress:
        progress("features", 0.0, None)
        fr, sig_r = _features(ref, features, rate)
        fo, sig_o = _features(other, features, rate)
        progress("warp", 0.0, None)
        tr: str | int | None = None if transpose == "none" else "auto" if transpose == "auto" else int(transpose)
        if offset == "auto":
            if sig_r is None or sig_o is None:
                raise typer.BadParameter("'auto' needs audio inputs; give the offset in seconds", param_hint="--offset")
            from ..alignment.xcorr import estimate_offset

            # a seed only needs to be within the search radius: the coarse (onset) stage, whatever its confidence
            est = estimate_offset(sig_r.y, sig_o.y, sig_r.sr, t0_x=sig_r.t0, t0_y=sig_o.t0, method="coarse",
                                  min_confidence=0.0)  # fmt: skip
            seed = est.offset_s
        if seed is not None:  # warp() works in frames from each input's first frame
            seed = seed - fr.t0 + fo.t0
        wp = warp(fr.X, fo.X, rate, metric=metric, steps=steps, band_s=band_s or 0.0, transpose=tr,
                  subsequence=subsequence, offset_s=seed, ref_t0=fr.t0, other_t0=fo.t0,
                  max_contrast=max_contrast)  # fmt: skip
        report = warp_report(wp, str(ref), str(other), features if sig_r is not None else "npy")
        if seed is not None:
            report["seed_offset_s"] = round(seed + fr.t0 - fo.t0, 6)
        if output is not None:
            if output.suffix.lower() == ".csv":
                text = warp_csv(wp)
            else:
                text = writers.render([dict(report, map=warp_map(wp))], "json", False)
            writers.write_atomic(output, text, inputs=[ref, other], overwrite=overwrite)
        if plot is not None:
            from ..report.plots import plot_warp

            progress("plot", 0.0, None)
            plot_warp(plot, wp, fr.X, fo.X, band_s=band_s or 0.0, summary=wp.summary(), names=(str(ref), str(other)),
                      inputs=[ref, other], overwrite=overwrite)  # fmt: skip
        if render is not None:
            _render(wp, ref, other, sig_r, render, overwrite)
            report["render"] = str(render)
    if fmt == "json":
        sys.stdout.write(writers.render([report], "json", False))
    else:
        sys.stdout.write(warp_text(report))


def _features(path: Path, kinds: str, rate: float):
    import numpy as np

    from ..exceptions import InputError, ParameterError
    from ..types import Features

    if path.suffix.lower() == ".npy":
        try:
            X = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise InputError(f"{path}: cannot read the feature matrix ({e})") from e
        if X.ndim != 2:
            raise ParameterError(f"{path}: a feature matrix must have shape (d, N), not {X.shape}")
        return Features(X=X, rate=rate, t0=0.0, names=()), None
    from ..features.music import music_features
    from ..media import load_audio

    sr = next((s for s in ANALYSIS_RATES if abs(s / rate - round(s / rate)) < 1e-9), None)
    if sr is None:
        raise ParameterError(f"--rate {rate:g} divides none of {', '.join(map(str, ANALYSIS_RATES))} Hz")
    sig = load_audio(path, sr)
    from ..alignment.xcorr import prepare

    prepare(sig.y, sr, str(path))  # silence, a steady tone (DC) or a blip: AlignmentError (exit 4) with the reason
    return music_features(sig.y, sr, rate, kinds, t0=sig.t0), sig


def _render(wp, ref: Path, other: Path, sig_r, out: Path, overwrite: bool) -> None:
    """OTHER's audio (its own rate and channels) resampled along the map onto REF's timeline."""
    import numpy as np

    from ..dsp.resample import resample_at
    from ..media.audio import AudioReader
    from ..media.write import write_audio
    from ..report.writers import atomic_output

    with AudioReader(other) as r:
        y = np.concatenate(list(r.chunks()), axis=1)
        sr, t0 = r.rate, r.t0 or 0.0
    ref_dur = len(sig_r.y) / sig_r.sr if sig_r is not None else wp.n_ref / wp.rate
    n = int(round(ref_dur * sr))
    start = sig_r.t0 if sig_r is not None else wp.ref_t0

    def blocks():
        for a in range(0, n, sr * 10):
            t = start + np.arange(a, min(a + sr * 10, n)) / sr
            yield np.atleast_2d(resample_at(y if len(y) > 1 else y[0], (wp.transfer(t) - t0) * sr))

    with atomic_output(out, [ref, other], overwrite) as tmp:
        write_audio(tmp, blocks(), sr)

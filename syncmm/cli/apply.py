"""``syncmm apply REPORT.json -o OUT``"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from . import app
from ._apply import CodecOpt, DryOpt, KeepOpt, ModeOpt, VerifyOpt
from ._common import setup_logging, stderr_progress
from ._exit import EXIT_CHECK_FAILED, handle_errors


@app.command("apply", no_args_is_help=True)
@handle_errors
def apply_cmd(
    report: Annotated[
        Path, typer.Argument(help="A JSON report of `syncmm align`.", show_default=False, metavar="REPORT")
    ],
    output: Annotated[str, typer.Option("--output", "-o", help="The corrected file to write.", show_default=False)],
    ref: Annotated[Path | None, typer.Option(help="REF, if it moved since the report (must be the same file).")] = None,
    other: Annotated[
        Path | None, typer.Option(help="OTHER, if it moved since the report (must be the same file).")
    ] = None,
    index: Annotated[int | None, typer.Option(help="Which result of a report that holds several.")] = None,
    mode: ModeOpt = "auto",
    audio_codec: CodecOpt = None,
    keep_original_audio: KeepOpt = False,
    dry_run: DryOpt = False,
    verify: VerifyOpt = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", "-y", help="Replace an existing OUT.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="-v info, -vv debug.")] = 0,
) -> None:
    """Write the corrected file an alignment report describes.

    \b
    Examples:
      syncmm align camera.mp4 recorder.wav -f json -o sync.json
      syncmm apply sync.json -o synced.mp4 --verify
      syncmm apply sync.json -o synced.mov --audio-codec pcm24 --keep-original-audio
      syncmm apply sync.json -o recorder-synced.wav --mode shift
      syncmm apply sync.json -o synced.mp4 --dry-run   # print the ffmpeg equivalent

    The report's REF and OTHER are checked against the files (duration, audio codec, rate, channels);
    a report made for other files is refused.
    """
    setup_logging(verbose, quiet)
    if fmt not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--format")
    from ..exceptions import ParameterError
    from ..jobs import probe
    from ..report import render
    from ..report.read import load_report, locate, mismatch, pick_entry
    from ._apply import run_apply

    entry = pick_entry(load_report(report), index, str(report))
    paths = {}
    for role, given in (("ref", ref), ("other", other)):
        path = given if given is not None else locate(entry[role]["path"], report)
        info = probe(path)
        why = mismatch(entry[role], info)
        if why is not None:
            raise ParameterError(
                f"{report}: was made for {role.upper()} {entry[role]['path']}, not {path} ({why}); "
                "re-run syncmm align on these files"
            )
        paths[role] = path
    from ..outputs import OutputGate

    out = OutputGate([report, *paths.values()], overwrite).claim(output, "--output")
    drift = entry.get("drift_ppm") or 0.0
    if entry.get("discontinuities"):
        span = (entry.get("drift") or {}).get("fit_span")
        where = f" on REF {span['ref_start_s']:.1f}-{span['ref_end_s']:.1f} s" if span else ""
        print(f"syncmm: warning: OTHER jumps; the output is in sync{where} only", file=sys.stderr)
    with stderr_progress(not quiet) as progress:
        applied = run_apply(
            ref=paths["ref"], other=paths["other"], out=out, offset_s=float(entry["offset_s"]),
            drift_ppm=float(drift), ref_stream=entry["ref"].get("stream"), other_stream=entry["other"].get("stream"),
            mode=mode, audio_codec=audio_codec, keep_original_audio=keep_original_audio, overwrite=overwrite,
            dry_run=dry_run, verify=verify, other_t0=float(entry["other"].get("start_time_s") or 0.0),
            progress=progress,
        )  # fmt: skip
    entry = dict(entry, apply=applied)
    failed = applied.get("verify") is not None and not applied["verify"]["passed"]
    if fmt == "json":
        sys.stdout.write(render([entry], "json", as_list=False))
    else:
        from ..report.writers import apply_lines

        sys.stdout.write("\n".join(apply_lines(applied)) + "\n")
    sys.stdout.flush()
    if failed:
        raise typer.Exit(EXIT_CHECK_FAILED)

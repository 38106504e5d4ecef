"""``syncmm export REPORT --to otio|fcpxml|fcp7|edl -o FILE``"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from . import app
from ._common import setup_logging
from ._exit import handle_errors


@app.command("export", no_args_is_help=True)
@handle_errors
def export_cmd(
    report: Annotated[
        Path, typer.Argument(help="JSON report of `syncmm align` (--timeline or pairs with one REF).", metavar="REPORT")
    ],
    to: Annotated[str, typer.Option("--to", help="otio, fcpxml, fcp7 (Premiere) or edl (CMX 3600).")],
    output: Annotated[str, typer.Option("--output", "-o", help="The timeline file to write.", show_default=False)],
    fps: Annotated[
        str | None,
        typer.Option(help="Timeline frame rate, e.g. 25 or 30000/1001 (default: the first video's, else 25)."),
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", "-y", help="Replace existing output files.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json (what was placed where).")] = "text",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="-v info, -vv debug.")] = 0,
) -> None:
    """Write an editor's timeline with every file placed where the report puts it (OpenTimelineIO, extra nle).

    \b
    Examples:
      syncmm align camA.mp4 camB.mp4 zoom.wav --timeline -f json -o shoot.json
      syncmm export shoot.json --to otio -o shoot.otio          # DaVinci Resolve imports .otio
      syncmm export shoot.json --to fcp7 -o shoot.xml           # Premiere Pro: File > Import
      syncmm export shoot.json --to fcpxml -o shoot.fcpxml      # Final Cut Pro
      syncmm export shoot.json --to edl -o shoot.edl            # one CMX 3600 EDL per file: shoot.01.edl, ...

    Each file gets a track of its own; the earliest file starts at frame 0.  Starts are rounded to whole frames
    and each clip's rounding residual is printed.
    """
    setup_logging(verbose, quiet)
    from ..report.nle import TARGETS

    if to not in TARGETS:
        raise typer.BadParameter(f"use one of {', '.join(TARGETS)}", param_hint="--to")
    if fmt not in ("text", "json"):
        raise typer.BadParameter("use text or json", param_hint="--format")
    from ..outputs import OutputGate
    from ..report import writers
    from ..report.read import load_report

    gate = OutputGate([report], overwrite)
    gate.claim(output, "--output")
    try:
        import opentimelineio  # noqa: F401
    except ImportError:
        raise typer.BadParameter("needs OpenTimelineIO: pip install 'syncmm[nle]'", param_hint="--to") from None
    from ..report.nle import build_timeline, frame_rate, left_out, placements, render_nle

    entries = load_report(report)
    places = placements(entries)
    missing = left_out(entries)
    for path, why in missing:
        print(f"syncmm: warning: {path}: left out of the timeline (not placed: {why})", file=sys.stderr)
    rate = frame_rate(entries, fps)
    timeline, clips, origin = build_timeline(places, rate, name=report.stem)
    files = render_nle(timeline, to, output)
    gate = OutputGate([report, *(c.path for c in clips)], overwrite)  # every file, the EDLs' names included
    files = [(gate.claim(p, "--output"), text) for p, text in files]
    for p, text in files:
        writers.write_atomic(p, text, overwrite=overwrite, checked=True)
    from ..report.export import export_report, export_text

    d = export_report(entries, to, [p for p, _ in files], rate, origin, clips, missing)
    sys.stdout.write(json.dumps(d, indent=2, ensure_ascii=False) + "\n" if fmt == "json" else export_text(d))

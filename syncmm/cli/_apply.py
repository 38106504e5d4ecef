"""Writing corrected media, shared by ``align --apply`` and ``apply``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

# Options shared by both commands (typer reads them from the signatures).
ModeOpt = Annotated[
    str, typer.Option("--mode", help="video: REF's video + OTHER's audio; shift: OTHER's audio alone; auto.")
]
CodecOpt = Annotated[
    str | None,
    typer.Option(
        "--audio-codec", help="aac, pcm, pcm24, flac, alac, opus, mp3 or copy (default: by container and mode)."
    ),
]
KeepOpt = Annotated[bool, typer.Option("--keep-original-audio", help="Video mode: also keep REF's own audio.")]
DryOpt = Annotated[bool, typer.Option("--dry-run", help="Print the plan and the equivalent ffmpeg command only.")]
VerifyOpt = Annotated[
    bool, typer.Option("--verify", help="Re-align OUT with REF; exit 1 if off by > 1 ms at the start or end.")
]


def run_apply(**kw: Any) -> dict[str, Any]:
    """Write (or plan, with ``dry_run``) the corrected file and return the report's ``apply`` section
    (:func:`syncmm.jobs.apply.apply` + :func:`syncmm.report.apply.apply_section`)."""
    from ..jobs.apply import apply
    from ..report.apply import apply_section

    return apply_section(apply(**kw))

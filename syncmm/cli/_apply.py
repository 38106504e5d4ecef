"""Writing corrected media, shared by ``align --apply`` and ``apply``."""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

log = logging.getLogger("syncmm")

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


def run_apply(
    *,
    ref: Path,
    other: Path,
    out: Path,
    offset_s: float,
    drift_ppm: float,
    ref_stream: int | None,
    other_stream: int | None,
    mode: str,
    audio_codec: str | None,
    keep_original_audio: bool,
    overwrite: bool,
    dry_run: bool,
    verify: bool,
    other_t0: float = 0.0,
    progress: Callable[[str, float, float | None], None] | None = None,
) -> dict[str, Any]:
    """Plan, write (atomically) and optionally verify the corrected file; return the report's ``apply`` section."""
    from ..media.conform import conform, ffmpeg_equivalent, plan_apply
    from ..report.writers import atomic_output, check_output_path
    from ._exit import sigterm_as_interrupt

    if mode not in ("auto", "video", "shift"):
        raise typer.BadParameter("use auto, video or shift", param_hint="--mode")
    check_output_path(out, [ref, other], overwrite)
    plan = plan_apply(
        ref, other, out, offset_s=offset_s, drift_ppm=drift_ppm, ref_stream=ref_stream, other_stream=other_stream,
        mode=mode, audio_codec=audio_codec, keep_original_audio=keep_original_audio,
    )  # fmt: skip
    if verify and plan.ref_stream is None:
        raise typer.BadParameter("REF has no audio to verify against", param_hint="--verify")
    d: dict[str, Any] = {"output": str(out), "dry_run": dry_run, "written": False, **_plan_fields(plan)}
    if dry_run:
        argv = ffmpeg_equivalent(plan, other_t0)
        d.update(ffmpeg=argv, ffmpeg_command=shlex.join(argv))
        return d
    cb = (lambda done, total: progress("write", done, total)) if progress else None
    sigterm_as_interrupt()
    with atomic_output(out, [ref, other], overwrite) as tmp:
        stats = conform(plan, tmp, cb)
    argv = ffmpeg_equivalent(plan, stats.other_t0)
    d.update(
        written=True, video_packets_copied=stats.video_packets, audio_packets_copied=stats.copied_audio_packets,
        audio_samples=stats.audio_samples, first_audio_s=stats.first_audio_s, ffmpeg=argv,
        ffmpeg_command=shlex.join(argv),
    )  # fmt: skip
    if verify:
        d["verify"] = _verify(plan, progress)
    return d


def _plan_fields(plan) -> dict[str, Any]:
    return {
        "mode": plan.mode,
        "audio_codec": plan.audio_codec,
        "rate": plan.rate,
        "channels": plan.channels,
        "resampled": plan.resample,
        "offset_s": round(plan.offset_s, 6),
        "drift_ppm": round(plan.drift_ppm, 3),
        "ref_start_s": round(plan.start_s, 6),
        "ref_end_s": round(plan.end_s, 6),
        "video_stream": plan.video_stream,
        "other_stream": plan.other_stream,
        "kept_streams": list(plan.keep_streams),
    }


def _verify(plan, progress) -> dict[str, Any]:
    from ..alignment.verify import verify_alignment
    from ..media import load_audio, probe

    sr = 16000
    ref_info = probe(plan.ref)
    k = [s.index for s in ref_info.audio_streams].index(plan.ref_stream)
    if progress:
        progress("verify", 0.0, None)
    x = load_audio(plan.ref, sr, stream=k)
    y = load_audio(plan.output, sr, stream=0)
    v = verify_alignment(x.y, y.y, sr, t0_x=x.t0, t0_y=y.t0)

    def r(res) -> dict[str, Any]:
        return {
            "ref_start_s": round(res.ref_start_s, 3),
            "ref_end_s": round(res.ref_end_s, 3),
            "offset_s": None if res.offset_s is None else round(res.offset_s, 6),
            "confidence": None if res.confidence is None else round(res.confidence, 4),
            "error": res.error,
        }

    return {"passed": v.passed, "tolerance_s": v.tolerance_s, "start": r(v.start), "end": r(v.end)}

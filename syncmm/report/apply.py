"""The ``apply`` section of a report: the plan, what was written, the ffmpeg equivalent and the verification."""

from __future__ import annotations

import shlex
from typing import Any

from .ffmpeg import ffmpeg_equivalent


def apply_section(outcome) -> dict[str, Any]:
    """The report's ``apply`` dict of a :class:`~syncmm.jobs.apply.ApplyOutcome`."""
    plan, stats = outcome.plan, outcome.stats
    d: dict[str, Any] = {"output": str(plan.output), "dry_run": stats is None, "written": stats is not None,
                         **_plan_fields(plan)}  # fmt: skip
    argv = ffmpeg_equivalent(plan, outcome.other_t0)
    if stats is not None:
        d.update(
            video_packets_copied=stats.video_packets, audio_packets_copied=stats.copied_audio_packets,
            audio_samples=stats.audio_samples, first_audio_s=stats.first_audio_s,
        )  # fmt: skip
    d.update(ffmpeg=argv, ffmpeg_command=shlex.join(argv))
    if outcome.verify is not None:
        d["verify"] = _verify(outcome.verify)
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


def _verify(v) -> dict[str, Any]:
    def r(res) -> dict[str, Any]:
        return {
            "ref_start_s": round(res.ref_start_s, 3),
            "ref_end_s": round(res.ref_end_s, 3),
            "offset_s": None if res.offset_s is None else round(res.offset_s, 6),
            "confidence": None if res.confidence is None else round(res.confidence, 4),
            "error": res.error,
        }

    return {"passed": v.passed, "tolerance_s": v.tolerance_s, "start": r(v.start), "end": r(v.end)}

"""The ffmpeg command that does what a corrected-media plan does (``--dry-run`` and every apply report)."""

from __future__ import annotations

import shlex

from ..types import ApplyPlan


def ffmpeg_equivalent(plan: ApplyPlan, other_t0: float = 0.0) -> list[str]:
    """The ffmpeg command that does what ``plan`` does (``--dry-run``).

    ffmpeg has no drift resampler that takes a ratio, so drift is expressed with ``atempo`` (a time
    stretch that keeps the pitch; syncmm resamples, which shifts the pitch by ``drift_ppm`` -- 0.35 cent at
    200 ppm).  The audio filters pad and trim to REF's span exactly as syncmm does.
    """
    tm = plan.time_map
    k = plan.other_stream
    if plan.audio_codec == "copy":
        return [
            "ffmpeg", "-itsoffset", f"{plan.offset_s:.6f}", "-i", plan.other, "-map", f"0:{k}", "-c", "copy",
            plan.output,
        ]  # fmt: skip
    lead = tm.ref_time(other_t0) - plan.start_s  # where OTHER's first sample lands in OUT
    chain = []
    if plan.resample and tm.drift_ppm != 0:
        chain.append(f"atempo={tm.ratio:.9f}")
    if lead >= 0:
        chain.append(f"adelay=delays={lead * 1e3:.3f}:all=1")
    else:
        chain.append(f"atrim=start={-lead:.6f},asetpts=PTS-STARTPTS")
    dur = plan.end_s - plan.start_s
    chain += [f"aresample={plan.rate}", f"apad=whole_dur={dur:.6f}", f"atrim=duration={dur:.6f}"]
    inputs = ["-i", plan.ref, "-i", plan.other] if plan.mode == "video" else ["-i", plan.other]
    src = 1 if plan.mode == "video" else 0
    argv = ["ffmpeg", *inputs, "-filter_complex", f"[{src}:{k}]{','.join(chain)}[a]"]
    if plan.mode == "video":
        argv += ["-map", f"0:{plan.video_stream}", "-map", "[a]"]
        for s in plan.keep_streams:
            argv += ["-map", f"0:{s}"]
        argv += ["-c:v", "copy", "-c:a:0", plan.audio_codec]
        for i in range(len(plan.keep_streams)):
            argv += [f"-c:a:{i + 1}", "copy"]
    else:
        argv += ["-map", "[a]", "-c:a", plan.audio_codec]
    argv += ["-ac", str(plan.channels), plan.output]
    return argv


def ffmpeg_command(plan: ApplyPlan, other_t0: float = 0.0) -> str:
    """:func:`ffmpeg_equivalent` as one shell-quoted line."""
    return shlex.join(ffmpeg_equivalent(plan, other_t0))

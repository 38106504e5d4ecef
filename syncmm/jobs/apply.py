"""The ``apply`` job: write corrected media (``align --apply``, ``syncmm apply``, ``check --fix``) and verify it.

Plans with :func:`syncmm.media.apply_plan.plan_apply`, writes through the one output gate
(:func:`syncmm.outputs.atomic_output`: a temporary file renamed into place) with
:func:`syncmm.media.conform.conform`, and optionally re-aligns the output with REF
(:func:`syncmm.alignment.verify.verify_alignment`).  Returns what happened; the report layer formats it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from ..exceptions import ParameterError
from ..types import ApplyPlan, ApplyStats

StageFn = Callable[[str, float, "float | None"], None]
MODES = ("auto", "video", "shift")


@dataclass(frozen=True)
class ApplyOutcome:
    """The plan, what writing it did (None for a dry run), the verification (None unless asked) and OTHER's
    first-sample time the ffmpeg equivalent needs."""

    plan: ApplyPlan
    stats: ApplyStats | None
    verify: object | None  # syncmm.alignment.verify.Verification
    other_t0: float


def apply(
    *,
    ref: str | os.PathLike,
    other: str | os.PathLike,
    out: str | os.PathLike,
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
    progress: StageFn | None = None,
) -> ApplyOutcome:
    """Plan, write (atomically) and optionally verify the corrected file.

    Raises
    ------
    ParameterError
        An unknown mode, or ``verify`` when REF has no audio to verify against (exit 2).
    OutputError, NoStreamError, DecodeError
        From the output gate and the media layer.
    """
    from ..media.apply_plan import plan_apply
    from ..media.conform import conform
    from ..outputs import atomic_output, check_output_path

    if mode not in MODES:
        raise ParameterError(f"--mode: use auto, video or shift, not {mode!r}")
    check_output_path(out, [ref, other], overwrite)
    plan = plan_apply(
        ref, other, out, offset_s=offset_s, drift_ppm=drift_ppm, ref_stream=ref_stream, other_stream=other_stream,
        mode=mode, audio_codec=audio_codec, keep_original_audio=keep_original_audio,
    )  # fmt: skip
    if verify and plan.ref_stream is None:
        raise ParameterError("--verify: REF has no audio to verify against")
    if dry_run:
        return ApplyOutcome(plan, None, None, other_t0)
    cb = (lambda done, total: progress("write", done, total)) if progress else None
    with atomic_output(out, [ref, other], overwrite) as tmp:
        stats = conform(plan, tmp, cb)
    return ApplyOutcome(plan, stats, verify_output(plan, progress) if verify else None, stats.other_t0)


def verify_output(plan, progress: StageFn | None = None):
    """Re-align the written output with REF at its start and end (:func:`~syncmm.alignment.verify.verify_alignment`)."""
    from ..alignment.verify import verify_alignment
    from ..media import load_audio, probe

    sr = 16000
    ref_info = probe(plan.ref)
    k = [s.index for s in ref_info.audio_streams].index(plan.ref_stream)
    if progress:
        progress("verify", 0.0, None)
    x = load_audio(plan.ref, sr, stream=k)
    y = load_audio(plan.output, sr, stream=0)
    return verify_alignment(x.y, y.y, sr, t0_x=x.t0, t0_y=y.t0)

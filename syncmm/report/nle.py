"""NLE timelines from reports (``syncmm export``): OpenTimelineIO and its FCPXML, FCP7 XML and CMX 3600 adapters.

Needs the extra ``nle`` (``pip install 'syncmm[nle]'``).  Each placed file becomes a clip on a track of its own
(video when the file has a picture, else audio), at its place on REF's timeline rounded to whole frames; the
rounding residual of every clip is reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..exceptions import ParameterError

TARGETS = {"otio": ("otio_json", ".otio"), "fcpxml": ("fcpx_xml", ".fcpxml"), "fcp7": ("fcp_xml", ".xml"),
           "edl": ("cmx_3600", ".edl")}  # fmt: skip
DEFAULT_FPS = "25"


@dataclass(frozen=True)
class Placement:
    """One file on the exported timeline."""

    path: str
    start_s: float  # where the file's first sample/frame falls on REF's timeline
    duration_s: float
    media_start_s: float
    has_video: bool


@dataclass(frozen=True)
class PlacedClip:
    """What the export did with one file: its start in frames and the rounding residual."""

    path: str
    track: str
    start_s: float
    start_frame: int
    duration_frames: int
    residual_s: float  # how much later than exact the clip's media plays on the timeline (frame rounding)


def placements(entries: list[dict[str, Any]]) -> list[Placement]:
    """The files of a report to put on a timeline: a ``--timeline`` report, or pair reports sharing one REF.

    Raises
    ------
    ParameterError
        Nothing placed, or pair reports made against different REF files.
    """

    def dur(f: dict[str, Any]) -> float:
        d = f.get("duration_s") or f.get("audio_duration_s")
        if not d:
            raise ParameterError(f"{f.get('path')}: the report gives no duration")
        return float(d)

    if len(entries) == 1 and entries[0].get("kind") == "timeline":
        out = [
            Placement(
                f["path"],
                float(f["start_s"]) + float(f.get("media_start_s") or 0.0),
                dur(f),
                float(f.get("media_start_s") or 0.0),
                "video" in f,
            )
            for f in entries[0]["files"]
            if f.get("status") == "ok"
        ]
    else:
        good = [d for d in entries if d.get("offset_s") is not None and "ref" in d]
        if not good:
            raise ParameterError("the report holds no offset to place")
        refs = {d["ref"]["path"] for d in good}
        if len(refs) > 1:
            raise ParameterError(f"the report's pairs have {len(refs)} different REF files; use align --timeline")
        r = good[0]["ref"]
        r0 = float(r.get("start_time_s") or 0.0)
        out = [Placement(r["path"], r0, dur(r), r0, "video" in r)]
        for d in good:
            o = d["other"]
            t0 = float(o.get("start_time_s") or 0.0)
            out.append(Placement(o["path"], float(d["offset_s"]) + t0, dur(o), t0, "video" in o))
    if not out:
        raise ParameterError("the report places no file")
    return out


def left_out(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The files of a report that :func:`placements` cannot place, with why: ``(path, reason)``."""
    if len(entries) == 1 and entries[0].get("kind") == "timeline":
        return [(f["path"], str(f.get("error") or f.get("status"))) for f in entries[0]["files"]
                if f.get("status") != "ok"]  # fmt: skip
    return [(d["other"]["path"], str(d.get("error") or d.get("status"))) for d in entries
            if d.get("offset_s") is None]  # fmt: skip


def frame_rate(entries: list[dict[str, Any]], fps: str | None) -> Fraction:
    """``fps`` if given, else the first video's frame rate in the report, else 25."""
    if fps is None:
        media = entries[0]["files"] if entries[0].get("kind") == "timeline" else [
            m for d in entries for m in (d.get("ref", {}), d.get("other", {}))]  # fmt: skip
        fps = next((m["video"]["frame_rate"] for m in media if m.get("video", {}).get("frame_rate")), DEFAULT_FPS)
    try:
        rate = Fraction(str(fps))
    except (ValueError, ZeroDivisionError):
        raise ParameterError(f"--fps: not a frame rate: {fps!r}") from None
    if not 1 <= rate <= 1000:
        raise ParameterError(f"--fps: {fps!r} is not a frame rate between 1 and 1000")
    return rate


def build_timeline(places: list[Placement], rate: Fraction, name: str = "syncmm"):
    """An ``opentimelineio.schema.Timeline`` and the clips placed on it, earliest start at frame 0."""
    import opentimelineio as otio

    r = float(rate)
    origin = min(p.start_s for p in places)
    tl = otio.schema.Timeline(name=name)
    tl.global_start_time = otio.opentime.RationalTime(0, r)
    clips, tracks = [], []
    n_v = n_a = 0
    for p in places:
        src0 = round(p.media_start_s * r)  # the clip begins at this source frame...
        exact = p.start_s - p.media_start_s + src0 / r - origin  # ...which belongs here on the timeline
        start_f = round(exact * r)
        dur_f = max(1, round(p.duration_s * r))
        if p.has_video:
            n_v += 1
            kind, label = otio.schema.TrackKind.Video, f"V{n_v}"
        else:
            n_a += 1
            kind, label = otio.schema.TrackKind.Audio, f"A{n_a}"
        rng = otio.opentime.TimeRange(otio.opentime.RationalTime(src0, r), otio.opentime.RationalTime(dur_f, r))
        ref = otio.schema.ExternalReference(target_url=Path(p.path).resolve().as_uri(), available_range=rng)
        track = otio.schema.Track(name=f"{label} {os.path.basename(p.path)}", kind=kind)
        if start_f > 0:
            track.append(otio.schema.Gap(duration=otio.opentime.RationalTime(start_f, r)))
        track.append(otio.schema.Clip(name=os.path.basename(p.path), media_reference=ref, source_range=rng))
        tracks.append(track)
        clips.append(PlacedClip(p.path, label, p.start_s, start_f, dur_f, start_f / r - exact))
    end = max(t.duration().value for t in tracks)
    for t in tracks:  # every track as long as the timeline: FCPXML hangs each lane's clips on the first one
        if t.duration().value < end:
            t.append(otio.schema.Gap(duration=otio.opentime.RationalTime(end - t.duration().value, r)))
        tl.tracks.append(t)
    return tl, clips, origin


def render_nle(timeline, target: str, path: str | os.PathLike) -> list[tuple[Path, str]]:
    """The file(s) to write for ``timeline`` in ``target`` format (``otio``, ``fcpxml``, ``fcp7`` or ``edl``):
    ``(path, text)`` pairs; nothing is written here.

    A CMX 3600 EDL is one event list (the adapter writes one track): the EDL target gives one EDL per file,
    ``NAME.01.edl``, ``NAME.02.edl``, ... in track order, all on the same record timecodes (video files as
    ``V`` events, audio-only files as ``A`` events).
    """
    import opentimelineio as otio

    adapter, _ = TARGETS[target]
    path = Path(path)
    if target == "fcpxml" and not any(t.kind == otio.schema.TrackKind.Video for t in timeline.tracks):
        timeline = timeline.deepcopy()  # FCPXML hangs audio lanes on a primary storyline: give it a gap
        story = otio.schema.Track(name="storyline", kind=otio.schema.TrackKind.Video)
        story.append(otio.schema.Gap(duration=timeline.tracks.duration()))
        timeline.tracks.insert(0, story)
    if target != "edl":
        return [(path, otio.adapters.write_to_string(timeline, adapter_name=adapter))]
    from otio_cmx3600_adapter.cmx_3600 import EDLWriter

    out = []
    for k, t in enumerate(timeline.tracks, 1):
        one = otio.schema.Timeline(name=f"{timeline.name} {t.name}", global_start_time=timeline.global_start_time)
        one.tracks.append(t.deepcopy())
        w = EDLWriter(tracks=one.tracks, rate=t.duration().rate, style="avid")
        name = path.with_name(f"{path.stem}.{k:02d}{path.suffix or '.edl'}")
        out.append((name, w.get_content_for_track_at_index(0, title=one.name)))
    return out

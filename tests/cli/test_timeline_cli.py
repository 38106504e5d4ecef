"""Multicam ``align --timeline`` on four generated recordings, and ``export`` to OTIO, FCPXML, FCP7 XML and EDL."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from syncmm.cli import app
from syncmm.media.write import write_audio, write_test_video
from syncmm.synth import excerpt, speech_like

SR = 16000
runner = CliRunner()
# where each recording starts in the event = its place on REF's timeline (REF starts at 0)
TRUTH = {"camA.mp4": (0.0, 40.0), "rec.flac": (20.123, 50.0), "camB.mkv": (35.5, 55.0), "zoom.wav": (75.2504, 45.0)}


@pytest.fixture(scope="module")
def shoot(tmp_path_factory):
    d = tmp_path_factory.mktemp("multicam")
    event = speech_like(125.0, SR, np.random.default_rng(11))
    for name, (start, dur) in TRUTH.items():
        y = excerpt(event, SR, start, dur)
        if name.startswith("cam"):
            write_test_video(d / name, dur, fps=25, audio=y, sr=SR)
        else:
            write_audio(d / name, y, SR)
    return d


@pytest.fixture(scope="module")
def report(shoot):
    # zoom.wav starts after REF and rec.flac end: only camB shares sound with it
    files = [str(shoot / n) for n in TRUTH]
    r = runner.invoke(app, ["align", *files, "--timeline", "-f", "json", "-o", str(shoot / "tl.json")])
    assert r.exit_code == 0, r.output
    return shoot / "tl.json"


def test_every_file_placed_within_1ms(report):
    d = json.loads(report.read_text())
    assert d["kind"] == "timeline" and d["status"] == "ok" and d["exit_code"] == 0
    got = {f["path"].rsplit("/", 1)[-1]: f for f in d["files"]}
    for name, (start, _) in TRUTH.items():
        assert got[name]["status"] == "ok"
        assert abs(got[name]["start_s"] - start) < 1e-3, (name, got[name]["start_s"], start)
    assert got["zoom.wav"]["hops"] == 2  # placed through camB
    linked = {(p["a"], p["b"]) for p in d["pairs"]}
    assert (0, 3) not in linked and (1, 3) not in linked and (2, 3) in linked


def test_text_and_unreadable_file(shoot, tmp_path):
    (tmp_path / "junk.mov").write_bytes(b"\0" * 100)
    r = runner.invoke(app, ["align", str(shoot / "camA.mp4"), str(shoot / "rec.flac"), str(tmp_path / "junk.mov"),
                            "--timeline"])  # fmt: skip
    assert r.exit_code == 3, r.output
    assert "rec.flac" in r.stdout and "+20.12" in r.stdout and "junk.mov" in r.stderr
    r = runner.invoke(app, ["align", str(shoot / "camA.mp4"), str(shoot / "rec.flac"), "--timeline", "--apply", "x"])
    assert r.exit_code == 2


def _tc_frames(tc: str, fps: int = 25) -> int:
    h, m, s, f = map(int, re.split("[:;]", tc))
    return ((h * 60 + m) * 60 + s) * fps + f


def test_export_otio_round_trip_within_half_a_frame(report, tmp_path):
    otio = pytest.importorskip("opentimelineio")
    out = tmp_path / "shoot.otio"
    r = runner.invoke(app, ["export", str(report), "--to", "otio", "-o", str(out), "-f", "json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["frame_rate"] == "25" and summary["origin_s"] == 0.0  # the first video's rate; REF earliest
    tl = otio.adapters.read_from_file(str(out))
    starts = {}
    for track in tl.tracks:
        for clip in track.find_clips():
            starts[clip.name] = (clip.range_in_parent().start_time.to_seconds(), track.kind)
    assert set(starts) == set(TRUTH)
    for name, (start, _) in TRUTH.items():
        assert abs(starts[name][0] - start) <= 0.5 / 25 + 1e-9, (name, starts[name], start)
    assert starts["camA.mp4"][1] == "Video" and starts["zoom.wav"][1] == "Audio"
    for c in summary["clips"]:
        assert abs(c["residual_s"]) <= 0.5 / 25 + 1e-9
        assert c["start_frame"] == round(c["start_s"] * 25)
    r = runner.invoke(app, ["export", str(report), "--to", "otio", "-o", str(out)])
    assert r.exit_code == 5  # exists, no -y


def test_export_fcpxml_fcp7_edl_parse(report, tmp_path):
    otio = pytest.importorskip("opentimelineio")
    for to, adapter in (("fcpxml", "fcpx_xml"), ("fcp7", "fcp_xml")):
        out = tmp_path / f"shoot.{to}"
        r = runner.invoke(app, ["export", str(report), "--to", to, "-o", str(out)])
        assert r.exit_code == 0, r.output
        back = otio.adapters.read_from_file(str(out), adapter_name=adapter)
        tl = back[0] if isinstance(back, otio.schema.SerializableCollection) else back
        assert {c.name for c in tl.find_clips()} == set(TRUTH)
    r = runner.invoke(app, ["export", str(report), "--to", "edl", "-o", str(tmp_path / "shoot.edl"), "-f", "json"])
    assert r.exit_code == 0, r.output
    files = json.loads(r.stdout)["files"]
    assert [f.rsplit("/", 1)[-1] for f in files] == [f"shoot.{k:02d}.edl" for k in (1, 2, 3, 4)]
    for f, (name, (start, _dur)) in zip(files, TRUTH.items(), strict=True):
        text = open(f).read()
        back = otio.adapters.read_from_string(text, adapter_name="cmx_3600", rate=25)
        assert [c.name for c in back.find_clips()] == [name]
        event = next(ln for ln in text.splitlines() if ln.startswith("001 "))
        rec_in = _tc_frames(event.split()[-2])
        assert rec_in == round(start * 25) and event.split()[2] == ("V" if name.startswith("cam") else "A")


def test_export_from_pair_report(shoot, tmp_path):
    pytest.importorskip("opentimelineio")
    rep = tmp_path / "pairs.json"
    r = runner.invoke(app, ["align", str(shoot / "camA.mp4"), str(shoot / "rec.flac"), "-f", "json", "-o", str(rep)])
    assert r.exit_code == 0
    r = runner.invoke(app, ["export", str(rep), "--to", "otio", "-o", str(tmp_path / "p.otio"), "--fps", "30000/1001"])
    assert r.exit_code == 0, r.output
    assert "30000/1001 fps" in r.stdout and "rec.flac" in r.stdout
    r = runner.invoke(app, ["export", str(rep), "--to", "avid", "-o", str(tmp_path / "p.x")])
    assert r.exit_code == 2


def test_a_timeline_whose_ref_fails_to_decode_lets_every_worker_go(tmp_path):
    """REF probes but cannot be decoded (a WAV cut to half its declared length): its error is raised, and the
    workers that decoded the other files are ended with it, not left waiting for requests (while the error,
    whose traceback holds the decoded files, is still alive)."""
    import multiprocessing as mp

    from syncmm.exceptions import DecodeError
    from syncmm.jobs.align import align_timeline

    event = speech_like(125.0, SR, np.random.default_rng(11))
    write_audio(tmp_path / "full.wav", excerpt(event, SR, 0.0, 60.0), SR)
    data = (tmp_path / "full.wav").read_bytes()
    (tmp_path / "ref.wav").write_bytes(data[: len(data) // 2])
    for name, start in (("a.flac", 20.0), ("b.wav", 70.0)):
        write_audio(tmp_path / name, excerpt(event, SR, start, 50.0), SR)
    try:
        align_timeline([str(tmp_path / n) for n in ("ref.wav", "a.flac", "b.wav")], parallel=True)
    except DecodeError as e:
        assert "truncated" in str(e)
        assert mp.active_children() == []
    else:
        pytest.fail("REF was decoded")

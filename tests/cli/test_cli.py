"""The command line through typer's CliRunner: stdout is only results, each exit code is exercised."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from syncmm.cli import app
from syncmm.media.write import write_audio
from syncmm.synth import excerpt, speech_like

SR = 16000
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    base = speech_like(40.0, SR, np.random.default_rng(11))
    write_audio(d / "ref.flac", excerpt(base, SR, 2.0, 30.0), SR)
    write_audio(d / "a.m4a", excerpt(base, SR, 7.25, 10.0), SR, bit_rate=64000)
    write_audio(d / "b.wav", excerpt(base, SR, 1.0, 10.0), SR)
    write_audio(d / "silence.wav", np.zeros(5 * SR, np.float32), SR)
    write_audio(d / "short.wav", excerpt(base, SR, 3.0, 0.2), SR)
    write_audio(d / "unrelated.wav", speech_like(10.0, SR, np.random.default_rng(99)), SR)
    (d / "empty.wav").write_bytes(b"")
    (d / "notes.mp4").write_text("not a video\n" * 50)
    # a video with no audio stream
    with av.open(str(d / "video_only.mp4"), "w") as c:
        s = c.add_stream("mpeg4", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in range(25):
            fr = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 8, np.uint8), format="rgb24")
            for p in s.encode(fr):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    # an mp4 with audio, then truncated to half its size
    write_audio(d / "full.m4a", excerpt(base, SR, 4.0, 10.0), SR, bit_rate=64000)
    data = (d / "full.m4a").read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 2])
    return d


def test_version_and_help():
    r = run("--version")
    assert r.exit_code == 0 and r.stdout.startswith("syncmm ")
    r = run("align", "--help")
    assert r.exit_code == 0
    assert r.stdout.index("Examples") < r.stdout.index("Options")


def test_a_run_builds_only_the_command_it_names():
    """``run()`` hands typer the one command its arguments start with; help, root options and unknown names
    get the whole app (and the app itself keeps every command, for CliRunner)."""
    from syncmm.cli import _app_for

    every = [c.name for c in app.registered_commands]
    assert {"align", "apply", "batch", "check", "export", "selftest", "warp"} <= set(every)
    assert [c.name for c in _app_for(["check", "x.mp4"]).registered_commands] == ["check"]
    for args in ([], ["-h"], ["--version", "align"], ["alig", "x"]):
        assert _app_for(args) is app
    assert [c.name for c in app.registered_commands] == every
    exe = [sys.executable, "-m", "syncmm"]
    out = subprocess.run([*exe, "-h"], capture_output=True, text=True, check=True).stdout
    assert all(name in out for name in every)
    p = subprocess.run([*exe, "alig", "x"], capture_output=True, text=True)
    assert p.returncode == 2 and "Did you mean 'align'?" in p.stderr
    p = subprocess.run([*exe, "warp", "-h"], capture_output=True, text=True, check=True)
    assert p.stdout.startswith("Usage: ") and " warp [OPTIONS] {REF} {OTHER}" in p.stdout.splitlines()[0]


def test_help_imports_no_heavy_library():
    code = "import sys, syncmm.cli; print(sorted(m for m in ('numpy', 'av', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_json_report(files):
    r = run("align", files / "ref.flac", files / "a.m4a", "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["schema"] == "syncmm.report/1"
    assert d["status"] == "ok"
    assert d["offset_s"] == pytest.approx(5.25, abs=1e-3)
    assert d["offset_samples"] == pytest.approx(5.25 * SR, abs=16)
    assert d["delay"] == {"file": str(files / "a.m4a"), "seconds": d["offset_s"]}
    assert "trim" not in d
    for key in ("confidence", "method", "features", "overlap", "ffmpeg", "ffmpeg_command", "analysis_rate"):
        assert key in d
    for side in ("ref", "other"):
        assert {"path", "duration_s", "sample_rate", "start_time_s", "codec"} <= set(d[side])
    assert d["overlap"]["duration_s"] == pytest.approx(10.0, abs=0.05)
    assert d["ffmpeg"][d["ffmpeg"].index("-itsoffset") + 1] == f"{d['offset_s']:.6f}"


def test_negative_offset_is_a_trim(files):
    r = run("align", files / "ref.flac", files / "b.wav", "-f", "json")
    d = json.loads(r.stdout)
    assert d["offset_s"] == pytest.approx(-1.0, abs=1e-4)
    assert d["trim"]["seconds"] == pytest.approx(1.0, abs=1e-4)


def test_several_others_give_a_list_and_the_worst_exit_code(files):
    r = run("align", files / "ref.flac", files / "a.m4a", files / "b.wav", files / "unrelated.wav", "-f", "json")
    assert r.exit_code == 4
    d = json.loads(r.stdout)
    assert [e["status"] for e in d] == ["ok", "ok", "no_alignment"]
    assert d[2]["exit_code"] == 4
    r = run("align", files / "ref.flac", files / "a.m4a", files / "missing.wav", "-f", "csv")
    assert r.exit_code == 3
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["status"] for row in rows] == ["ok", "error"]
    assert float(rows[0]["offset_s"]) == pytest.approx(5.25, abs=1e-3)


def test_text_and_jsonl(files):
    r = run("align", files / "ref.flac", files / "a.m4a")
    assert r.exit_code == 0
    assert "delay OTHER by 5.25" in r.stdout and "confidence" in r.stdout
    r = run("align", files / "ref.flac", files / "a.m4a", files / "b.wav", "-f", "jsonl")
    assert [json.loads(line)["status"] for line in r.stdout.splitlines()] == ["ok", "ok"]


def test_output_file_is_atomic_and_not_overwritten(files, tmp_path):
    out = tmp_path / "report.json"
    r = run("align", files / "ref.flac", files / "a.m4a", "-f", "json", "-o", out)
    assert r.exit_code == 0 and r.stdout == ""
    assert json.loads(out.read_text())["status"] == "ok"
    r = run("align", files / "ref.flac", files / "a.m4a", "-f", "json", "-o", out)
    assert r.exit_code == 5 and "exists" in r.stderr
    r = run("align", files / "ref.flac", files / "a.m4a", "-f", "json", "-o", out, "-y")
    assert r.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temp file left
    before = (files / "a.m4a").read_bytes()
    r = run("align", files / "ref.flac", files / "a.m4a", "-o", files / "a.m4a", "-y")
    assert r.exit_code == 5 and "input" in r.stderr
    assert (files / "a.m4a").read_bytes() == before
    r = run("align", files / "ref.flac", files / "a.m4a", "-o", tmp_path / "nodir" / "r.json")
    assert r.exit_code == 5


def test_tolerance_and_min_confidence_checks(files):
    r = run("align", files / "ref.flac", files / "a.m4a", "--tolerance", "40ms")
    assert r.exit_code == 1
    r = run("align", files / "ref.flac", files / "a.m4a", "--tolerance", "40ms", "--expect", "5.25s", "-f", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["checks"]["tolerance"]["passed"] is True
    r = run("align", files / "ref.flac", files / "a.m4a", "--min-confidence", "0.999", "-f", "json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["status"] == "check_failed"


def test_max_offset_option(files):
    r = run("align", files / "ref.flac", files / "a.m4a", "--max-offset", "2s")
    assert r.exit_code == 4
    r = run("align", files / "ref.flac", files / "a.m4a", "--max-offset", "0:06", "-f", "json")
    assert r.exit_code == 0


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("missing.wav", 3, "no such file"),
        (".", 3, "directory"),
        ("empty.wav", 3, "empty"),
        ("notes.mp4", 3, "cannot be read as media"),
        ("truncated.mp4", 3, "cannot be read as media"),
        ("video_only.mp4", 3, "no audio stream"),
        ("silence.wav", 4, "silent"),
        ("short.wav", 4, "too short"),
    ],
)
def test_bad_input_exit_codes(files, tmp_path, name, code, words):
    target = files if name == "." else files / name
    out = tmp_path / "r.json"
    r = run("align", files / "ref.flac", target, "-o", out)
    assert r.exit_code == code
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()


def test_usage_errors_exit_2(files):
    assert run("align", files / "ref.flac", files / "a.m4a", "--format", "xml").exit_code == 2
    assert run("align", files / "ref.flac", files / "a.m4a", "--max-offset", "soon").exit_code == 2
    assert run("align", files / "ref.flac").exit_code == 2


def test_internal_error_exit_70_and_interrupt_130(files, monkeypatch):
    import syncmm.jobs.align as pipeline

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(pipeline, "align_many", boom)
    r = run("align", files / "ref.flac", files / "a.m4a")
    assert r.exit_code == 70 and "internal error" in r.stderr and "Traceback" not in r.stderr
    r = run("align", files / "ref.flac", files / "a.m4a", "-vv")
    assert r.exit_code == 70 and "Traceback" in r.stderr

    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "align_many", interrupt)
    r = run("align", files / "ref.flac", files / "a.m4a")
    assert r.exit_code == 130


def test_console_script_pipes_json(files):
    """The installed entry point: JSON on stdout parses, nothing else is printed there."""
    exe = [sys.executable, "-m", "syncmm"]
    p = subprocess.run(
        [*exe, "align", str(files / "ref.flac"), str(files / "a.m4a"), "-f", "json"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["offset_s"] == pytest.approx(5.25, abs=1e-3)
    p = subprocess.run(
        [*exe, "align", str(files / "ref.flac"), str(files / "nope.wav")], capture_output=True, text=True
    )
    assert p.returncode == 3 and p.stdout == "" and p.stderr.count("\n") == 1


def test_video_reports_frames_and_timecode(tmp_path):
    """A camera file (H.264 + AAC): the report adds the offset in frames at the video's rational rate."""
    sr = 48000
    base = speech_like(20.0, sr, np.random.default_rng(5))
    cam = tmp_path / "cam.mp4"
    with av.open(str(cam), "w") as c:
        v = c.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        a = c.add_stream("aac", rate=sr)
        a.layout = "mono"
        for i in range(25 * 8):
            fr = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i % 255, np.uint8), format="rgb24")
            for p in v.encode(fr):
                c.mux(p)
        for p in v.encode(None):
            c.mux(p)
        y = excerpt(base, sr, 2.0, 8.0)
        res = av.AudioResampler(format="fltp", layout="mono", rate=sr, frame_size=1024)
        af = av.AudioFrame.from_ndarray(y[None], format="fltp", layout="mono")
        af.sample_rate, af.pts = sr, 0
        for f in [*res.resample(af), *res.resample(None)]:
            for p in a.encode(f):
                c.mux(p)
        for p in a.encode(None):
            c.mux(p)
    rec = tmp_path / "rec.wav"
    write_audio(rec, excerpt(base, sr, 3.2, 12.0), sr)
    r = run("align", cam, rec, "-f", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["offset_s"] == pytest.approx(1.2, abs=1e-3)
    assert d["ref"]["video"]["frame_rate"] == "25/1"
    assert d["frames"]["offset_frames"] == pytest.approx(30.0, abs=0.05)
    assert d["frames"]["offset_timecode"] == "00:00:01:05"
    r = run("align", cam, rec)
    assert "30.00 frames at 25/1 fps" in r.stdout


def test_drift_in_reports(tmp_path):
    """Overlap >= 60 s: drift is measured by default and reported; --no-drift turns it off."""
    from syncmm.synth import drifted

    base = speech_like(100.0, SR, np.random.default_rng(21))
    write_audio(tmp_path / "ref.flac", base, SR)
    write_audio(tmp_path / "oth.flac", drifted(base, SR, 4.5, 150.0, 90.0), SR)
    r = run("align", tmp_path / "ref.flac", tmp_path / "oth.flac", "-f", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["drift_ppm"] == pytest.approx(150.0, abs=2.0)
    assert d["offset_s"] == pytest.approx(4.5, abs=1e-3)
    assert d["drift"]["windows_used"] >= 5 and len(d["segments"]) == d["drift"]["windows"]
    assert d["discontinuities"] == []
    assert "t_OTHER = (t_REF - offset_s)" in d["drift"]["model"]
    r = run("align", tmp_path / "ref.flac", tmp_path / "oth.flac")
    assert "drift       +150" in r.stdout or "drift       +149" in r.stdout
    r = run("align", tmp_path / "ref.flac", tmp_path / "oth.flac", "--no-drift", "-f", "json")
    d = json.loads(r.stdout)
    assert d["drift"] is None and d["drift_ppm"] == 0.0 and d["segments"] == []

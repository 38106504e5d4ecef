"""Corrected media (`align --apply`, `apply`): the picture copied bit-exact, the audio in sync from start to end.

Ground truth is generated: a camera clip (H.264 + AAC scratch audio, written with PyAV) of a speech-like event,
and an external recorder that starts 3.217 s later with a clock 100 ppm fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from syncmm.alignment.xcorr import estimate_offset
from syncmm.cli import app
from syncmm.media import load_audio
from syncmm.media.write import write_audio, write_test_video
from syncmm.synth import drifted, speech_timeline

SR = 48000
CAM_S = 150.0
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def video_packets(p: Path) -> list[bytes]:
    with av.open(str(p)) as c:
        return [bytes(k) for k in c.demux(c.streams.video[0]) if k.size]


def residuals(ref: Path, out: Path, windows, out_stream: int = 0) -> list[float]:
    """Offsets t_REF - t_OUT measured independently in each REF-time window (16 kHz analysis)."""
    x = load_audio(ref, 16000)
    y = load_audio(out, 16000, stream=out_stream)
    res = []
    for a, b in windows:
        xs = x.y[int((a - x.t0) * 16000) : int((b - x.t0) * 16000)]
        ys = y.y[int((a - y.t0) * 16000) : int((b - y.t0) * 16000)]
        res.append(estimate_offset(xs, ys, 16000, t0_x=a, t0_y=a, max_offset=1.0).offset_s)
    return res


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("apply")
    event = speech_timeline(CAM_S + 20, SR, np.random.default_rng(7))
    write_test_video(d / "cam.mp4", CAM_S, audio=event[: int(CAM_S * SR)] * 0.8, sr=SR)
    # the recorder starts 3.217 s into the camera's recording, its clock runs 100 ppm fast
    write_audio(d / "rec.wav", drifted(event, SR, 3.217, 100.0, CAM_S - 8), SR)
    write_audio(d / "ref.wav", event[: int(CAM_S * SR)], SR)
    # starts 1.25 s before REF, clock 50 ppm slow, FLAC
    pre = speech_timeline(5.0, SR, np.random.default_rng(8))
    write_audio(d / "early.flac", drifted(np.concatenate([pre, event]), SR, 5.0 - 1.25, -50.0, CAM_S - 10), SR)
    # no drift, AAC: can be stream-copied
    write_audio(d / "late.m4a", drifted(event, SR, 2.5, 0.0, 60.0), SR)
    return d


def test_camera_plus_recorder(media, tmp_path):
    cam, rec, out = media / "cam.mp4", media / "rec.wav", tmp_path / "synced.mp4"
    before = sha(cam), sha(rec)
    r = run("align", cam, rec, "--apply", out, "--verify", "-f", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert abs(d["offset_s"] - 3.217) < 1e-3 and abs(d["drift_ppm"] - 100.0) < 2
    a = d["apply"]
    assert a["written"] and a["mode"] == "video" and a["audio_codec"] == "aac" and a["resampled"]
    assert a["verify"]["passed"]
    # the picture is untouched: every video packet byte-identical
    assert video_packets(out) == video_packets(cam)
    # the new audio against the camera's own scratch audio, over the first and the last minute of the overlap
    first, last = residuals(cam, out, [(4.0, 64.0), (CAM_S - 66.0, CAM_S - 6.0)])
    assert abs(first) <= 1e-3 and abs(last) <= 1e-3, (first, last)
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams] == ["video", "audio"]
        assert abs(float(c.streams.audio[0].duration * c.streams.audio[0].time_base) - CAM_S) < 0.05
    assert (sha(cam), sha(rec)) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask  # a normal file, not mkstemp's 0600


@pytest.mark.parametrize("ext", [".mov", ".mkv"])
def test_camera_with_b_frames(tmp_path, ext):
    """Real cameras encode with B-frames (negative DTS, edit lists): the copy keeps every packet and timestamp."""
    event = speech_timeline(70.0, SR, np.random.default_rng(17))
    cam = tmp_path / "bcam.mp4"
    write_test_video(cam, 60.0, audio=event[: 60 * SR] * 0.8, sr=SR, bframes=3)
    write_audio(tmp_path / "rec.wav", drifted(event, SR, 2.0, -80.0, 55.0), SR)
    out = tmp_path / f"out{ext}"
    r = run("align", cam, tmp_path / "rec.wav", "--apply", out, "--verify", "--drift")
    assert r.exit_code == 0, r.output

    def video(p):
        with av.open(str(p)) as c:
            return [(bytes(k), float(k.pts * k.time_base)) for k in c.demux(c.streams.video[0]) if k.size]

    v_in, v_out = video(cam), video(out)
    with av.open(str(cam)) as c:
        first = next(k for k in c.demux(c.streams.video[0]) if k.size)
        assert first.dts < first.pts  # B-frame delay: negative DTS, as from a camera
    assert [b for b, _ in v_out] == [b for b, _ in v_in]
    assert np.allclose([t for _, t in v_out], [t for _, t in v_in], atol=1e-3)
    first, last = residuals(cam, out, [(3.0, 30.0), (30.0, 56.0)])
    assert abs(first) <= 1e-3 and abs(last) <= 1e-3


def test_apply_from_report_keeps_the_camera_track(media, tmp_path):
    rep = tmp_path / "sync.json"
    assert run("align", media / "cam.mp4", media / "rec.wav", "-f", "json", "-o", rep).exit_code == 0
    out = tmp_path / "synced.mkv"
    r = run("apply", rep, "-o", out, "--keep-original-audio", "--audio-codec", "flac", "--verify")
    assert r.exit_code == 0, r.output
    assert "passed" in r.stdout
    with av.open(str(out)) as c:
        assert [(s.type, s.codec_context.name) for s in c.streams] == [("video", "h264"), ("audio", "flac"),
                                                                        ("audio", "aac")]  # fmt: skip
    assert video_packets(out) == video_packets(media / "cam.mp4")
    # the kept camera track is still where it was
    (kept,) = residuals(media / "cam.mp4", out, [(10.0, 40.0)], out_stream=1)
    assert abs(kept) <= 1e-3


def test_audio_only_apply_then_align(media, tmp_path):
    out = tmp_path / "early-synced.flac"
    r = run("align", media / "ref.wav", media / "early.flac", "--apply", out, "-f", "json")
    assert r.exit_code == 0, r.output
    a = json.loads(r.stdout)["apply"]
    assert a["mode"] == "shift" and a["audio_codec"] == "flac" and a["resampled"]
    r = run("align", media / "ref.wav", out, "-f", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert abs(d["offset_s"]) <= 1e-3 and abs(d["drift_ppm"]) <= 2, (d["offset_s"], d["drift_ppm"])
    assert abs(load_audio(out, 16000).y.size / 16000 - CAM_S) < 0.01  # padded/trimmed to REF


def test_no_drift_is_a_stream_copy(media, tmp_path):
    out = tmp_path / "late-synced.m4a"
    r = run("align", media / "ref.wav", media / "late.m4a", "--no-drift", "--apply", out, "-f", "json")
    assert r.exit_code == 0, r.output
    a = json.loads(r.stdout)["apply"]
    assert a["audio_codec"] == "copy" and not a["resampled"] and a["audio_packets_copied"] > 0

    def packets(p):
        with av.open(str(p)) as c:
            return [bytes(k) for k in c.demux(c.streams.audio[0]) if k.size]

    assert packets(out) == packets(media / "late.m4a")  # all inside REF: every packet, untouched
    (res,) = residuals(media / "ref.wav", out, [(5.0, 60.0)])
    assert abs(res) <= 1e-3


def test_dry_run_prints_the_ffmpeg_command_and_writes_nothing(media, tmp_path):
    out = tmp_path / "x.mp4"
    r = run("align", media / "cam.mp4", media / "rec.wav", "--apply", out, "--dry-run", "-f", "json")
    assert r.exit_code == 0, r.output
    a = json.loads(r.stdout)["apply"]
    assert not a["written"] and a["ffmpeg"][0] == "ffmpeg" and "atempo=1.000100" in a["ffmpeg_command"]
    assert "-c:v copy" in a["ffmpeg_command"]
    assert not out.exists() and not list(tmp_path.iterdir())


def test_verify_fails_on_a_wrong_report(media, tmp_path):
    rep = tmp_path / "sync.json"
    assert run("align", media / "ref.wav", media / "rec.wav", "-f", "json", "-o", rep).exit_code == 0
    d = json.loads(rep.read_text())
    d["offset_s"] += 0.005  # 5 ms off
    rep.write_text(json.dumps(d))
    out = tmp_path / "o.wav"
    r = run("apply", rep, "-o", out, "--verify", "-f", "json")
    assert r.exit_code == 1, r.output
    v = json.loads(r.stdout)["apply"]["verify"]
    assert not v["passed"] and abs(abs(v["start"]["offset_s"]) - 0.005) < 1e-3
    assert out.exists()  # written; the check reports it


def test_bad_inputs(media, tmp_path):
    cam, rec = media / "cam.mp4", media / "rec.wav"
    before = sha(cam), sha(rec)
    rep = tmp_path / "sync.json"
    assert run("align", cam, rec, "-f", "json", "-o", rep).exit_code == 0
    # a report that belongs to other files
    r = run("apply", rep, "-o", tmp_path / "o.mp4", "--other", media / "early.flac")
    assert r.exit_code == 2 and "was made for OTHER" in r.stderr
    r = run("apply", media / "ref.wav", "-o", tmp_path / "o.mp4")
    assert r.exit_code == 2 and "not a" in r.stderr
    # OUT is an input
    r = run("align", cam, rec, "--apply", cam)
    assert r.exit_code == 5 and "is an input" in r.stderr
    # OUT exists without -y; then with -y it is replaced
    out = tmp_path / "exists.mp4"
    out.write_bytes(b"keep me")
    r = run("apply", rep, "-o", out)
    assert r.exit_code == 5 and "already exists" in r.stderr and out.read_bytes() == b"keep me"
    assert run("apply", rep, "-o", out, "-y").exit_code == 0 and video_packets(out) == video_packets(cam)
    # a missing or unwritable folder
    r = run("apply", rep, "-o", tmp_path / "nope" / "o.mp4")
    assert r.exit_code == 5 and "does not exist" in r.stderr
    r = run("apply", rep, "-o", "/proc/syncmm-test.mp4")
    assert r.exit_code == 5 and r.stderr.startswith("syncmm: error:")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if os.access(ro, os.W_OK):  # root ignores permissions
        ro.chmod(0o755)
    else:
        r = run("apply", rep, "-o", ro / "o.mp4")
        assert r.exit_code == 5 and "not writable" in r.stderr
    # usage errors
    assert run("apply", rep, "-o", tmp_path / "o.xyz").exit_code == 2
    assert run("apply", rep, "-o", tmp_path / "o.mp4", "--mode", "sideways").exit_code == 2
    assert run("apply", rep, "-o", tmp_path / "o.m4a", "--audio-codec", "copy").exit_code == 2  # drift: no copy
    assert run("align", cam, rec, "--verify").exit_code == 2  # needs --apply
    assert run("align", cam, rec, rec, "--apply", tmp_path / "o.mp4").exit_code == 2
    assert (sha(cam), sha(rec)) == before
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["exists.mp4", "ro", "sync.json"], left


def test_interrupt_while_writing_leaves_nothing(media, tmp_path, monkeypatch):
    import syncmm.media.conform as conform

    real = conform.placed_audio

    def interrupted(plan, reader):
        for i, y in enumerate(real(plan, reader)):
            if i == 3:
                assert any(p.name.startswith(".o.syncmm-") for p in tmp_path.iterdir())  # writing the temp
                raise KeyboardInterrupt
            yield y

    monkeypatch.setattr(conform, "placed_audio", interrupted)
    r = run("align", media / "cam.mp4", media / "rec.wav", "--apply", tmp_path / "o.mp4")
    assert r.exit_code == 130 and "interrupted" in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def long_pair(tmp_path_factory):
    """10 minutes at 48 kHz, OTHER 120 ppm fast: writing its correction takes a few seconds."""
    d = tmp_path_factory.mktemp("long")
    event = speech_timeline(620.0, SR, np.random.default_rng(21))
    write_audio(d / "ref.flac", event[: 600 * SR], SR)
    write_audio(d / "other.flac", drifted(event, SR, 1.5, 120.0, 590.0), SR)
    return d


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_while_writing_leaves_nothing(long_pair, tmp_path, sig):
    rep = tmp_path / "sync.json"
    assert run("align", long_pair / "ref.flac", long_pair / "other.flac", "-f", "json", "-o", rep).exit_code == 0
    out = tmp_path / "o.flac"
    cmd = [sys.executable, "-m", "syncmm", "apply", str(rep), "-o", str(out), "--verify"]
    # a shell starts background jobs with SIGINT ignored, and Python then keeps ignoring it: restore the default
    # so that the test sends what a terminal's Ctrl-C sends
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: (signal.signal(signal.SIGINT, signal.SIG_DFL),
                                             signal.signal(signal.SIGTERM, signal.SIG_DFL)))  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and p.poll() is None:
        if any(x.name.startswith(".o.syncmm-") and x.stat().st_size > 0 for x in tmp_path.iterdir()):
            break
        time.sleep(0.002)
    if p.poll() is not None:
        pytest.skip("the write finished before the signal could be sent")
    time.sleep(0.2)  # well inside the write
    p.send_signal(sig)
    out_text, err = p.communicate(timeout=60)
    assert p.returncode == 130, (err, out_text)
    assert "interrupted" in err and "Traceback" not in err
    assert sorted(x.name for x in tmp_path.iterdir()) == ["sync.json"]

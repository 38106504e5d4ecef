"""Lip sync: the vendored face models, landmarks on a real photo, and `syncmm check` on real talking heads."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from typer.testing import CliRunner

from syncmm.cli import app
from syncmm.features.face import DETECTOR, LANDMARKS, detect_face, face_landmarks
from syncmm.media.write import write_test_video
from syncmm.synth import fractional_delay

runner = CliRunner()
GRID_SR = 16000


def test_vendored_models_are_the_documented_ones():
    for p, size, digest in [
        (DETECTOR, 229714, "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"),
        (LANDMARKS, 1242398, "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814"),
    ]:
        assert p.stat().st_size == size and hashlib.sha256(p.read_bytes()).hexdigest() == digest
    assert "Apache License" in (DETECTOR.parent / "LICENSE").read_text()


@pytest.mark.parametrize("kind", ["opencv", "litert"])
def test_inner_lip_landmarks_on_the_astronaut(monkeypatch, kind):
    if kind == "litert":
        pytest.importorskip("ai_edge_litert.interpreter", reason="the litert extra is not installed")
    monkeypatch.setenv("SYNCMM_FACE_BACKEND", kind)
    skdata = pytest.importorskip("skimage.data")
    img = skdata.astronaut()  # public domain, shipped in the scikit-image wheel
    found = detect_face(img)
    assert found is not None and found[1] > 0.9
    pts, presence = face_landmarks(img, found[0])
    assert presence > 0.9
    stored = np.array([[223.34, 142.15], [223.21, 148.87], [204.81, 140.04], [243.40, 141.66]])  # 13, 14, 78, 308
    assert np.abs(pts[[13, 14, 78, 308], :2] - stored).max() <= 1.0


def test_the_backend_is_looked_up_once_per_process(monkeypatch):
    import builtins

    from syncmm.features import face

    face._litert_installed.cache_clear()
    tried, real = [], builtins.__import__

    def counting(name, *a, **k):
        if name.startswith("ai_edge_litert"):
            tried.append(name)
        return real(name, *a, **k)

    monkeypatch.delenv("SYNCMM_FACE_BACKEND", raising=False)
    monkeypatch.setattr(builtins, "__import__", counting)
    kinds = {face.backend() for _ in range(5)}  # (asked once per frame)
    assert len(kinds) == 1 and len(tried) <= 1
    monkeypatch.setenv("SYNCMM_FACE_BACKEND", "opencv")  # the environment still decides each time
    assert face.backend() == "opencv"


def _grid_joined(shared_data):
    from syncmm.media import load_audio
    from syncmm.media.video import VideoReader

    frames, audio = [], []
    for f in sorted((shared_data / "lips").glob("grid_*.mpg")):
        with VideoReader(f, width=360, pix_fmt="rgb24") as r:
            frames += [a for _, a in r.frames()][:75]
        y = np.zeros(3 * GRID_SR, np.float32)  # each clip's audio is 2.95-2.98 s: pad to its 3.0 s of video
        s = load_audio(f, GRID_SR).y[: 3 * GRID_SR]
        y[: len(s)] = s
        audio.append(y)
    return frames, np.concatenate(audio)


def write_av(path, frames, audio, shift_s: float) -> None:
    """H.264 + AAC; the audio ``shift_s`` late (negative: early), same length."""
    y = fractional_delay(audio, round(shift_s * GRID_SR))  # whole samples: a plain shift, same length
    h, w = frames[0].shape[:2]
    write_test_video(path, len(frames) / 25, fps=25, size=(w, h), picture=frames, audio=y, sr=GRID_SR, crf=20)


@pytest.fixture(scope="module")
def grid(shared_data):
    return _grid_joined(shared_data)


@pytest.mark.parametrize("shift", [-0.4, -0.12, 0.0, 0.08, 0.4])
def test_check_recovers_a_shifted_audio(grid, tmp_path, shift):
    frames, audio = grid
    f = tmp_path / "talk.mp4"
    write_av(f, frames, audio, shift)
    r = runner.invoke(app, ["check", str(f), "--tolerance", "45ms", "-f", "json"])
    assert r.exit_code in (0, 1), r.output
    d = json.loads(r.stdout)
    assert abs(d["offset_s"] + shift) <= 0.040, (shift, d["offset_s"])  # within one frame at 25 fps
    assert (r.exit_code == 0) == (abs(d["offset_s"]) <= 0.045)
    if shift > 0:
        assert f"audio is {abs(d['offset_s']) * 1e3:.0f} ms late" in d["words"]


def test_fix_and_junit(grid, tmp_path):
    frames, audio = grid
    f, fixed, xml = tmp_path / "late.mp4", tmp_path / "fixed.mp4", tmp_path / "j.xml"
    write_av(f, frames, audio, 0.2)
    r = runner.invoke(app, ["check", str(f), "--tolerance", "45ms", "--junit-xml", str(xml), "--fix", str(fixed)])
    assert r.exit_code == 1, r.output  # out of tolerance before the fix
    suite = ET.parse(xml).getroot()
    assert suite.get("tests") == "1" and suite.get("failures") == "1"
    r = runner.invoke(app, ["check", str(fixed), "--tolerance", "45ms", "-f", "json"])
    assert r.exit_code == 0, r.output
    assert abs(json.loads(r.stdout)["offset_s"]) <= 0.040


def test_undecidable_and_missing_streams(tmp_path, shared_data):
    from syncmm.media.write import write_audio, write_test_video
    from syncmm.synth import speech_like

    noface = tmp_path / "noface.mp4"
    write_test_video(noface, 6.0, audio=speech_like(6.0, 48000, np.random.default_rng(1)), sr=48000)
    r = runner.invoke(app, ["check", str(noface)])
    assert r.exit_code == 4 and "no face" in r.stderr
    write_audio(tmp_path / "a.wav", np.zeros(16000, np.float32), 16000)
    assert runner.invoke(app, ["check", str(tmp_path / "a.wav")]).exit_code == 3
    write_test_video(tmp_path / "silent.mp4", 3.0)
    r = runner.invoke(app, ["check", str(tmp_path / "silent.mp4")])
    assert r.exit_code == 3 and "no audio stream" in r.stderr


def test_no_speech_is_undecidable(grid, tmp_path):
    frames, audio = grid
    f = tmp_path / "mute.mp4"
    hiss = (1e-4 * np.random.default_rng(0).standard_normal(len(audio))).astype(np.float32)
    write_av(f, frames, hiss, 0.0)
    r = runner.invoke(app, ["check", str(f)])
    assert r.exit_code == 4 and "no speech" in r.stderr, r.output

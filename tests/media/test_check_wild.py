"""`syncmm check` on real talking heads in the wild (../shared/data/talking_heads, presumed in sync): decided and
near 0, a known audio shift recovered, another clip's sound refused, a step in sync inside a joined file found,
and the speaking face chosen when two faces are in the picture."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from syncmm.cli import app
from syncmm.media.write import write_test_video
from syncmm.synth import fractional_delay

runner = CliRunner()
SR = 16000
FPS = 25
GERMAN, TRUMP = "yerfor_MimicTalk_German_20s.mp4", "yerfor_MimicTalk_Trump_10s.mp4"


@pytest.fixture(scope="module")
def heads(shared_data):
    d = shared_data / "talking_heads"
    if not d.is_dir():
        pytest.skip("../shared/data/talking_heads is not present")
    return d


def _clip(path, size: int):
    """Frames (RGB, size x size) and the audio cut or padded to the picture's length."""
    import cv2

    from syncmm.media import load_audio
    from syncmm.media.video import VideoReader

    with VideoReader(path, width=512, pix_fmt="rgb24") as r:
        frames = [cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for _, f in r.frames()]
    y = np.zeros(len(frames) * SR // FPS, np.float32)
    a = load_audio(path, SR).y[: len(y)]
    y[: len(a)] = a
    return frames, y


def _late(y: np.ndarray, s: float) -> np.ndarray:
    return fractional_delay(y, round(s * SR))  # whole samples: a plain shift, same length


def _write(path, frames, y):
    h, w = frames[0].shape[:2]
    write_test_video(path, len(frames) / FPS, fps=FPS, size=(w, h), picture=frames, audio=y, sr=SR, crf=20)


def _check(path, *args):
    r = runner.invoke(app, ["check", str(path), "-f", "json", *args])
    return r, (json.loads(r.stdout) if r.exit_code in (0, 1) else None)


@pytest.fixture(scope="module")
def german(heads):
    return _clip(heads / GERMAN, 256)


def test_decided_near_zero_and_a_shift_recovered(german, heads, tmp_path):
    r, d0 = _check(heads / GERMAN)
    assert r.exit_code == 0, r.output
    assert abs(d0["offset_s"]) <= 2 / FPS and d0["confidence"] >= 0.97 and d0["method"] == "lips-cca"
    frames, y = german
    f = tmp_path / "late.mp4"
    _write(f, frames, _late(y, 0.2))
    r, d = _check(f, "--tolerance", "45ms")
    assert r.exit_code == 1, r.output  # 200 ms late: out of tolerance
    assert abs(d["offset_s"] - (d0["offset_s"] - 0.2)) <= 1 / FPS  # within a frame of the shift
    assert "late" in d["words"] and d["checks"]["tolerance"]["passed"] is False


def test_another_clips_sound_is_undecidable(german, heads, tmp_path):
    frames, _ = german
    _, other = _clip(heads / TRUMP, 64)
    y = np.resize(other, len(frames) * SR // FPS)  # looped under the whole picture
    f = tmp_path / "dub.mp4"
    _write(f, frames, y)
    r = runner.invoke(app, ["check", str(f)])
    assert r.exit_code == 4 and "undecidable" in r.stderr, r.output
    assert r.stderr.count("\n") == 1  # one line


def test_music_under_a_speaker_is_undecidable(german, shared_data, tmp_path):
    from syncmm.media import load_audio

    music = sorted((shared_data / "music").glob("*.flac"))
    if not music:
        pytest.skip("no music in ../shared/data/music")
    frames, _ = german
    y = np.resize(load_audio(music[0], SR).y, len(frames) * SR // FPS)
    f = tmp_path / "music.mp4"
    _write(f, frames, y)
    r = runner.invoke(app, ["check", str(f)])
    assert r.exit_code == 4 and r.stderr.count("\n") == 1, r.output


def test_a_step_in_sync_is_found(heads, tmp_path):
    frames, y = _clip(heads / GERMAN, 192)
    frames, y = frames * 3, np.tile(y, 3)  # a 60-s talking head
    at = 30.0
    k = int(at * SR)
    stepped = np.concatenate([y[:k], _late(y[k:], 0.12)])  # in place, then 120 ms late
    plain, step = tmp_path / "plain.mp4", tmp_path / "step.mp4"
    _write(plain, frames, y)
    _write(step, frames, stepped)
    r, d0 = _check(plain)
    assert r.exit_code == 0 and d0["sync_step_s"] is None, r.output
    assert abs(d0["offset_s"]) <= 2 / FPS and len(d0["segments"]) >= 10
    r, d = _check(step, "--tolerance", "80ms")
    assert r.exit_code == 1, r.output  # the late windows are out of tolerance
    assert d["sync_step_s"] is not None and abs(d["sync_step_s"] - at) <= 2.0
    before = [g["offset_s"] for g in d["segments"] if g["end_s"] <= at and g["offset_s"] is not None]
    after = [g["offset_s"] for g in d["segments"] if g["start_s"] >= at and g["offset_s"] is not None]
    assert len(before) >= 2 and len(after) >= 2
    ref = d0["offset_s"]
    assert all(abs(o - ref) <= 1 / FPS for o in before) and all(abs(o - (ref - 0.12)) <= 1 / FPS for o in after)
    assert d["checks"]["tolerance"]["windows_out"]


def test_the_speaking_face_is_chosen(german, heads, tmp_path):
    frames, y = german
    other, _ = _clip(heads / TRUMP, 256)
    other = (other * 3)[: len(frames)]
    both = [np.concatenate([a, b], axis=1) for a, b in zip(frames, other, strict=False)]  # German left, Trump right
    f = tmp_path / "two.mp4"
    _write(f, both, y[: len(both) * SR // FPS])
    r, d = _check(f)
    assert r.exit_code == 0, r.output
    assert d["face"]["faces"] == 2 and d["face"]["box"][0] < 256  # the left face speaks
    assert abs(d["offset_s"]) <= 2 / FPS

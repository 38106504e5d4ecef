"""Video decoding (grey frames with their own timestamps) and alignment by motion alone."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from syncmm.cli import app
from syncmm.exceptions import AlignmentError
from syncmm.features.visual import motion_energy, motion_features
from syncmm.media.video import VideoReader
from syncmm.media.write import write_test_video
from syncmm.synth import moving_scene

runner = CliRunner()


def write_scene(path, start: float, duration: float, fps: int, **kw) -> None:
    """A silent camera filming :func:`syncmm.synth.moving_scene` from scene time ``start``."""
    write_test_video(path, duration, fps=fps, size=(160, 120), crf=23, picture=lambda t: moving_scene(start + t, **kw))


@pytest.fixture(scope="module")
def cams(tmp_path_factory):
    d = tmp_path_factory.mktemp("motion")
    write_scene(d / "a.mp4", 0.0, 24.0, 25)  # camera A: scene time 0..24 s at 25 fps
    write_scene(d / "b.mkv", 5.0, 18.0, 30, dx=6, gain=0.8)  # camera B starts 5 s later, 30 fps, other view
    return d


def test_reader_gives_grey_frames_with_their_times(cams):
    with VideoReader(cams / "b.mkv", width=80) as r:
        got = list(r.frames())
    assert r.info.width == 160 and r.info.frame_rate == "30"
    times = np.array([t for t, _ in got])
    assert got[0][1].shape == (60, 80) and got[0][1].dtype == np.uint8
    assert len(got) == 18 * 30 and np.allclose(np.diff(times), 1 / 30, atol=1e-3)


def test_align_two_cameras_by_motion(cams):
    r = runner.invoke(app, ["align", str(cams / "a.mp4"), str(cams / "b.mkv"), "--features", "motion", "-f", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert abs(d["offset_s"] - 5.0) <= 1 / 30, d["offset_s"]  # within one frame
    assert d["method"] == "motion-xcorr" and d["confidence"] >= 0.3


def test_still_picture_and_no_video():
    frames = [(i / 25, np.full((30, 40), 80, np.uint8)) for i in range(100)]
    t, M = motion_energy(frames)
    with pytest.raises(AlignmentError, match="does not move"):
        motion_features(t, M)


def test_audio_only_input_is_exit_3(cams, tmp_path):
    from syncmm.media.write import write_audio

    write_audio(tmp_path / "x.wav", np.zeros(16000, np.float32), 16000)
    r = runner.invoke(app, ["align", str(cams / "a.mp4"), str(tmp_path / "x.wav"), "--features", "motion"])
    assert r.exit_code == 3 and "no video stream" in r.stderr

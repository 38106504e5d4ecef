"""``syncmm selftest``: perturbations with exact truth, per-method accuracy, recommendation, exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from syncmm.alignment.selftest import plan_trials, selftest
from syncmm.cli import app
from syncmm.exceptions import ParameterError
from syncmm.media.write import write_audio
from syncmm.synth import speech_like

runner = CliRunner()
SR = 16000


def test_plan_covers_every_perturbation():
    plan = plan_trials(20, 30.0, np.random.default_rng(0))
    assert len(plan) == 20 and all(0 <= p.start_s <= 30.0 - p.duration_s for p in plan)
    assert {p.codec for p in plan} == {None, "aac", "mp3", "opus"}
    assert {p.snr_db for p in plan} == {None, 30.0, 20.0, 10.0}
    assert sum(p.drift_ppm != 0 for p in plan) == 10 and max(abs(p.drift_ppm) for p in plan) <= 100
    assert sum(p.lowpass_hz is not None for p in plan) == 6
    assert len({round(p.start_s % (1 / SR) * SR, 3) for p in plan}) > 10  # fractional sample starts


def test_generated_speech_all_within_1ms_and_same_seed_same_result():
    y = speech_like(40.0, SR, np.random.default_rng(2))
    a = selftest(y, SR, trials=8, methods=("xcorr", "coarse"), seed=3)
    b = selftest(y, SR, trials=8, methods=("xcorr", "coarse"), seed=3)
    assert a.results == b.results
    s = {x.method: x for x in a.summaries}
    assert s["xcorr"].within_1ms == 8 and s["xcorr"].p95_abs_error_s < 1e-3
    assert s["coarse"].within_1frame == 8 and s["coarse"].median_abs_error_s > s["xcorr"].median_abs_error_s
    assert a.recommended == "xcorr"
    for r in a.results:  # the error is estimate - truth, truth = the excerpt's start
        p = a.perturbations[r.trial]
        assert r.error_s == pytest.approx(r.offset_s - p.start_s)


def test_bad_input():
    y = speech_like(10.0, SR, np.random.default_rng(2))
    with pytest.raises(ParameterError):
        selftest(y[: 2 * SR], SR)  # too short
    with pytest.raises(ParameterError):
        selftest(np.zeros(20 * SR, np.float32), SR)  # silent
    with pytest.raises(ParameterError):
        selftest(y, SR, methods=("dtw",))


def test_cli_on_real_speech_json(shared_data):
    f = shared_data / "speech" / "codec2_speech_orig_16k.flac"
    r = runner.invoke(app, ["selftest", str(f), "--format", "json", "-q"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["kind"] == "selftest" and d["trials"] == 20 and len(d["trial_list"]) == 20
    assert d["methods"]["xcorr"]["share_within_1ms"] >= 0.95  # the acceptance figure
    assert d["recommended"] in ("xcorr", "gcc-phat") and "within 1 ms" in d["recommendation"]
    assert {t["codec"] for t in d["trial_list"]} == {None, "aac", "mp3", "opus"}


def test_cli_exit_codes(tmp_path):
    t = np.arange(20 * SR) / SR
    write_audio(tmp_path / "tone.wav", 0.3 * np.sin(2 * np.pi * 440 * t), SR)  # periodic: no unique offset
    r = runner.invoke(app, ["selftest", str(tmp_path / "tone.wav"), "--trials", "4", "-q"])
    assert r.exit_code == 4, r.output
    assert "no method aligned" in r.stdout
    r = runner.invoke(app, ["selftest", str(tmp_path / "tone.wav"), "--methods", "dtw"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["selftest", str(tmp_path / "none.wav")])
    assert r.exit_code == 3


def test_silent_camera_motion_only(tmp_path):
    from syncmm.media.write import write_test_video
    from syncmm.synth import moving_scene

    write_test_video(tmp_path / "cam.mp4", 30.0, size=(160, 120), picture=moving_scene)  # no sound
    r = runner.invoke(app, ["selftest", str(tmp_path / "cam.mp4"), "--trials", "8", "-f", "json", "-q"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert list(d["methods"]) == ["motion"] and d["recommended"] == "motion"
    assert d["methods"]["motion"]["within_1frame"] == 8  # motion features cut at known sub-frame shifts
    assert d["frame_s"] == 0.04 and "the file's video" in d["frame_note"]
    r = runner.invoke(app, ["selftest", str(tmp_path / "cam.mp4"), "--methods", "xcorr"])
    assert r.exit_code == 3 and "no sound" in r.stderr  # the input lacks the stream the method needs (GUIDE §4)

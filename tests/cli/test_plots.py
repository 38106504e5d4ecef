"""``--plot``: each picture kind from generated inputs is a valid, non-blank PNG of a sensible size."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from syncmm.cli import app
from syncmm.media.write import write_audio
from syncmm.synth import drifted, excerpt, speech_like

pytest.importorskip("matplotlib")
runner = CliRunner()
SR = 16000


def _check_png(path, min_w=800, min_h=500):
    from matplotlib.image import imread

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and 20_000 < len(data) < 2_000_000
    img = imread(path)
    h, w = img.shape[:2]
    assert w >= min_w and h >= min_h, (w, h)
    gray = img[..., :3].mean(axis=2)
    assert (gray < 0.9).mean() > 0.02 and gray.std() > 0.05  # lines and text, not a blank page


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("plots")
    ev = speech_like(120.0, SR, np.random.default_rng(21))
    write_audio(d / "ref.wav", ev[: 110 * SR], SR)
    write_audio(d / "rec.wav", drifted(ev, SR, 4.321, 80.0, 90.0), SR)
    write_audio(d / "short.wav", excerpt(ev, SR, 30.0, 20.0), SR)
    write_audio(d / "unrelated.wav", speech_like(20.0, SR, np.random.default_rng(5)), SR)
    return d


def test_align_plot_with_drift_panel(pair, tmp_path):
    png = tmp_path / "a.png"
    r = runner.invoke(app, ["align", str(pair / "ref.wav"), str(pair / "rec.wav"), "--plot", str(png), "-q"])
    assert r.exit_code == 0, r.output
    _check_png(png, min_h=850)  # three panels: correlation, zoom, offset over time
    r = runner.invoke(app, ["align", str(pair / "ref.wav"), str(pair / "short.wav"), "--plot", str(png), "-q"])
    assert r.exit_code == 5  # exists: no -y
    r = runner.invoke(app, ["align", str(pair / "ref.wav"), str(pair / "short.wav"), "--plot", str(png), "-y"])
    assert r.exit_code == 0
    _check_png(png)


def test_align_plot_when_no_alignment(pair, tmp_path):
    png = tmp_path / "why.png"
    r = runner.invoke(app, ["align", str(pair / "ref.wav"), str(pair / "unrelated.wav"), "--plot", str(png)])
    assert r.exit_code == 4
    _check_png(png)  # the picture shows why: no peak above chance


def test_align_plot_options(pair, tmp_path):
    r = runner.invoke(app, ["align", str(pair / "ref.wav"), str(pair / "rec.wav"), str(pair / "short.wav"),
                            "--plot", str(tmp_path / "x.png")])  # fmt: skip
    assert r.exit_code == 2 and "--plot" in r.stderr


def test_warp_plot_from_generated_features(tmp_path):
    rng = np.random.default_rng(3)
    X = np.abs(np.cumsum(rng.normal(size=(12, 1500)), axis=1)) + 0.1
    warp_map = np.clip(np.arange(1200) * 1.25 + 8 * np.sin(np.arange(1200) / 90), 0, 1499).astype(int)
    np.save(tmp_path / "ref.npy", X)
    np.save(tmp_path / "oth.npy", X[:, warp_map])
    png = tmp_path / "w.png"
    r = runner.invoke(app, ["warp", str(tmp_path / "ref.npy"), str(tmp_path / "oth.npy"), "--plot", str(png), "-q"])
    assert r.exit_code == 0, r.output
    _check_png(png)


def test_check_plot_from_generated_mouth_and_speech(tmp_path):
    from syncmm.alignment.lipsync import estimate_av_offset
    from syncmm.report.plots import plot_check

    rng = np.random.default_rng(8)
    t = np.arange(0, 30, 1 / 25)
    syll = np.convolve(rng.random(len(t)) > 0.8, np.hanning(7), mode="same")
    mouth = syll + 0.05 * rng.normal(size=len(t))
    mouth[100:140] = np.nan  # the face is lost for a while
    et = np.arange(0, 30, 0.01)
    env = np.interp(et - 0.12, t, syll) * 3 + 0.1 * rng.normal(size=len(et))  # the sound 120 ms late
    mouth = np.column_stack([mouth + 0.05 * rng.normal(size=len(t)) for _ in range(12)])  # 12 mouth features
    sound = np.column_stack([env + 0.1 * rng.normal(size=len(et)) for _ in range(25)])  # mel bands + envelope
    est = estimate_av_offset(t, mouth, et, sound)
    assert abs(est.raw_offset_s + 0.12) < 0.02 and est.segments
    png = tmp_path / "c.png"
    plot_check(png, est, name="generated.mp4")
    _check_png(png)


def test_check_plot_when_undecidable(tmp_path):
    from syncmm.alignment.lipsync import estimate_av_offset
    from syncmm.exceptions import AlignmentError
    from syncmm.report.plots import plot_check

    rng = np.random.default_rng(9)
    t = np.arange(0, 30, 1 / 25)
    et = np.arange(0, 30, 0.01)
    env = np.convolve(rng.random(len(et)) > 0.97, np.hanning(25), mode="same") * 3
    with pytest.raises(AlignmentError) as info:  # a mouth that does not follow the sound
        estimate_av_offset(t, rng.normal(size=(len(t), 12)), et, np.column_stack([env] * 25))
    est = info.value.estimate
    assert not est.decided and est.curve is not None
    png = tmp_path / "u.png"
    plot_check(png, est, name="undecidable.mp4")
    _check_png(png)

"""``syncmm warp`` through CliRunner: feature matrices and audio, the map files, --render, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from syncmm.cli import app
from syncmm.media import load_audio
from syncmm.media.write import write_audio

SR = 22050
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def score(duration_s: float, rng) -> list[tuple[float, float, list[int]]]:
    """Random three-note chords (onset s, duration s, MIDI notes) of 0.25-0.6 s."""
    out, t = [], 0.0
    while t < duration_s:
        d = min(rng.uniform(0.25, 0.6), duration_s - t)
        out.append((t, d, list(rng.choice(np.arange(48, 84), 3, replace=False))))
        t += d
    return out


def play(notes, duration_s: float, when=lambda t: t) -> np.ndarray:
    """Synthesise the chords with a piano-like decay, each onset and end moved by the time map ``when``."""
    y = np.zeros(int(duration_s * SR) + 1, np.float32)
    for t, d, midis in notes:
        a, b = int(when(t) * SR), min(int(when(t + d) * SR), len(y))
        tt = np.arange(b - a) / SR
        for midi in midis:
            y[a:b] += 0.2 * np.sin(2 * np.pi * 440 * 2 ** ((midi - 69) / 12) * tt) * np.exp(-3 * tt)
    return y


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """OTHER plays REF's chords with a tempo that wanders (same pitch): OTHER time f(t) of REF time t, exact."""
    d = tmp_path_factory.mktemp("warp")
    notes = score(40.0, np.random.default_rng(5))
    t = np.linspace(0, 40, 4001)
    f = t / 1.08 + 0.5 * np.sin(2 * np.pi * t / 25.0)  # OTHER time of each REF time (increasing)
    write_audio(d / "ref.wav", play(notes, 40.0), SR)
    write_audio(d / "other.flac", play(notes, f[-1], lambda x: np.interp(x, t, f)), SR)
    return d, f, t


def test_audio_pair_map_and_render(pair):
    d, tau, g = pair  # tau: OTHER times of the REF times g
    out, ren = d / "map.csv", d / "render.wav"
    r = run("warp", d / "ref.wav", d / "other.flac", "-o", out, "--render", ren, "-f", "json", "-y")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["kind"] == "warp" and rep["render"] == str(ren)
    m = np.loadtxt(out, delimiter=",", skiprows=1)
    probe = (m[:, 0] > 2) & (m[:, 0] < g[-1] - 2)
    truth = np.interp(m[probe, 0], g, tau)  # OTHER time of each REF time
    assert np.median(np.abs(m[probe, 1] - truth)) <= 0.02  # within one 20-ms frame
    # the rendered audio plays in step with REF
    from syncmm import estimate_offset

    x, y = load_audio(d / "ref.wav", 16000).y, load_audio(ren, 16000).y
    for a in (3, 15, 28):
        e = estimate_offset(x[a * 16000 : (a + 5) * 16000], y[a * 16000 : (a + 5) * 16000], 16000, max_offset=0.2,
                            min_confidence=0)  # fmt: skip
        assert abs(e.offset_s) <= 0.04, (a, e.offset_s)  # two frames


def test_npy_features_and_json_map(tmp_path, rng):
    X = np.abs(np.cumsum(rng.standard_normal((12, 400)), axis=1))
    np.save(tmp_path / "a.npy", X)
    np.save(tmp_path / "b.npy", X[:, ::2])  # OTHER at twice the tempo
    r = run("warp", tmp_path / "a.npy", tmp_path / "b.npy", "--rate", "10", "-o", tmp_path / "m.json", "--steps",
            "classic", "--transpose", "none")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "tempo       OTHER/REF 0.49" in r.stdout or "tempo       OTHER/REF 0.50" in r.stdout
    d = json.loads((tmp_path / "m.json").read_text())
    assert d["kind"] == "warp" and len(d["map"]) == 400 and d["map"][200][1] == pytest.approx(10.0, abs=0.15)


def test_bad_input_exit_codes(tmp_path, pair):
    d, _, _ = pair
    good = np.ones((12, 50))
    np.save(tmp_path / "good.npy", good)
    np.save(tmp_path / "nan.npy", np.full((12, 50), np.nan))
    np.save(tmp_path / "empty.npy", np.ones((12, 0)))
    np.save(tmp_path / "dims.npy", np.ones((13, 50)))
    np.save(tmp_path / "long.npy", np.ones((12, 500)))
    for other, code, words in [
        ("nan.npy", 2, "NaN"), ("empty.npy", 2, "frames"), ("dims.npy", 2, "dimensions"),
        ("missing.npy", 3, ""),
    ]:  # fmt: skip
        r = run("warp", tmp_path / "good.npy", tmp_path / other)
        assert r.exit_code == code and words in r.stderr and "Traceback" not in r.stderr, (other, r.output)
    # OTHER three times as long as REF, with slopes limited to 1/2..2: no path reaches the end
    r = run("warp", tmp_path / "good.npy", tmp_path / "long.npy", "--steps", "slope2")
    assert r.exit_code == 4 and "no path" in r.stderr
    assert run("warp", tmp_path / "good.npy", tmp_path / "good.npy", "--steps", "zigzag").exit_code == 2
    assert run("warp", d / "ref.wav", d / "other.flac", "--features", "chroma+smell").exit_code == 2
    assert run("warp", tmp_path / "good.npy", tmp_path / "good.npy", "-o", tmp_path / "m.txt").exit_code == 2
    r = run("warp", tmp_path / "good.npy", tmp_path / "good.npy", "--render", tmp_path / "r.wav")
    assert r.exit_code == 2 and not (tmp_path / "r.wav").exists()


def test_offset_seed_warps_the_overlap(tmp_path):
    """OTHER is a 25-s excerpt of REF's music from 10 s on, wobbling +-80 ms: `--offset auto` finds and warps it."""
    notes = score(40.0, np.random.default_rng(8))
    part = [(t - 10.0, d, m) for t, d, m in notes if 10.0 <= t and t + d <= 35.0]
    t = np.linspace(0, 25, 2501)
    f = t + 0.08 * np.sin(2 * np.pi * t / 12.0)  # OTHER time of each excerpt time
    write_audio(tmp_path / "ref.wav", play(notes, 40.0), SR)
    write_audio(tmp_path / "part.wav", play(part, f[-1] + 0.5, lambda x: np.interp(x, t, f)), SR)
    r = run("warp", tmp_path / "ref.wav", tmp_path / "part.wav", "--offset", "auto", "-o", tmp_path / "m.csv",
            "-f", "json")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert abs(json.loads(r.stdout)["seed_offset_s"] - 10.0) < 0.3
    m = np.loadtxt(tmp_path / "m.csv", delimiter=",", skiprows=1)
    inside = (m[:, 0] > 12) & (m[:, 0] < 33)
    truth = np.interp(m[inside, 0] - 10.0, t, f)
    assert np.median(np.abs(m[inside, 1] - truth)) <= 0.02


def test_leading_silence_and_trailing_applause_are_not_warped(pair, tmp_path):
    """OTHER with 4 s of silence before the music and 6 s of noise (applause) after it: the map over the music
    is as good as without them (those ends are left out of the warp and the map runs on at tempo 1 there)."""
    d, tau, g = pair
    y = load_audio(d / "other.flac", SR).y
    noise = np.random.default_rng(3).normal(0, 0.05, 6 * SR).astype(np.float32)
    write_audio(tmp_path / "padded.wav", np.concatenate([np.zeros(4 * SR, np.float32), y, noise]), SR)
    r = run("warp", d / "ref.wav", tmp_path / "padded.wav", "-o", tmp_path / "m.csv", "-f", "json")
    assert r.exit_code == 0, r.output
    m = np.loadtxt(tmp_path / "m.csv", delimiter=",", skiprows=1)
    probe = (m[:, 0] > 2) & (m[:, 0] < g[-1] - 2)
    truth = np.interp(m[probe, 0], g, tau) + 4.0
    err = np.abs(m[probe, 1] - truth)
    assert np.median(err) <= 0.02 and err.max() <= 0.1, (np.median(err), err.max())
    assert abs(m[0, 1] - 4.0) <= 0.15  # REF's start lands where OTHER's music starts, not in the silence

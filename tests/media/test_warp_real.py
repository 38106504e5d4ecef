"""``syncmm.warp`` on real music: the Schubert measure annotations and the two Chopin recordings (../shared/data)."""

from __future__ import annotations

import numpy as np
import pytest

from syncmm import warp


def _measures(path):
    out = {}
    for line in path.read_text().split()[1:]:
        t, m = line.split(";")
        out[float(m)] = float(t)
    return out


@pytest.fixture(scope="module")
def schubert(shared_data):
    d = shared_data / "dtw"
    ref, oth = _measures(d / "Schubert_D911-03_HU33.csv"), _measures(d / "Schubert_D911-03_SC06.csv")
    keys = sorted(set(ref) & set(oth))
    load = {k: np.load(d / f"Schubert_D911-03_{k}50Hz.npy") for k in
            ("HU33_chroma", "SC06_chroma", "HU33_DLNCO", "SC06_DLNCO")}  # fmt: skip
    return load, np.array([ref[k] for k in keys]), np.array([oth[k] for k in keys])


def test_schubert_measures_chroma_only(schubert):
    f, t_ref, t_oth = schubert
    assert len(t_ref) == 57
    wp = warp(f["HU33_chroma"], f["SC06_chroma"], rate=50)  # default options, chroma only
    err = np.abs(wp.transfer(t_ref) - t_oth)
    # synctoolbox MrMsDTW on the same input: 66.6 ms mean; we measure 47.8 ms, max 173 ms
    assert err.mean() <= 0.050 and err.max() <= 0.500, (err.mean(), err.max())
    assert wp.chroma_shift == 11  # the two singers are a semitone apart


def test_schubert_with_onset_features(schubert):
    """synctoolbox's DLNCO as the onset channel (Euclidean, finest scale), the defaults chosen on the Vienna
    pieces (bench/bench_warp_cv.py), not on this pair."""
    f, t_ref, t_oth = schubert
    wp = warp(f["HU33_chroma"], f["SC06_chroma"], rate=50, onsets=(f["HU33_DLNCO"], f["SC06_DLNCO"]))
    err = np.abs(wp.transfer(t_ref) - t_oth)
    # measured 48.2 ms mean, 31.8 median, max 317 ms; synctoolbox chroma + DLNCO on this task: 54.2 ms
    assert err.mean() <= 0.050 and err.max() <= 0.400, (err.mean(), err.max())
    assert wp.onset_weight == 0.75 and wp.band_s == 0.6


def test_chopin_recordings(shared_data):
    import librosa

    from syncmm.features.music import music_features
    from syncmm.media import load_audio

    d = shared_data / "music"
    a = load_audio(d / "synctoolbox_Chopin_Op010-03-Measures1-8_Igoshina.flac", 22050)
    b = load_audio(d / "synctoolbox_Chopin_Op010-03-Measures1-8_Varsi.flac", 22050)
    A, B = music_features(a.y, 22050, 50), music_features(b.y, 22050, 50)
    wp = warp(A.X, B.X, rate=50)
    assert np.all(np.diff(wp.path, axis=0) >= 0)
    ends = wp.transfer([0.0, (A.X.shape[1] - 1) / 50])
    assert abs(ends[0]) <= 0.1 and abs(ends[1] - (B.X.shape[1] - 1) / 50) <= 0.1
    g = np.linspace(0.0, (A.X.shape[1] - 1) / 50, 500)
    assert np.median(np.abs(wp.inverse(wp.transfer(g)) - g)) <= 0.05
    # the strongest onsets of REF land on onsets of OTHER
    on_a = librosa.onset.onset_detect(y=a.y, sr=22050, hop_length=441, units="time")
    on_b = librosa.onset.onset_detect(y=b.y, sr=22050, hop_length=441, units="time")
    env = librosa.onset.onset_strength(y=a.y, sr=22050, hop_length=441)
    strong = on_a[np.argsort(env[(on_a * 50).astype(int)])[-10:]]
    hits = [np.min(np.abs(on_b - t)) <= 0.1 for t in wp.transfer(strong)]
    assert np.mean(hits) >= 0.8, hits

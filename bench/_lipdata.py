"""Development material for lip sync: the 17 talking heads and 6 GRID clips of ../shared/data, their face
tracks and sound features (cached in bench/work/lips/, keyed by file size and mtime)."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
CACHE = HERE / "work" / "lips"


def clips() -> list[Path]:
    """Every development clip: talking heads first, then GRID."""
    return sorted((SHARED / "talking_heads").glob("*.mp4")) + sorted((SHARED / "lips").glob("grid_*.mpg"))


def features(path: Path, width: int = 640) -> dict:
    """Face tracks, 16-kHz audio and its speech features of one file (cached)."""
    from syncmm.features.lips import track_faces
    from syncmm.features.speech import speech_features
    from syncmm.media import load_audio, probe
    from syncmm.media.video import VideoReader

    st = path.stat()
    key = CACHE / f"{path.stem}-{st.st_size}-{int(st.st_mtime)}.pkl"
    if key.exists():
        return pickle.loads(key.read_bytes())
    info = probe(path)
    w = min(width, next((s.width for s in info.video_streams if s.width), width))
    with VideoReader(path, width=w - w % 2, pix_fmt="rgb24") as r:
        tracks = track_faces(r.frames())
    sig = load_audio(path, 16000)
    d = {"tracks": tracks, "y": sig.y, "sr": sig.sr, "t0": sig.t0, "speech": speech_features(sig.y, sig.sr, sig.t0)}
    CACHE.mkdir(parents=True, exist_ok=True)
    key.write_bytes(pickle.dumps(d))
    return d


def other_sound(d: dict, other: dict):
    """``other``'s sound under ``d``'s picture: looped to cover it, on ``d``'s audio timeline."""
    from syncmm.features.speech import speech_features

    y = other["y"]
    need = max(len(d["y"]), int((d["tracks"][0].times[-1] - d["t0"] + 1) * other["sr"]))
    y = np.tile(y, need // len(y) + 1)[:need]
    return speech_features(y, other["sr"], d["t0"])


def shifted_sound(d: dict, shift_s: float):
    """``d``'s own sound ``shift_s`` later (negative: earlier), same length, on its timeline."""
    from syncmm.features.speech import speech_features
    from syncmm.synth import fractional_delay

    y, sr = d["y"], d["sr"]
    z = fractional_delay(y, round(shift_s * sr))  # whole samples: a plain shift
    return speech_features(z, sr, d["t0"])


def rotated_sound(d: dict):
    """``d``'s own sound rotated by half its length: its speech, at the wrong time."""
    from syncmm.features.speech import speech_features

    return speech_features(np.roll(d["y"], len(d["y"]) // 2), d["sr"], d["t0"])


def joined_pictures_and_sound(data: dict, pictures: list[str], sounds: list[str]):
    """One long picture made of ``pictures`` in turn (face tracks end to end, 25 fps) with the sound of
    ``sounds`` in turn under it (looped to cover it): a long mismatched pair, on arrays."""
    from syncmm.features.lips import mouth_features
    from syncmm.features.speech import speech_features

    times, mouth, t0 = [], [], 0.0
    for name in pictures:
        tr = data[name]["tracks"][0]
        times.append(t0 + np.arange(len(tr.times)) / 25.0)
        mouth.append(mouth_features(tr))
        t0 += len(tr.times) / 25.0
    y = np.concatenate([data[s]["y"] for s in sounds])
    sp = speech_features(np.resize(y, int((t0 + 0.5) * 16000)), 16000)
    return np.concatenate(times), np.vstack(mouth), sp

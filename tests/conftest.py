"""Shared fixtures: a seeded rng, the shared real media, and generated-signal factories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED


def _load_speech(name: str, sr: int) -> np.ndarray:
    from syncmm.media import load_audio

    p = SHARED / "speech" / name
    if not p.is_file():
        pytest.skip(f"{p} is not present")
    return load_audio(p, sr=sr).y


@pytest.fixture(scope="session")
def speech16k() -> np.ndarray:
    """About 76 s of real speech at 16 kHz: the three shared speech recordings joined (no repeats)."""
    parts = [
        _load_speech(n, 16000)
        for n in (
            "codec2_speech_orig_16k.flac",
            "codec2_vk2tpm_004.flac",
            "asterisk_en_Allison_demo-congrats.flac",
        )
    ]
    return np.concatenate(parts).astype(np.float32)


@pytest.fixture(scope="session")
def speech48k() -> np.ndarray:
    """The 10.8 s clean 16 kHz speech recording, decoded to 48 kHz."""
    return _load_speech("codec2_speech_orig_16k.flac", 48000)

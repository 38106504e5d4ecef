"""Fuzzing support for the tests and ``bench/bench_fuzz.py``: clean seed media of every common kind, damaged
copies of them, and the commands to run on each (issue 12: damaged input is exit 0 with a warning, 3 or 4, never
an internal error, never a hang, never a changed input)."""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

import numpy as np

from .synth import moving_scene, speech_like

#: Exit codes a command may give on damaged input (1: selftest's own accuracy gate).
ALLOWED = {0, 1, 3, 4}


#: How :func:`damage` can break a file.
DAMAGE_KINDS = ("bitflip", "truncate", "zeros", "garbage", "splice")


def damage(data: bytes, rng: np.random.Generator, kind: str | None = None) -> tuple[bytes, str]:
    """A damaged copy of a file's bytes, the way storage, transfers and cut downloads damage them.

    ``bitflip``: 1-64 random bits flipped; ``truncate``: cut at a random point; ``zeros``: a block zeroed;
    ``garbage``: random bytes inserted; ``splice``: a block repeated elsewhere.  Returns the bytes and a label.
    """
    kind = kind or str(rng.choice(DAMAGE_KINDS))
    b = bytearray(data)
    n = len(b)
    if kind == "bitflip":
        k = int(rng.integers(1, 65))
        for i in rng.integers(0, n, k):
            b[i] ^= 1 << int(rng.integers(8))
        return bytes(b), f"bitflip x{k}"
    if kind == "truncate":
        cut = int(rng.integers(1, n))
        return bytes(b[:cut]), f"truncate at {cut}/{n}"
    a = int(rng.integers(0, n))
    size = int(rng.integers(1, max(2, n // 20)))
    if kind == "zeros":
        b[a : a + size] = bytes(len(b[a : a + size]))
        return bytes(b), f"zeros {size} at {a}"
    if kind == "garbage":
        return bytes(b[:a]) + rng.integers(0, 256, size, dtype=np.uint8).tobytes() + bytes(
            b[a:]
        ), f"garbage {size} at {a}"
    if kind == "splice":
        src = int(rng.integers(0, n))
        return bytes(b[:a]) + bytes(b[src : src + size]) + bytes(b[a:]), f"splice {size} from {src} to {a}"
    raise ValueError(f"unknown damage {kind!r}")


def fuzz_seeds(folder, seconds: float = 8.0) -> dict[str, str]:
    """Write small clean media of every common kind into ``folder`` (speech-like sound, a moving picture):
    the seeds :func:`damage` breaks.  Returns ``{name: kind}`` with kind ``audio`` or ``video``."""
    from .media.write import write_audio, write_test_video

    d = Path(folder)
    y = speech_like(seconds, 48000, np.random.default_rng(1))
    out = {}
    for name, kw in (("a.wav", {}), ("a.flac", {}), ("a.mp3", {"bit_rate": 96000}), ("a.aac", {"bit_rate": 64000}),
                     ("a.m4a", {"bit_rate": 64000}), ("a.ogg", {"bit_rate": 48000})):  # fmt: skip
        write_audio(d / name, y, 48000, **kw)
        out[name] = "audio"
    write_test_video(d / "v.mp4", seconds, fps=25, size=(96, 64), audio=y, sr=48000,
                     picture=lambda t: moving_scene(t, size=(64, 96)))  # fmt: skip
    write_test_video(d / "v.mkv", seconds, fps=25, size=(96, 64), audio=y, sr=48000, audio_codec="flac",
                     picture=lambda t: moving_scene(t, size=(64, 96)))  # fmt: skip
    out["v.mp4"] = out["v.mkv"] = "video"
    return out


def commands(bad: Path, kind: str, seeds: Path) -> list[list[str]]:
    """The commands run on one damaged file ``bad`` (a copy of a seed of ``kind``), clean seeds in ``seeds``.

    Every seed holds the same sound from time 0, so ``align a.wav BAD -f json`` (always the last command here)
    has the truth 0."""
    ref = str(seeds / "a.wav")
    if kind == "video":
        return [["align", str(seeds / "v.mp4"), str(bad), "--features", "motion"], ["check", str(bad)],
                ["align", ref, str(bad), "-f", "json"]]  # fmt: skip
    manifest = bad.with_name(bad.name + ".csv")
    manifest.write_text(f"ref,other\n{ref},{bad}\n")
    return [
        ["align", str(bad), ref],
        ["warp", ref, str(bad)],
        ["selftest", str(bad), "--trials", "2", "--methods", "xcorr"],
        ["batch", str(manifest), "--jobs", "1", "-q"],
        ["align", ref, str(bad), "-f", "json"],
    ]


def digest(path: str | os.PathLike) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run_case(argv: list[str], timeout_s: float = 120.0) -> tuple[int | str, str, str]:
    """Run one command in this process (typer's CliRunner); ``("hang", ...)`` past ``timeout_s``.

    Returns the exit code (or ``"hang"``), the last line of stderr, and stdout.
    """
    from typer.testing import CliRunner

    from .cli import app

    def alarm(signum, frame):
        raise TimeoutError

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        r = CliRunner().invoke(app, argv)
    except TimeoutError:
        return "hang", " ".join(argv), ""
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    if isinstance(r.exception, TimeoutError):
        return "hang", " ".join(argv), ""
    err = (r.stderr or "").strip().splitlines()
    return r.exit_code, err[-1] if err else "", r.stdout

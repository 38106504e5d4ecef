"""Hostile-but-realistic use (issue 12): outputs never replace inputs, bad values are exit 2 in one line, damaged
media is exit 3 or a warning (never 70), wrong answers are refused (exit 4) or measured on the right sign."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from syncmm.cli import app
from syncmm.media.write import write_audio, write_test_video
from syncmm.synth import excerpt, speech_like

SR = 16000
runner = CliRunner()
OFFSET = 5.25  # oth.wav starts this far into ref.wav


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def digest(p) -> str:
    return hashlib.sha256(open(p, "rb").read()).hexdigest()


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    base = speech_like(40.0, SR, np.random.default_rng(7))
    write_audio(d / "ref.wav", excerpt(base, SR, 2.0, 30.0), SR)
    write_audio(d / "oth.wav", excerpt(base, SR, 2.0 + OFFSET, 10.0), SR)
    write_audio(d / "oth.flac", excerpt(base, SR, 2.0 + OFFSET, 10.0), SR)
    write_audio(d / "oth44.mp3", excerpt(speech_like(40.0, 44100, np.random.default_rng(7)), 44100, 7.25, 12.0),
                44100, bit_rate=128000)  # fmt: skip
    write_audio(d / "ref44.wav", excerpt(speech_like(40.0, 44100, np.random.default_rng(7)), 44100, 2.0, 30.0),
                44100)  # fmt: skip
    (d / "m.csv").write_text("ref,other\nref.wav,oth.wav\n")
    return d


def test_batch_outputs_never_replace_inputs(media, tmp_path):
    import shutil

    media = shutil.copytree(media, tmp_path / "own")  # a copy: a regression here must not spoil the other tests
    m = media / "m.csv"
    before = {p: digest(p) for p in (m, media / "ref.wav", media / "oth.wav", media / "oth.flac")}
    cases = [
        ("-o", tmp_path / "r.jsonl", "--junit-xml", media / "oth.wav"),  # JUnit over a media input
        ("-o", tmp_path / "r2.jsonl", "--junit-xml", m),  # JUnit over the manifest
        ("-o", m, "--resume"),  # results appended to the manifest
        ("-o", media / "oth.flac", "--resume"),  # resuming "into" a FLAC (not an input of this manifest)
    ]
    (media / "m2.csv").write_text("ref,other\nref.wav,oth.wav\n")
    for args in cases:
        manifest = m if args[1] != media / "oth.flac" else media / "m2.csv"
        r = run("batch", manifest, "--jobs", "1", *args)
        assert r.exit_code == 5, (args, r.output)
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("syncmm: error:"), r.stderr
    assert {p: digest(p) for p in before} == before
    # a results file with a line that is not a result: refused, untouched
    bad = tmp_path / "bad.jsonl"
    bad.write_text("[1, 2]\n")
    r = run("batch", m, "--jobs", "1", "-o", bad, "--resume")
    assert r.exit_code == 5 and "not a syncmm batch result" in r.stderr
    assert bad.read_text() == "[1, 2]\n"
    assert run("batch", m, "--jobs", "1", "-o", tmp_path / "nodir" / "r.jsonl").exit_code == 5


def test_batch_manifest_errors_name_the_place(media, tmp_path):
    def manifest(text: str, name: str = "x.csv"):
        p = media / name
        p.write_text(text, encoding="utf-8")
        return p

    r = run("batch", manifest("ref,other,tolerence_s\nref.wav,oth.wav,0.001\n"), "--jobs", "1")
    assert r.exit_code == 2 and "'tolerence_s'" in r.stderr, r.stderr
    r = run("batch", manifest("ref,other,tolerence_s\nref.wav,oth.wav,0.001\n"), "--jobs", "1",
            "--ignore-unknown-columns")  # fmt: skip
    assert r.exit_code == 0
    bom = manifest("\ufeffref,other,expected_offset_s,tolerance_s\nref.wav,oth.wav,5.25,1ms\n")
    r = run("batch", bom, "--jobs", "1")
    assert r.exit_code == 0 and json.loads(r.stdout)["status"] == "ok"  # Excel's "CSV UTF-8" byte-order mark
    r = run("batch", manifest("ref,other,tolerance_s\nref.wav,oth.wav,-1\n"), "--jobs", "1")
    assert r.exit_code == 2 and "row 1, column tolerance_s" in r.stderr
    r = run("batch", manifest('{"ref": "ref.wav", "other": "oth.wav"}\n[1, 2]\n', "x.jsonl"), "--jobs", "1")
    assert r.exit_code == 2 and "line 2" in r.stderr
    r = run("batch", manifest("ref,other\nref.wav,oth.wav\n"), "--jobs", "1000")
    assert r.exit_code == 0 and "capped" in r.stderr


def test_non_regular_and_linked_targets(media, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (tmp_path / "to_fifo").symlink_to(fifo)
    for target in (fifo, tmp_path / "to_fifo"):
        r = run("align", media / "ref.wav", media / "oth.wav", "-f", "json", "-o", target, "-y")
        assert r.exit_code == 5 and "not a regular file" in r.stderr
    assert fifo.is_fifo()
    real = tmp_path / "real.json"
    real.write_text("old")
    (tmp_path / "link.json").symlink_to(real)
    r = run("align", media / "ref.wav", media / "oth.wav", "-f", "json", "-o", tmp_path / "link.json", "-y")
    assert r.exit_code == 0
    assert (tmp_path / "link.json").is_symlink() and json.loads(real.read_text())["status"] == "ok"


def test_two_outputs_of_one_command_on_one_path(media, tmp_path):
    p = tmp_path / "p.png"
    r = run("align", media / "ref.wav", media / "oth.wav", "--plot", p, "-o", p)
    assert r.exit_code == 2 and "given for both" in r.stderr and not p.exists()
    x = tmp_path / "x.mp4"
    r = run("check", media / "ref.wav", "--fix", x, "--junit-xml", x)
    assert r.exit_code == 2 and not x.exists()
    (tmp_path / "link.wav").symlink_to(tmp_path / "m.json")
    r = run("warp", media / "ref.wav", media / "oth.wav", "-o", tmp_path / "m.json", "--render", tmp_path / "link.wav")
    assert r.exit_code == 2 and not (tmp_path / "m.json").exists()


def test_stdout_folders_formats_and_long_names(media, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run("align", media / "ref.wav", media / "oth.wav", "-f", "json", "-o", "-")
    assert r.exit_code == 0 and json.loads(r.stdout)["status"] == "ok" and not (tmp_path / "-").exists()
    r = run("align", media / "ref.wav", media / "oth.wav", "-o", "sub/")
    assert r.exit_code == 5 and not (tmp_path / "sub").exists()
    pytest.importorskip("matplotlib")
    r = run("align", media / "ref.wav", media / "oth.wav", "--plot", tmp_path / "a.svg")
    assert r.exit_code == 0 and b"<svg" in (tmp_path / "a.svg").read_bytes()[:1000]
    assert run("align", media / "ref.wav", media / "oth.wav", "--plot", tmp_path / "a.gif").exit_code == 2
    long = tmp_path / ("x" * 245 + ".json")  # 250 bytes: the temp name must still fit in 255
    r = run("align", media / "ref.wav", media / "oth.wav", "-f", "json", "-o", long)
    assert r.exit_code == 0 and long.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_stale_temp_files_are_swept(media, tmp_path):
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()  # a process id that no longer runs
    dead = tmp_path / f".r.syncmm-{p.pid}-0123abcd.json"
    live = tmp_path / f".q.syncmm-{os.getpid()}-0123abcd.json"
    dead.write_text("half")
    live.write_text("being written")
    assert run("align", media / "ref.wav", media / "oth.wav", "-o", tmp_path / "r.json").exit_code == 0
    assert not dead.exists() and live.exists()


@pytest.mark.parametrize(
    "args",
    [
        ("--max-offset", "1:99"), ("--min-overlap", "-5"), ("--tolerance", "-1"), ("--min-confidence", "1.5"),
        ("--min-confidence", "nan"), ("--window", "0"), ("--rate", "50"), ("--expect", "00:01:62:12", "--fps", "25"),
    ],
)  # fmt: skip
def test_out_of_range_values_are_usage_errors(media, args):
    r = run("align", media / "ref.wav", media / "oth.wav", *args)
    assert r.exit_code == 2 and "Traceback" not in r.output, (args, r.output)


def test_other_commands_reject_nonsense(media, tmp_path):
    for rate in ("0", "nan", "inf"):
        assert run("warp", media / "ref.wav", media / "oth.wav", "--rate", rate).exit_code == 2
    r = run("warp", media / "ref.wav", media / "oth.wav", "--render", tmp_path / "r.xyz")
    assert r.exit_code == 2 and not (tmp_path / "r.xyz").exists()
    assert run("selftest", media / "ref.wav", "--seed", "-1").exit_code == 2
    rep = tmp_path / "r.json"
    assert run("align", media / "ref.wav", media / "oth.wav", "-f", "json", "-o", rep).exit_code == 0
    r = run("export", rep, "--to", "otio", "-o", tmp_path / "t.otio", "--fps", "0.001")
    assert r.exit_code == 2 and not (tmp_path / "t.otio").exists()


def test_usage_errors_are_one_line(media):
    for extra in (["--bogus"], ["--rate", "abc"], ["--format", "xml"]):
        p = subprocess.run([sys.executable, "-m", "syncmm", "align", str(media / "ref.wav"), str(media / "oth.wav"),
                            *extra], capture_output=True, text=True)  # fmt: skip
        assert p.returncode == 2 and p.stdout == ""
        assert p.stderr.count("\n") == 1 and p.stderr.startswith("syncmm: error:"), p.stderr


def test_damaged_reports_are_refused(media, tmp_path):
    rep = tmp_path / "r.json"
    assert run("align", media / "ref.wav", media / "oth.wav", "-f", "json", "-o", rep).exit_code == 0
    good = json.loads(rep.read_text())
    variants = {
        "string_offset": dict(good, offset_s="12"),
        "no_ref": {k: v for k, v in good.items() if k != "ref"},
        "nan_start": dict(good, other=dict(good["other"], start_time_s=math.nan)),
        "no_files": {"schema": good["schema"], "kind": "timeline"},
    }
    for name, d in variants.items():
        p = tmp_path / f"{name}.json"
        p.write_text(json.dumps(d))
        for cmd in (
            ["apply", p, "-o", tmp_path / f"{name}.wav"],
            ["export", p, "--to", "otio", "-o", tmp_path / "t.otio"],
        ):
            r = run(*cmd)
            assert r.exit_code == 2 and "Traceback" not in r.output, (name, cmd[0], r.output)


def test_inverted_polarity_is_measured_on_the_right_sign(tmp_path):
    """OTHER is REF upside down (a microphone wired the other way), 100 ppm fast: offset, drift and the flag."""
    from syncmm.synth import drifted, speech_timeline

    event = speech_timeline(130.0, SR, np.random.default_rng(3))
    write_audio(tmp_path / "ref.wav", event[: 120 * SR], SR)
    write_audio(tmp_path / "inv.wav", -drifted(event, SR, 20.000333, 100.0, 95.0), SR)
    r = run("align", tmp_path / "ref.wav", tmp_path / "inv.wav", "-f", "json")
    d = json.loads(r.stdout)
    assert r.exit_code == 0 and d["polarity"] == "inverted"
    assert abs(d["offset_s"] - 20.000333) < 1e-3 and abs(d["drift_ppm"] - 100.0) < 2.0, (d["offset_s"], d["drift_ppm"])
    assert any("polarity" in w for w in d["warnings"])


def test_adts_output_is_on_time(media, tmp_path):
    out = tmp_path / "o.aac"
    r = run("align", media / "ref.wav", media / "oth.wav", "--apply", out, "--verify", "-f", "json")
    assert r.exit_code == 0, r.output
    v = json.loads(r.stdout)["apply"]["verify"]
    assert v["passed"] and abs(v["start"]["offset_s"]) < 1e-3


def flip_bits(data: bytes, n: int, rng: np.random.Generator, skip: int = 512) -> bytes:
    b = bytearray(data)
    for i in rng.integers(skip, len(b), n):
        b[i] ^= 1 << int(rng.integers(8))
    return bytes(b)


def test_damaged_and_truncated_audio(media, tmp_path):
    data = (media / "oth44.mp3").read_bytes()
    rng = np.random.default_rng(0)
    codes = []
    for k in range(8):  # a few bit flips: exit 0 with the offset right (and a warning), or exit 3; never 70
        p = tmp_path / f"flip{k}.mp3"
        p.write_bytes(flip_bits(data, 10, rng))
        r = run("align", media / "ref44.wav", p, "-f", "json")
        codes.append(r.exit_code)
        assert r.exit_code in (0, 3), r.output
        if r.exit_code == 0:
            assert abs(json.loads(r.stdout)["offset_s"] - OFFSET) < 1e-3
    assert 0 in codes
    for name in ("oth.wav", "oth.flac", "oth44.mp3"):
        p = tmp_path / f"cut_{name}"
        raw = (media / name).read_bytes()
        p.write_bytes(raw[: len(raw) // 3])
        r = run("align", media / "ref.wav", p)
        assert r.exit_code == 3 and "truncated" in r.stderr, (name, r.output)
        r = run("align", media / "ref.wav", p, "--allow-damaged", "-f", "json")
        assert r.exit_code == 0 and any("truncated" in w for w in json.loads(r.stdout)["warnings"]), name


def test_channels_that_cancel_and_links_that_loop(media, tmp_path):
    from syncmm.media import load_audio

    y = load_audio(media / "oth.wav", SR).y
    write_audio(tmp_path / "lr.wav", np.stack([y, -y]), SR)
    r = run("align", media / "ref.wav", tmp_path / "lr.wav", "-f", "json")
    assert r.exit_code == 0 and abs(json.loads(r.stdout)["offset_s"] - OFFSET) < 1e-3
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    r = run("align", tmp_path / "a", media / "oth.wav")
    assert r.exit_code == 3 and "loop" in r.stderr


def test_warp_refuses_what_it_cannot_map(media, tmp_path):
    write_audio(tmp_path / "sil.wav", np.zeros(10 * SR, np.float32), SR)
    write_audio(tmp_path / "dc.wav", np.full(10 * SR, 0.5, np.float32), SR)
    write_audio(tmp_path / "blip.wav", excerpt(speech_like(2.0, SR, np.random.default_rng(1)), SR, 0.0, 0.3), SR)
    write_audio(tmp_path / "noise.wav", (np.random.default_rng(2).standard_normal(20 * SR) * 0.1).astype("f4"), SR)
    for other in ("sil.wav", "dc.wav", "blip.wav", "noise.wav"):
        for extra in ([], ["--offset", "auto"]):
            r = run("warp", media / "ref.wav", tmp_path / other, *extra)
            assert r.exit_code == 4 and "Traceback" not in r.output, (other, extra, r.output)


def test_no_alignment_says_why(media, tmp_path):
    r = run("align", media / "ref.wav", media / "oth.wav", "--max-offset", "2")
    assert r.exit_code == 4 and "widen --max-offset" in r.stderr
    base = speech_like(80.0, SR, np.random.default_rng(5))
    write_audio(tmp_path / "ref.wav", base[: 60 * SR], SR)  # OTHER: the same, with 30 s of silence inserted
    write_audio(tmp_path / "pause.wav", np.concatenate([base[: 20 * SR], np.zeros(30 * SR), base[20 * SR : 40 * SR]]),
                SR)  # fmt: skip
    r = run("align", tmp_path / "ref.wav", tmp_path / "pause.wav", "--no-drift")
    assert r.exit_code == 4 and "several offsets" in r.stderr, r.stderr


def test_apply_refuses_impossible_plans(media, tmp_path):
    rep = tmp_path / "r.json"
    assert run("align", media / "ref.wav", media / "oth.flac", "-f", "json", "-o", rep).exit_code == 0
    far = tmp_path / "far.json"
    far.write_text(json.dumps(dict(json.loads(rep.read_text()), offset_s=500.0)))
    r = run("apply", far, "-o", tmp_path / "o.wav")
    assert r.exit_code == 2 and "outside REF" in r.stderr and not (tmp_path / "o.wav").exists()
    r = run("apply", rep, "-o", tmp_path / "o.mov", "--audio-codec", "flac")
    assert r.exit_code == 2 and "mov container cannot hold flac" in r.stderr
    assert run("apply", rep, "-o", tmp_path / "o.mov").exit_code == 0  # a codec MOV holds
    assert run("apply", rep, "-o", tmp_path / "o.ogg", "--audio-codec", "opus").exit_code == 0
    write_audio(tmp_path / "sil.wav", np.zeros(20 * SR, np.float32), SR)
    assert run("selftest", tmp_path / "sil.wav").exit_code == 4


@pytest.fixture(scope="module")
def stills(tmp_path_factory):
    d = tmp_path_factory.mktemp("stills")
    still = (np.random.default_rng(0).random((18, 10)) * 255).astype(np.uint8)
    write_test_video(d / "a.mp4", 20, fps=25, size=(10, 18), picture=lambda t: still, crf=30)
    write_test_video(d / "b.mp4", 17, fps=25, size=(10, 18), picture=lambda t: still, crf=30)
    from syncmm.synth import moving_scene

    write_test_video(d / "scene.mp4", 12, fps=25, size=(160, 120), picture=lambda t: moving_scene(t), crf=28,
                     audio=speech_like(12.0, 48000, np.random.default_rng(2)))  # fmt: skip
    return d


def test_motion_on_a_still_is_undecidable(stills):
    r = run("align", stills / "a.mp4", stills / "b.mp4", "--features", "motion")
    assert r.exit_code == 4 and "barely moves" in r.stderr, r.output


def test_corrupt_video_is_never_an_internal_error(stills, tmp_path):
    data = (stills / "scene.mp4").read_bytes()
    rng = np.random.default_rng(4)
    for k in range(4):
        p = tmp_path / f"v{k}.mp4"
        p.write_bytes(flip_bits(data, 30, rng, skip=2000))
        for cmd in (["align", stills / "scene.mp4", p, "--features", "motion"], ["check", p],
                    ["selftest", p, "--trials", "2", "--methods", "motion"]):  # fmt: skip
            r = run(*cmd)
            assert r.exit_code in (0, 1, 3, 4), (k, cmd[0], r.output)


def test_export_names_what_it_leaves_out(media, tmp_path):
    pytest.importorskip("opentimelineio")
    write_audio(tmp_path / "other.wav", speech_like(10.0, SR, np.random.default_rng(99)), SR)
    rep = tmp_path / "r.json"
    r = run("align", media / "ref.wav", media / "oth.wav", tmp_path / "other.wav", "-f", "json", "-o", rep)
    assert r.exit_code == 4
    r = run("export", rep, "--to", "otio", "-o", tmp_path / "t.otio", "-f", "json")
    assert r.exit_code == 0 and "other.wav: left out of the timeline" in r.stderr
    assert [d["path"] for d in json.loads(r.stdout)["left_out"]] == [str(tmp_path / "other.wav")]


def test_lost_start_of_a_raw_stream_keeps_the_timeline(media, tmp_path):
    """A FLAC whose first frame header is damaged: the first frame is lost.  It is damage (72 ms of 10 s: a
    warning) and is filled with silence, so that everything after stays in place (before: 72 ms off, silently)."""
    data = bytearray((media / "oth.flac").read_bytes())
    first = data.index(b"\xff\xf8", 42)  # the first frame's sync code, after the STREAMINFO block
    data[first : first + 2] = b"\x00\x00"
    bad = tmp_path / "lost_start.flac"
    bad.write_bytes(bytes(data))
    r = run("align", media / "ref.wav", bad, "-f", "json")
    d = json.loads(r.stdout)
    assert r.exit_code == 0 and abs(d["offset_s"] - OFFSET) < 1e-3, r.output
    assert any("first 0.072 s missing" in w for w in d["warnings"])

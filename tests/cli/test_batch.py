"""``syncmm batch``: manifest, statuses, exit code, JUnit XML, SIGKILL then --resume."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from typer.testing import CliRunner

from syncmm.cli import app
from syncmm.media.write import write_audio
from syncmm.synth import excerpt, speech_like

SR = 16000
runner = CliRunner()


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    base = speech_like(60.0, SR, np.random.default_rng(4))
    write_audio(d / "ref.flac", excerpt(base, SR, 0.0, 40.0), SR)
    rows = ["id,ref,other,expected_offset_s,tolerance_s"]
    for i in range(14):
        off = 1.0 + i * 1.7
        write_audio(d / f"o{i}.wav", excerpt(base, SR, off, 8.0), SR)
        exp = off if i != 5 else off + 0.5  # job 5: out of tolerance
        rows.append(f"j{i:02d},ref.flac,o{i}.wav,{exp:.6f},0.001")
    (d / "broken.wav").write_bytes(b"RIFF....not audio")
    write_audio(d / "unrelated.wav", speech_like(8.0, SR, np.random.default_rng(99)), SR)
    rows += ["bad,ref.flac,broken.wav,,", "missing,ref.flac,nope.wav,,", "unrel,ref.flac,unrelated.wav,,"]
    (d / "pairs.csv").write_text("\n".join(rows) + "\n")
    return d


def test_statuses_exit_code_and_junit(manifest, tmp_path):
    out, xml = tmp_path / "r.jsonl", tmp_path / "j.xml"
    r = runner.invoke(app, ["batch", str(manifest / "pairs.csv"), "-o", str(out), "--jobs", "2", "--junit-xml",
                            str(xml), "-q"])  # fmt: skip
    assert r.exit_code == 4, r.output  # the most severe: no alignment (4) > unreadable (3) > check failed (1)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    by = {d["id"]: d for d in rows}
    assert len(rows) == 17 and len(by) == 17
    assert by["j05"]["status"] == "check_failed" and by["j03"]["status"] == "ok"
    assert by["bad"]["status"] == "error" and by["bad"]["exit_code"] == 3 and by["missing"]["exit_code"] == 3
    assert by["unrel"]["status"] == "no_alignment"
    assert all(abs(by[f"j{i:02d}"]["offset_s"] - (1.0 + i * 1.7)) < 1e-3 for i in range(14))
    suite = ET.parse(xml).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("17", "1", "3")


def test_kill_then_resume(manifest, tmp_path):
    out = tmp_path / "r.jsonl"
    cmd = [sys.executable, "-m", "syncmm", "batch", str(manifest / "pairs.csv"), "-o", str(out), "--jobs", "1", "-q"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 4):
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    n_before = out.read_text().count("\n")
    assert 4 <= n_before < 17, n_before
    r = runner.invoke(app, ["batch", str(manifest / "pairs.csv"), "-o", str(out), "--jobs", "1", "--resume", "-q"])
    assert r.exit_code == 4, r.output
    lines = out.read_text().splitlines()
    ids = [json.loads(line)["id"] for line in lines]  # every line parses
    assert len(ids) == 17 and len(set(ids)) == 17  # each id exactly once


def test_manifest_errors(tmp_path, manifest):
    (tmp_path / "m.csv").write_text("ref,other\nref.flac,\n")
    assert runner.invoke(app, ["batch", str(tmp_path / "m.csv")]).exit_code == 2
    assert runner.invoke(app, ["batch", str(tmp_path / "none.csv")]).exit_code == 3
    out = tmp_path / "exists.jsonl"
    out.write_text("")
    r = runner.invoke(app, ["batch", str(manifest / "pairs.csv"), "-o", str(out)])
    assert r.exit_code == 5 and "--resume" in r.stderr

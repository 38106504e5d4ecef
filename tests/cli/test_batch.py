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


N_GOOD = 35  # + 3 unreadable + 2 unrelated = 40 jobs


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    base = speech_like(90.0, SR, np.random.default_rng(4))
    write_audio(d / "ref.flac", excerpt(base, SR, 0.0, 70.0), SR)
    rows = ["id,ref,other,expected_offset_s,tolerance_s"]
    for i in range(N_GOOD):
        off = 1.0 + i * 1.7
        write_audio(d / f"o{i}.wav", excerpt(base, SR, off, 6.0), SR)
        exp = off if i not in (5, 20) else off + 0.5  # jobs 5 and 20: out of tolerance
        rows.append(f"j{i:02d},ref.flac,o{i}.wav,{exp:.6f},0.001")
    (d / "broken.wav").write_bytes(b"RIFF....not audio")
    (d / "notes.mp4").write_text("not a video\n")
    for k in (1, 2):
        write_audio(d / f"unrelated{k}.wav", speech_like(6.0, SR, np.random.default_rng(98 + k)), SR)
    rows += ["bad,ref.flac,broken.wav,,", "missing,ref.flac,nope.wav,,", "text,ref.flac,notes.mp4,,",
             "unrel1,ref.flac,unrelated1.wav,,", "unrel2,ref.flac,unrelated2.wav,,"]  # fmt: skip
    (d / "pairs.csv").write_text("\n".join(rows) + "\n")
    return d


def _check_rows(rows):
    by = {d["id"]: d for d in rows}
    assert len(rows) == 40 and len(by) == 40
    assert by["j05"]["status"] == "check_failed" and by["j20"]["exit_code"] == 1 and by["j03"]["status"] == "ok"
    assert sum(d["status"] == "ok" for d in rows) == N_GOOD - 2
    assert all(by[k]["status"] == "error" and by[k]["exit_code"] == 3 for k in ("bad", "missing", "text"))
    assert by["unrel1"]["status"] == by["unrel2"]["status"] == "no_alignment" and by["unrel1"]["exit_code"] == 4
    assert all(abs(by[f"j{i:02d}"]["offset_s"] - (1.0 + i * 1.7)) < 1e-3 for i in range(N_GOOD))
    return by


def test_statuses_exit_code_and_junit(manifest, tmp_path):
    out, xml = tmp_path / "r.jsonl", tmp_path / "j.xml"
    r = runner.invoke(app, ["batch", str(manifest / "pairs.csv"), "-o", str(out), "--jobs", "2", "--junit-xml",
                            str(xml)])  # fmt: skip
    assert r.exit_code == 4, r.output  # the most severe: no alignment (4) > unreadable (3) > check failed (1)
    assert r.stdout == ""  # results went to -o; stderr has one line per job (no terminal here, so no bar)
    assert r.stderr.count("syncmm: ") >= 40 and "j05: check_failed" in r.stderr
    _check_rows([json.loads(line) for line in out.read_text().splitlines()])
    suite = ET.parse(xml).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("40", "2", "5")
    cases = suite.findall("testcase")
    assert (
        len(cases) == 40 and len(suite.findall("testcase/failure")) == 2 and len(suite.findall("testcase/error")) == 5
    )


def test_dask_cluster_gives_the_local_results(manifest, tmp_path):
    distributed = pytest.importorskip("distributed")
    local = tmp_path / "local.jsonl"
    assert runner.invoke(app, ["batch", str(manifest / "pairs.csv"), "-o", str(local), "-q"]).exit_code == 4
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        address = cl.scheduler_address.replace("tcp://", "dask://")
        out = tmp_path / "dask.jsonl"
        r = runner.invoke(app, ["batch", str(manifest / "pairs.csv"), "-o", str(out), "--executor", address, "-q"])
        assert r.exit_code == 4, r.output
        assert len(cl.scheduler_info["workers"]) == 2
    a, b = (_check_rows([json.loads(x) for x in p.read_text().splitlines()]) for p in (local, out))
    for k in a:
        assert a[k]["status"] == b[k]["status"] and a[k]["exit_code"] == b[k]["exit_code"], k
        if a[k]["status"] in ("ok", "check_failed"):
            assert a[k]["offset_s"] == b[k]["offset_s"] and a[k]["confidence"] == b[k]["confidence"], k


def test_executor_errors(manifest, monkeypatch):
    import syncmm.batch

    monkeypatch.setattr(syncmm.batch, "DASK_CONNECT_TIMEOUT_S", 0.5)  # nothing listens on port 9: fail fast
    r = runner.invoke(app, ["batch", str(manifest / "pairs.csv"), "--executor", "spark://x"])
    assert r.exit_code == 2 and "--executor" in r.stderr
    r = runner.invoke(app, ["batch", str(manifest / "pairs.csv"), "--executor", "dask://127.0.0.1:9"])
    assert r.exit_code == 2 and "cannot reach the Dask scheduler" in r.stderr, r.output


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
    assert 4 <= n_before < 40, n_before
    r = runner.invoke(app, ["batch", str(manifest / "pairs.csv"), "-o", str(out), "--jobs", "1", "--resume", "-q"])
    assert r.exit_code == 4, r.output
    lines = out.read_text().splitlines()
    ids = [json.loads(line)["id"] for line in lines]  # every line parses
    assert len(ids) == 40 and len(set(ids)) == 40  # each id exactly once


def test_manifest_errors(tmp_path, manifest):
    (tmp_path / "m.csv").write_text("ref,other\nref.flac,\n")
    assert runner.invoke(app, ["batch", str(tmp_path / "m.csv")]).exit_code == 2
    assert runner.invoke(app, ["batch", str(tmp_path / "none.csv")]).exit_code == 3
    out = tmp_path / "exists.jsonl"
    out.write_text("")
    r = runner.invoke(app, ["batch", str(manifest / "pairs.csv"), "-o", str(out)])
    assert r.exit_code == 5 and "--resume" in r.stderr


def test_align_options_as_columns(manifest, tmp_path):
    from syncmm.batch import read_manifest
    from syncmm.media.write import write_test_video
    from syncmm.synth import moving_scene

    # silent cameras filming one moving scene, B 5 s later
    write_test_video(tmp_path / "a.mp4", 24.0, size=(160, 120), picture=moving_scene)
    write_test_video(tmp_path / "b.mp4", 15.0, size=(160, 120), picture=lambda t: moving_scene(5.0 + t, dx=6, gain=0.8))
    rows = ["id,ref,other,expected_offset_s,tolerance_s,max_offset,window,method,features,rate",
            f"g,{manifest / 'ref.flac'},{manifest / 'o3.wav'},{1.0 + 3 * 1.7},0.001,30s,5,gcc-phat,,8000",
            f"m,{tmp_path / 'a.mp4'},{tmp_path / 'b.mp4'},5.0,0.04,,,,motion,"]  # fmt: skip
    jobs = read_manifest("\n".join(rows), tmp_path)
    assert jobs[0].options == {"max_offset": 30.0, "window": 5.0, "method": "gcc-phat", "rate": 8000}
    assert jobs[1].options == {"features": "motion"}
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "r.jsonl"
    r = runner.invoke(app, ["batch", str(tmp_path / "m.csv"), "-o", str(out), "--jobs", "1", "-q"])
    assert r.exit_code == 0, r.output
    by = {d["id"]: d for d in map(json.loads, out.read_text().splitlines())}
    assert by["g"]["status"] == "ok" and by["g"]["analysis_rate"] == 8000 and "gcc-phat" in by["g"]["method"]
    assert by["m"]["status"] == "ok" and by["m"]["method"] == "motion-xcorr"
    bad = tmp_path / "bad.csv"
    bad.write_text("ref,other,method\na.wav,b.wav,dtw\n")
    r = runner.invoke(app, ["batch", str(bad)])
    assert r.exit_code == 2 and "row 1" in r.stderr

"""Real media with published truth (../shared/data/offset, see its MANIFEST)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from syncmm.cli import app

runner = CliRunner()


def test_timbl_pair_both_orders(shared_data):
    a = shared_data / "offset" / "aof_timbl_1.mp3"
    b = shared_data / "offset" / "aof_timbl_2.mp3"
    r = runner.invoke(app, ["align", str(a), str(b), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["offset_s"] == pytest.approx(12.254, abs=0.0005)
    r = runner.invoke(app, ["align", str(b), str(a), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["offset_s"] == pytest.approx(-12.254, abs=0.0005)


def test_pair_without_shared_audio_exits_4(shared_data):
    a = shared_data / "offset" / "aof_r4_excerpt.ogg"
    b = shared_data / "offset" / "aof_r4_excerpt2.ogg"
    for args in ([a, b], [b, a]):
        r = runner.invoke(app, ["align", *map(str, args), "--format", "json"])
        assert r.exit_code == 4
        assert r.stdout == ""
        assert len(r.stderr.strip().splitlines()) == 1
        assert "no reliable alignment" in r.stderr

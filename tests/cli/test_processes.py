"""Processes and signals (issue 12): workers die with the command, Ctrl-C stops a batch at once, a temp file left
by kill -9 is swept by the next run, SIGTERM is one line and exit 130."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import numpy as np
import psutil
import pytest

from syncmm.media.write import write_audio
from syncmm.synth import excerpt, speech_like

SR = 16000
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def long_pair(tmp_path_factory):
    """Two 6-minute recordings: long enough that align decodes them in two worker processes."""
    d = tmp_path_factory.mktemp("procs")
    base = speech_like(420.0, SR, np.random.default_rng(8))
    write_audio(d / "ref.flac", excerpt(base, SR, 0.0, 400.0), SR)
    write_audio(d / "oth.flac", excerpt(base, SR, 30.0, 360.0), SR)
    rows = ["ref,other"] + ["ref.flac,oth.flac" for _ in range(20)]
    (d / "m.csv").write_text("\n".join(rows) + "\n")
    return d


def start(*args, cwd=None) -> subprocess.Popen:
    # a shell starts background jobs with SIGINT ignored: restore the default, as a terminal would have it
    return subprocess.Popen(
        [sys.executable, "-m", "syncmm", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=cwd, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip


def wait_children(p: subprocess.Popen, n: int, timeout: float = 60.0) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    proc = psutil.Process(p.pid)
    while time.monotonic() < deadline and p.poll() is None:
        kids = proc.children(recursive=True)
        if len(kids) >= n:
            return kids
        time.sleep(0.01)
    pytest.skip("the command finished before its workers could be seen")


def gone_within(procs: list[psutil.Process], seconds: float) -> bool:
    _, alive = psutil.wait_procs(procs, timeout=seconds)
    return not [q for q in alive if q.status() != psutil.STATUS_ZOMBIE]


@pytest.mark.parametrize("cmd", ["align", "batch"])
def test_kill_9_leaves_no_worker_behind(long_pair, cmd):
    d = long_pair
    args = ["align", d / "ref.flac", d / "oth.flac"] if cmd == "align" else ["batch", d / "m.csv", "--jobs", "2"]
    p = start(*args)
    kids = wait_children(p, 2)
    p.kill()
    p.wait()
    assert gone_within(kids, 2.0), [k.cmdline() for k in kids if k.is_running()]
    # nothing holds the caller's pipes any more: reading them ends
    out, err = p.communicate(timeout=5)


def test_ctrl_c_stops_a_batch_at_once(long_pair):
    p = start("batch", long_pair / "m.csv", "--jobs", "2")
    kids = wait_children(p, 2)
    time.sleep(0.5)
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert time.monotonic() - t0 < 5.0
    assert p.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert gone_within(kids, 2.0)
    assert len(out.splitlines()) < 20  # the queued jobs were not run


def test_sigterm_is_one_line_and_130(long_pair):
    p = start("align", long_pair / "ref.flac", long_pair / "oth.flac")
    wait_children(p, 2)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130 and err.strip().splitlines()[-1] == "syncmm: interrupted" and "Traceback" not in err


def test_temp_file_of_a_killed_write_is_swept_by_the_next_run(long_pair, tmp_path):
    d = long_pair
    out = tmp_path / "o.flac"
    p = start("align", d / "ref.flac", d / "oth.flac", "--apply", out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and p.poll() is None:
        if any(x.name.startswith(".o.syncmm-") and x.stat().st_size > 0 for x in tmp_path.iterdir()):
            break
        time.sleep(0.005)
    if p.poll() is not None:
        pytest.skip("the write finished before it could be killed")
    p.kill()
    p.wait()
    assert [x.name for x in tmp_path.iterdir() if x.name.startswith(".o.syncmm-")]  # left behind by kill -9
    q = subprocess.run([sys.executable, "-m", "syncmm", "align", str(d / "ref.flac"), str(d / "oth.flac"),
                        "--no-drift", "-o", str(tmp_path / "r.txt")], capture_output=True, text=True)  # fmt: skip
    assert q.returncode == 0, q.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == ["r.txt"]

"""Run a command and measure its wall time, its CPU time and the peak memory (PSS) of its whole process tree."""

from __future__ import annotations

import resource
import subprocess
import threading
import time
from dataclasses import dataclass

import psutil


def _pss(p: psutil.Process) -> int:
    """Proportional set size: pages shared by forked workers are counted once across the tree.

    Read from ``/proc/PID/smaps_rollup`` (one line to parse, cheap enough to poll); RSS where absent.
    """
    try:
        with open(f"/proc/{p.pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return p.memory_info().rss


@dataclass
class Run:
    returncode: int | None
    stdout: str
    stderr: str
    wall_s: float
    peak_rss_mb: float
    timed_out: bool = False
    #: user + system CPU seconds of the command and every descendant it waited for (workers, ffmpeg)
    cpu_s: float = 0.0


def run(cmd: list[str], timeout: float = 900, env: dict | None = None, cwd: str | None = None,
        memory: bool = True) -> Run:  # fmt: skip
    """Run ``cmd``; ``memory=False``: no sampling of the tree's memory (``peak_rss_mb`` 0), whose reads of
    /proc take CPU from a command that keeps both cores busy more than from one that leaves a core idle."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    peak = 0
    stop = threading.Event()

    def poll() -> None:
        nonlocal peak
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not stop.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                rss = 0
                for p in procs:
                    try:
                        rss += _pss(p)
                    except psutil.Error:
                        pass
                peak = max(peak, rss)
            except psutil.Error:
                pass
            stop.wait(0.25)  # reading smaps_rollup costs CPU: poll gently so as not to slow what is measured

    th = threading.Thread(target=poll, daemon=True)
    if memory:
        th.start()
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        for p in psutil.Process(proc.pid).children(recursive=True):
            p.kill()
        proc.kill()
        out, err = proc.communicate()
        timed_out = True
    wall = time.perf_counter() - t0
    stop.set()
    if memory:
        th.join()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # this process runs one command at a time
    cpu = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
    return Run(proc.returncode, out, err, wall, peak / 1e6, timed_out, cpu)

"""Batch alignment: manifests, one job per pair, any ``concurrent.futures.Executor``, resumable JSON Lines results."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .exceptions import ParameterError

#: Manifest columns that are ``align`` options (the rest: ref, other, id, expected_offset_s, tolerance_s), with
#: their kind: "time" accepts what ``--max-offset`` accepts (``30``, ``500ms``, ``1:30``).
OPTION_COLUMNS = {"max_offset": "time", "min_overlap": "time", "window": "time", "rate": int, "min_confidence": float,
                  "method": ("xcorr", "gcc-phat", "coarse"), "features": ("audio", "motion"), "drift": "bool",
                  "ref_stream": int, "other_stream": int}  # fmt: skip
#: Column name -> keyword of :func:`syncmm.align` where they differ.
_ALIGN_KW = {"window": "fine_window", "rate": "sr"}


@dataclass(frozen=True)
class Job:
    """One pair to align, with its checks and options."""

    id: str
    ref: str
    other: str
    expected_offset_s: float | None = None
    tolerance_s: float | None = None
    options: dict[str, Any] = field(default_factory=dict)


def _value(kind, text: str):
    if kind == "bool":
        if text.lower() in ("1", "true", "yes"):
            return True
        if text.lower() in ("0", "false", "no"):
            return False
        raise ValueError(text)
    if kind == "time":
        from .timefmt import parse_time

        try:
            return parse_time(text)
        except ParameterError as e:
            raise ValueError(str(e)) from None
    if isinstance(kind, tuple):
        if text not in kind:
            raise ValueError(f"{text!r} is not one of {', '.join(kind)}")
        return text
    return kind(text)


def read_manifest(text: str, base: str | os.PathLike = ".") -> list[Job]:
    """Jobs from a CSV/TSV manifest (header ``ref,other[,id,expected_offset_s,tolerance_s,<align options>]``)
    or JSON Lines; relative paths resolve against ``base`` (the manifest's folder)."""
    base = Path(base).resolve()  # absolute, so that workers elsewhere (a Dask cluster) find the files
    rows: list[dict[str, Any]]
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if first.lstrip().startswith("{"):
        try:
            rows = [json.loads(ln) for ln in text.splitlines() if ln.strip()]
        except json.JSONDecodeError as e:
            raise ParameterError(f"manifest: line is not JSON ({e})") from None
    else:
        delim = "\t" if "\t" in first else ","
        rows = list(csv.DictReader(io.StringIO(text), delimiter=delim))
    jobs, seen = [], set()
    for n, r in enumerate(rows, 1):
        r = {str(k).strip(): v for k, v in r.items() if k is not None}
        if not r.get("ref") or not r.get("other"):
            raise ParameterError(f"manifest row {n}: needs ref and other")
        jid = str(r.get("id") or n)
        if jid in seen:
            raise ParameterError(f"manifest row {n}: duplicate id {jid!r}")
        seen.add(jid)
        opts = {}
        try:
            for k, kind in OPTION_COLUMNS.items():
                if r.get(k) not in (None, ""):
                    opts[k] = _value(kind, str(r[k]))
            exp = float(r["expected_offset_s"]) if r.get("expected_offset_s") not in (None, "") else None
            tol = float(r["tolerance_s"]) if r.get("tolerance_s") not in (None, "") else None
        except ValueError as e:
            raise ParameterError(f"manifest row {n}: bad value ({e})") from None
        path = lambda p: str(p if Path(p).is_absolute() else base / p)  # noqa: E731
        jobs.append(Job(jid, path(str(r["ref"])), path(str(r["other"])), exp, tol, opts))
    if not jobs:
        raise ParameterError("manifest: no jobs")
    return jobs


_prepared = False


def prepare_worker() -> None:
    """Make this process a good batch worker (done once per process, also on Dask workers).

    BLAS/OpenMP/numba and FFmpeg's video decoders get one thread each: the parallelism is one job per core
    (small BLAS calls on several threads were measured slower, 12.0 s against 9.7 s for the 40-pair benchmark
    run serially).  numba's cache goes to a writable folder when the installed package's folder is not writable.
    """
    global _prepared
    if _prepared:
        return
    _prepared = True
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
              "SYNCMM_DECODE_THREADS"):  # fmt: skip
        os.environ[k] = "1"
    if "NUMBA_CACHE_DIR" not in os.environ and not os.access(Path(__file__).parent, os.W_OK):
        import tempfile

        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "syncmm" / "numba"
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError:
            cache = Path(tempfile.gettempdir()) / f"syncmm-numba-{os.getuid()}"
            cache.mkdir(exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = str(cache)
        if "numba" in sys.modules:  # read when a cached kernel is first declared
            sys.modules["numba"].config.CACHE_DIR = str(cache)
    if os.environ.get("MALLOC_TRIM_THRESHOLD_") and sys.platform.startswith("linux"):
        _relax_malloc()
    try:  # pools already started (forked workers inherit them) ignore the variables above
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn (librosa)
        pass


def _relax_malloc() -> None:
    """Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also pins glibc's mmap threshold
    at 128 kB: every NumPy array over that is then a fresh mmap, page-faulted in and unmapped again (measured:
    0.40 s per benchmark job against 0.27 s).  Raise both thresholds for this worker, as glibc would by itself."""
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD
        libc.mallopt(-3, 64 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def run_job(job: Job) -> dict[str, Any]:
    """Align one pair in this process; never raises for the pair's own problems: the status says."""
    prepare_worker()
    from .alignment.pipeline import align
    from .cli._exit import exit_code_for
    from .exceptions import SyncmmError
    from .report import error_entry, result_to_dict
    from .report.schema import tolerance_check

    opts = {_ALIGN_KW.get(k, k): v for k, v in job.options.items()}
    try:
        if opts.pop("features", "audio") == "motion":
            from .alignment.pipeline import align_many_motion

            for k in ("sr", "fine_window", "method", "drift"):
                opts.pop(k, None)
            (res,) = align_many_motion(job.ref, [job.other], **opts)
            if isinstance(res, SyncmmError):
                raise res
        else:
            res = align(job.ref, job.other, parallel=False, **opts)
    except SyncmmError as e:
        d = error_entry(job.ref, job.other, exit_code_for(e), str(e))
    else:
        checks = {}
        if job.tolerance_s is not None:
            checks["tolerance"] = tolerance_check(res.offset_s, job.expected_offset_s or 0.0, job.tolerance_s)
        failed = any(not c["passed"] for c in checks.values())
        d = result_to_dict(res, status="check_failed" if failed else "ok", checks=checks or None)
        d["exit_code"] = 1 if failed else 0
    d["id"] = job.id
    return d


def done_ids(path: str | os.PathLike) -> set[str]:
    """Ids already in a results file; a torn last line (a killed run) is cut off first."""
    p = Path(path)
    if not p.exists():
        return set()
    data = p.read_bytes()
    keep = data if data.endswith(b"\n") or not data else data[: data.rfind(b"\n") + 1]
    ids = set()
    good = bytearray()
    for line in keep.splitlines(keepends=True):
        try:
            ids.add(str(json.loads(line)["id"]))
            good += line
        except (ValueError, KeyError):
            continue
    if bytes(good) != data:
        p.write_bytes(bytes(good))
    return ids


def run(
    jobs: Iterable[Job], executor: Executor | None, emit: Callable[[dict[str, Any]], None], fail_fast: bool = False
) -> Iterator[dict[str, Any]]:
    """Run ``jobs`` (serially when ``executor`` is None), calling ``emit`` as each finishes; yields the reports."""
    jobs = list(jobs)
    if executor is None:
        for j in jobs:
            d = run_job(j)
            emit(d)
            yield d
            if fail_fast and d.get("exit_code", 0):
                return
        return
    futures = {executor.submit(run_job, j): j for j in jobs}
    for f in as_completed(futures):
        try:
            d = f.result()
        except Exception as e:  # the worker itself failed (killed, out of memory, lost): the job is an error
            from .report import error_entry

            j = futures[f]
            d = error_entry(j.ref, j.other, 70, f"worker failed: {type(e).__name__}: {e}")
            d["id"] = j.id
        emit(d)
        yield d
        if fail_fast and d.get("exit_code", 0):
            for g in futures:
                g.cancel()
            return


@contextmanager
def open_executor(spec: str, jobs: int) -> Iterator[Executor | None]:
    """The executor for ``--executor``: ``local`` (a process pool of ``jobs`` workers; None = serial when
    ``jobs`` is 1) or ``dask://HOST:PORT`` / ``tcp://HOST:PORT`` (a Dask distributed scheduler, extra ``dask``)."""
    if spec == "local":
        if jobs == 1:
            prepare_worker()  # one job at a time, single-threaded, as in the workers
            yield None
            return
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs, initializer=_pool_init) as ex:
            yield ex
        return
    if not spec.startswith(("dask://", "tcp://", "tls://")):
        raise ParameterError(f"--executor: use local or dask://HOST:PORT, not {spec!r}")
    try:
        from distributed import Client
    except ImportError:
        raise ParameterError("--executor dask:// needs Dask distributed: pip install 'syncmm[dask]'") from None
    address = "tcp://" + spec[len("dask://") :] if spec.startswith("dask://") else spec
    try:
        client = Client(address, timeout="5s", set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise ParameterError(f"--executor: cannot reach the Dask scheduler at {address} ({e})") from None
    try:
        with client.get_executor(pure=False) as ex:
            yield ex
    finally:
        client.close()


def _pool_init() -> None:
    """Local pool workers: Ctrl-C is the parent's to handle."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    prepare_worker()


def junit(reports: list[dict[str, Any]]) -> str:
    """One ``<testcase>`` per job: ``<failure>`` out of tolerance, ``<error>`` when it could not be aligned."""
    from xml.sax.saxutils import escape, quoteattr

    cases, fails, errs = [], 0, 0
    for d in sorted(reports, key=lambda d: d["id"]):
        body = ""
        if d.get("status") == "check_failed":
            fails += 1
            detail = (d.get("checks") or {}).get("tolerance", {}).get("detail", "")
            body = f"<failure message={quoteattr('offset out of tolerance')}>{escape(detail)}</failure>"
        elif d.get("status") not in ("ok",):
            errs += 1
            body = f"<error message={quoteattr(str(d.get('error', '')))}/>"
        name = quoteattr(f"{d['id']}: {d['other']['path']}")
        cases.append(f'  <testcase classname="syncmm.batch" name={name}>{body}</testcase>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuite name="syncmm batch" tests="{len(reports)}" failures="{fails}" errors="{errs}">\n'
            + "\n".join(cases) + "\n</testsuite>\n")  # fmt: skip

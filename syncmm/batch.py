"""Batch alignment: manifests, one job per pair, any ``concurrent.futures.Executor``, resumable JSON Lines results."""

from __future__ import annotations

import contextlib
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
from .options import RULES, manifest_columns

#: Manifest columns that are ``align`` options (the rest: ref, other, id, expected_offset_s, tolerance_s), with
#: their kind: "time" accepts what ``--max-offset`` accepts (``30``, ``500ms``, ``1:30``).
#: Manifest option column -> its kind: the align options (derived from :class:`syncmm.options.AlignOptions`)
#: and the batch's own choice of features.
OPTION_COLUMNS = {**{col: kind for col, (_, kind) in manifest_columns().items()}, "features": ("audio", "motion")}
#: How long to wait for a Dask scheduler before giving up (exit 2).
DASK_CONNECT_TIMEOUT_S = 5.0
#: Column name -> AlignOptions field.
_ALIGN_KW = {col: name for col, (name, _) in manifest_columns().items()}


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


#: Every column a manifest may have.
COLUMNS = ("ref", "other", "id", "expected_offset_s", "tolerance_s", *OPTION_COLUMNS)


def read_manifest(text: str, base: str | os.PathLike = ".", ignore_unknown: bool = False) -> list[Job]:
    """Jobs from a CSV/TSV manifest (header ``ref,other[,id,expected_offset_s,tolerance_s,<align options>]``)
    or JSON Lines; relative paths resolve against ``base`` (the manifest's folder).

    A UTF-8 byte-order mark (Excel's "CSV UTF-8") is skipped.  A column syncmm does not know (a misspelt
    ``tolerence_s`` would silently switch a CI gate off) is an error unless ``ignore_unknown``.

    Raises
    ------
    ParameterError
        Naming the row (CSV) or line (JSONL) and the column.
    """
    from .options import check_value

    base = Path(base).resolve()  # absolute, so that workers elsewhere (a Dask cluster) find the files
    text = text.removeprefix("\ufeff")
    rows: list[tuple[str, dict[str, Any]]] = []
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if first.lstrip().startswith("{"):
        for k, ln in enumerate(lines, 1):
            if not ln.strip():
                continue
            try:
                r = json.loads(ln)
            except json.JSONDecodeError as e:
                raise ParameterError(f"manifest line {k}: not JSON ({e})") from None
            if not isinstance(r, dict):
                raise ParameterError(f"manifest line {k}: not a JSON object")
            rows.append((f"line {k}", r))
    else:
        delim = "\t" if "\t" in first else ","
        reader = csv.DictReader(io.StringIO(text), delimiter=delim)
        try:
            rows = [(f"row {n}", r) for n, r in enumerate(reader, 1)]
        except csv.Error as e:
            raise ParameterError(f"manifest: not CSV ({e})") from None
        unknown = [str(c).strip() for c in reader.fieldnames or () if str(c).strip() not in COLUMNS]
        if unknown and not ignore_unknown:
            raise ParameterError(
                f"manifest: unknown column{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                f"(known: {', '.join(COLUMNS)}; --ignore-unknown-columns to skip them)"
            )
    jobs, seen = [], set()
    for n, (where, r) in enumerate(rows, 1):
        if None in r:
            raise ParameterError(f"manifest {where}: more fields than the header has columns")
        r = {str(k).strip(): v for k, v in r.items()}
        unknown = [k for k in r if k not in COLUMNS]
        if unknown and not ignore_unknown:
            raise ParameterError(f"manifest {where}: unknown key {', '.join(map(repr, unknown))} "
                                 "(--ignore-unknown-columns to skip it)")  # fmt: skip
        if not r.get("ref") or not r.get("other"):
            raise ParameterError(f"manifest {where}: needs ref and other")
        jid = str(r.get("id") or n)
        if jid in seen:
            raise ParameterError(f"manifest {where}: duplicate id {jid!r}")
        seen.add(jid)
        opts, col = {}, ""
        try:
            for col, kind in OPTION_COLUMNS.items():
                if r.get(col) not in (None, ""):
                    opts[col] = _value(kind, str(r[col]))
                    if col in RULES_OF_COLUMN:
                        check_value(col, opts[col], col)
            col = "expected_offset_s"
            exp = check_value(col, _value("time", str(r[col])), col) if r.get(col) not in (None, "") else None
            col = "tolerance_s"
            tol = check_value(col, _value("time", str(r[col])), col) if r.get(col) not in (None, "") else None
        except (ValueError, ParameterError) as e:
            raise ParameterError(f"manifest {where}, column {col}: bad value ({e})") from None
        path = lambda p: str(p if Path(p).is_absolute() else base / p)  # noqa: E731
        jobs.append(Job(jid, path(str(r["ref"])), path(str(r["other"])), exp, tol, opts))
    if not jobs:
        raise ParameterError("manifest: no jobs")
    return jobs


#: Option columns whose values have a range (:data:`syncmm.options.RULES`).
RULES_OF_COLUMN = tuple(c for c in manifest_columns() if c in RULES)


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
    from .exceptions import SyncmmError
    from .jobs.align import align
    from .options import AlignOptions
    from .report import error_entry, result_to_dict
    from .report.schema import tolerance_check

    opts = {_ALIGN_KW[k]: v for k, v in job.options.items() if k != "features"}
    try:
        options = AlignOptions.of(**opts)
        if job.options.get("features", "audio") == "motion":
            from .jobs.align import align_many_motion

            (res,) = align_many_motion(job.ref, [job.other], options)
            if isinstance(res, SyncmmError):
                raise res
        else:
            res = align(job.ref, job.other, options, parallel=False)
    except SyncmmError as e:
        d = error_entry(job.ref, job.other, e.exit_code, str(e))
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
    """Ids already in a results file; a torn last line (a killed run) is cut off first.

    Raises
    ------
    OutputError
        The file is not a syncmm results file (a complete line that is not a result object with an ``id``):
        it is left untouched.
    """
    from .exceptions import OutputError

    p = Path(path)
    if not p.exists():
        return set()
    data = p.read_bytes()
    keep = data if data.endswith(b"\n") or not data else data[: data.rfind(b"\n") + 1]
    ids = set()
    for k, line in enumerate(keep.splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            ids.add(str(d["id"]))
            if not isinstance(d.get("ref"), dict) or "status" not in d:
                raise KeyError("status")
        except (ValueError, KeyError, TypeError):
            raise OutputError(f"{p}: line {k} is not a syncmm batch result; not resuming into it") from None
    tail = data[len(keep) :]
    if tail:  # a torn last line (killed while writing it): cut it, but only if it is the start of a result
        if not tail.startswith(b'{"') or b"\0" in tail or len(tail) > 1 << 20:
            raise OutputError(f"{p}: does not end like a syncmm batch result; not resuming into it")
        with open(p, "r+b") as f:
            f.truncate(len(keep))
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

        ex = ProcessPoolExecutor(max_workers=jobs, initializer=_pool_init, initargs=(os.getpid(),))
        try:
            yield ex
        except BaseException:  # Ctrl-C, SIGTERM, --fail-fast: drop the queue and end the running jobs now
            _stop_pool(ex)
            raise
        ex.shutdown(wait=True)
        return
    if not spec.startswith(("dask://", "tcp://", "tls://")):
        raise ParameterError(f"--executor: use local or dask://HOST:PORT, not {spec!r}")
    try:
        from distributed import Client
    except ImportError:
        raise ParameterError("--executor dask:// needs Dask distributed: pip install 'syncmm[dask]'") from None
    address = "tcp://" + spec[len("dask://") :] if spec.startswith("dask://") else spec
    try:
        client = Client(address, timeout=f"{DASK_CONNECT_TIMEOUT_S}s", set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise ParameterError(f"--executor: cannot reach the Dask scheduler at {address} ({e})") from None
    try:
        with client.get_executor(pure=False) as ex:
            yield ex
    finally:
        client.close()


def _pool_init(parent: int) -> None:
    """Local pool workers: Ctrl-C is the parent's to handle; they die with the parent."""
    import signal

    from ._proc import die_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)
    prepare_worker()


def _stop_pool(ex) -> None:
    """Cancel the queued jobs of a process pool and kill its workers (running jobs are lost, not waited for)."""
    procs = list((getattr(ex, "_processes", None) or {}).values())
    ex.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        with contextlib.suppress(Exception):
            p.kill()
    for p in procs:
        with contextlib.suppress(Exception):
            p.join(timeout=2)


def junit(reports: list[dict[str, Any]]) -> str:
    """One ``<testcase>`` per job: ``<failure>`` out of tolerance, ``<error>`` when it could not be aligned."""
    from .report.junit import junit_xml
    from .types import Check

    checks = []
    for d in sorted(reports, key=lambda d: d["id"]):
        name = f"{d['id']}: {d['other']['path']}"
        if d.get("status") == "check_failed":
            detail = (d.get("checks") or {}).get("tolerance", {}).get("detail", "")
            checks.append(Check(name, False, "offset out of tolerance", detail))
        elif d.get("status") not in ("ok",):
            checks.append(Check(name, None, str(d.get("error", ""))))
        else:
            checks.append(Check(name, True))
    return junit_xml("syncmm batch", "syncmm.batch", checks)

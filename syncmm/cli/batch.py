"""``syncmm batch MANIFEST``: many pairs, in parallel, resumable."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from . import app
from ._common import setup_logging
from ._exit import handle_errors


@app.command("batch", no_args_is_help=True)
@handle_errors
def batch_cmd(
    manifest: Annotated[str, typer.Argument(help="CSV/TSV (header ref,other,...) or JSONL; - for stdin.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Append results here (JSON Lines); default stdout.")
    ] = None,
    jobs: Annotated[int, typer.Option(help="Worker processes (default: the number of cores; 1 = serial).")] = 0,
    resume: Annotated[bool, typer.Option(help="Skip the ids already in --output.")] = False,
    junit_xml: Annotated[Path | None, typer.Option("--junit-xml", help="One <testcase> per job.")] = None,
    fail_fast: Annotated[bool, typer.Option(help="Stop at the first job that does not pass.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="-v info, -vv debug.")] = 0,
) -> None:
    """Align every pair of a manifest; each result is appended (and flushed) as soon as it is done.

    \b
    Examples:
      syncmm batch pairs.csv -o results.jsonl --jobs 2
      syncmm batch pairs.csv -o results.jsonl --resume          # after an interruption
      find . -name '*.wav' | awk '{print "master.wav," $0}' | (echo ref,other; cat) | syncmm batch -

    Manifest columns: ref, other, and optionally id, expected_offset_s, tolerance_s (a CI gate per pair),
    max_offset, min_overlap, method, drift, ref_stream, other_stream.  Exit: the most severe job status.
    """
    setup_logging(verbose, quiet)
    import json

    from ..batch import done_ids, junit, read_manifest, run
    from ..exceptions import InputError, OutputError
    from ..report import writers

    if manifest == "-":
        text, base = sys.stdin.read(), Path(".")
    else:
        p = Path(manifest)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{p}: cannot read the manifest ({getattr(e, 'strerror', None) or e})") from e
        base = p.parent
    all_jobs = read_manifest(text, base)
    if jobs < 0:
        raise typer.BadParameter("must be >= 0", param_hint="--jobs")
    if junit_xml is not None:
        writers.check_output_path(junit_xml, [], True)
    todo = all_jobs
    if output is not None:
        if output.exists() and not resume:
            raise OutputError(f"{output}: already exists (use --resume to continue it)")
        done = done_ids(output) if resume else set()
        todo = [j for j in all_jobs if j.id not in done]
        out = open(output, "a", encoding="utf-8")  # noqa: SIM115 - appended line by line, closed below
    else:
        out = sys.stdout

    def emit(d):
        out.write(json.dumps(d, ensure_ascii=False) + "\n")
        out.flush()
        if out is not sys.stdout:
            os.fsync(out.fileno())
        if not quiet:
            print(f"syncmm: {d['id']}: {d['status']}", file=sys.stderr)

    n = jobs or os.cpu_count() or 1
    reports = []
    try:
        if n == 1:
            _limit_threads()  # one job at a time, each single-threaded, as in the workers
            reports = list(run(todo, None, emit, fail_fast))
        else:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(max_workers=n, initializer=_worker_init) as ex:
                reports = list(run(todo, ex, emit, fail_fast))
    finally:
        if out is not sys.stdout:
            out.close()
    if junit_xml is not None:
        if output is not None:  # the whole run, resumed parts included
            reports = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines() if line.strip()]
        writers.write_atomic(junit_xml, junit(reports), overwrite=True)
    worst = max((int(d.get("exit_code", 0)) for d in reports), default=0)
    if worst:
        raise typer.Exit(worst)


def _worker_init() -> None:
    """Workers: one thread each for BLAS/numba (the pool is the parallelism); Ctrl-C is the parent's."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_threads()


def _limit_threads() -> None:
    """BLAS/OpenMP/numba to one thread: the parallelism is one job per core (small BLAS calls on several threads
    were measured slower, 12.0 s against 9.7 s for the 40-pair benchmark run serially)."""
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[k] = "1"
    try:  # forked workers inherit BLAS pools that were started before the variables above were set
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn (librosa)
        pass

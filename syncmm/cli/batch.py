"""``syncmm batch MANIFEST``: many pairs, in parallel, resumable."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
        str | None, typer.Option("--output", "-o", help="Append results here (JSON Lines); default (or -) stdout.")
    ] = None,
    jobs: Annotated[
        int, typer.Option(help="Local worker processes (default: the number of cores, at most that; 1 = serial).")
    ] = 0,
    oversubscribe: Annotated[
        bool, typer.Option("--oversubscribe", help="Allow --jobs above the number of cores.")
    ] = False,
    executor: Annotated[
        str, typer.Option(help="local (a process pool) or dask://HOST:PORT (a Dask scheduler; extra dask).")
    ] = "local",
    resume: Annotated[bool, typer.Option(help="Skip the ids already in --output.")] = False,
    junit_xml: Annotated[
        str | None, typer.Option("--junit-xml", help="One <testcase> per job (replaces an earlier JUnit file).")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", "-y", help="Let --junit-xml replace a file that is not JUnit XML.")
    ] = False,
    ignore_unknown_columns: Annotated[
        bool, typer.Option("--ignore-unknown-columns", help="Skip manifest columns syncmm does not know.")
    ] = False,
    fail_fast: Annotated[bool, typer.Option(help="Stop at the first job that does not pass.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="-v info, -vv debug.")] = 0,
) -> None:
    """Align every pair of a manifest; each result is appended (and flushed) as soon as it is done.

    \b
    Examples:
      syncmm batch pairs.csv -o results.jsonl --jobs 2
      syncmm batch pairs.csv -o results.jsonl --resume          # after an interruption
      syncmm batch pairs.csv -o results.jsonl --executor dask://scheduler:8786
      find . -name '*.wav' | awk '{print "master.wav," $0}' | (echo ref,other; cat) | syncmm batch -

    Manifest columns: ref, other, and optionally id, expected_offset_s, tolerance_s (a CI gate per pair),
    and align's options: max_offset, min_overlap, window, method, features, drift, ref_stream, other_stream,
    rate, min_confidence.  Exit: the most severe job status.
    """
    setup_logging(verbose, quiet)
    import json

    from ..batch import done_ids, junit, open_executor, read_manifest, run
    from ..exceptions import InputError, OutputError, ParameterError
    from ..options import check_value
    from ..outputs import OutputGate
    from ..report import writers

    check_value("jobs", jobs)
    if manifest == "-":
        text, base = sys.stdin.read(), Path(".")
    else:
        p = Path(manifest)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{p}: cannot read the manifest ({getattr(e, 'strerror', None) or e})") from e
        base = p.parent
    all_jobs = read_manifest(text, base, ignore_unknown=ignore_unknown_columns)
    gate = OutputGate([] if manifest == "-" else [manifest], overwrite)
    gate.add_inputs(path for j in all_jobs for path in (j.ref, j.other))
    out_path = gate.claim("-" if output is None else output, "--output", stdout_ok=True, append=True)
    junit_path = None
    if junit_xml is not None:
        junit_path = gate.claim(junit_xml, "--junit-xml", stdout_ok=True, append=True)
        if junit_path is not None and junit_path.exists() and not overwrite and not _is_junit(junit_path):
            raise OutputError(f"{junit_xml}: exists and is not a JUnit XML file (use -y/--overwrite to replace it)")
    if resume and out_path is None:
        raise ParameterError("--resume: needs --output FILE (the results to continue)")
    todo = all_jobs
    if out_path is not None:
        if out_path.exists() and not resume:
            raise OutputError(f"{output}: already exists (use --resume to continue it)")
        done = done_ids(out_path) if resume else set()
        todo = [j for j in all_jobs if j.id not in done]
    cores = os.cpu_count() or 1
    n = jobs or cores
    if executor == "local" and n > cores and not oversubscribe:
        print(f"syncmm: warning: --jobs {n} capped at {cores}, the number of cores (--oversubscribe to allow more)",
              file=sys.stderr)  # fmt: skip
        n = cores
    reports = []
    with open_executor(executor, n) as ex, _progress(len(todo), quiet) as note:
        out = sys.stdout if out_path is None else open(out_path, "a", encoding="utf-8")  # noqa: SIM115

        def emit(d):
            out.write(json.dumps(d, ensure_ascii=False) + "\n")
            out.flush()
            if out is not sys.stdout:
                os.fsync(out.fileno())
            note(f"{d['id']}: {d['status']}")

        try:
            reports = list(run(todo, ex, emit, fail_fast))
        finally:
            if out is not sys.stdout:
                out.close()
    if out_path is not None:  # the whole run, resumed parts included
        ids = {j.id for j in all_jobs}
        lines = out_path.read_text(encoding="utf-8").splitlines()
        reports = [d for d in (json.loads(x) for x in lines if x.strip()) if d["id"] in ids]
    if junit_xml is not None:
        writers.write_atomic(junit_path, junit(reports), overwrite=True, checked=True)
    worst = max((int(d.get("exit_code", 0)) for d in reports), default=0)
    if worst:
        raise typer.Exit(worst)


def _is_junit(path: Path) -> bool:
    """Whether ``path`` holds JUnit XML (an earlier run's: it may be replaced without -y)."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return False
    return head.lstrip().startswith(b"<?xml") and b"<testsuite" in head


@contextmanager
def _progress(total: int, quiet: bool) -> Iterator[Callable[[str], None]]:
    """``note(line)`` after each job: a bar with the count and ETA on a terminal, else one line per job."""
    if quiet:
        yield lambda line: None
        return
    if not sys.stderr.isatty() or os.environ.get("TERM") == "dumb":
        yield lambda line: print(f"syncmm: {line}", file=sys.stderr, flush=True)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("batch"), BarColumn(), MofNCompleteColumn(), TextColumn("elapsed"), TimeElapsedColumn(),
        TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True), transient=True,
    ) as prog:  # fmt: skip
        task = prog.add_task("batch", total=total)

        def note(line: str) -> None:
            prog.console.print(f"syncmm: {line}", highlight=False)
            prog.advance(task)

        yield note

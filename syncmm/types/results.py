"""Results of whole jobs: checks (JUnit test cases) and multicam timelines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .media import MediaInfo
from .offsets import SyncResult

if TYPE_CHECKING:
    from ..exceptions import SyncmmError


@dataclass(frozen=True)
class Check:
    """One check of a file or a job, as a JUnit test case: ``passed`` True, False (a failure: the check ran
    and failed) or None (an error: there was nothing to check); ``message`` one line, ``detail`` the body."""

    name: str
    passed: bool | None
    message: str = ""
    detail: str = ""


@dataclass(frozen=True)
class PairOffset:
    """One pairwise estimate: ``offset_s`` = ``t_a - t_b`` of the same event (file ``b`` aligned to ``a``)."""

    a: int
    b: int
    offset_s: float
    confidence: float


@dataclass(frozen=True)
class Timeline:
    """Every file on the timeline of file ``ref``: per file, ``starts_s`` the time on REF's timeline of its time
    zero (None: no chain of pairs links it to REF; ``starts_s[ref] == 0``) and ``hops`` the fewest pairs linking
    it to REF; per pair found, whether the fit ``used`` it (False: contradicted by the others and dropped) and
    its residual ``offset_s - (start_b - start_a)`` (NaN when either file is unplaced).
    """

    ref: int
    starts_s: tuple[float | None, ...]
    pairs: tuple[PairOffset, ...]
    used: tuple[bool, ...]
    residuals_s: tuple[float, ...]
    hops: tuple[int | None, ...]


@dataclass(frozen=True)
class MulticamResult:
    """Every file placed on REF's timeline (``paths[0]``), with the pairwise results behind it.

    ``errors[i]`` is the error that kept file ``i`` from being decoded (None if it was decoded);
    ``results`` holds the aligned pairs ``(a, b, SyncResult)`` with ``a < b``.
    """

    paths: tuple[str, ...]
    infos: tuple[MediaInfo | None, ...]
    errors: tuple[SyncmmError | None, ...]
    results: tuple[tuple[int, int, SyncResult], ...]
    timeline: Timeline

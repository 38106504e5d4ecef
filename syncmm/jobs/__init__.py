"""The orchestration layer: file-level jobs (paths in, results out) = media -> features -> alignment.

A job decodes with :mod:`syncmm.media`, computes features with :mod:`syncmm.features`, estimates with
:mod:`syncmm.alignment` and returns the core's dataclasses; it never formats (that is :mod:`syncmm.report`)
and never parses options (that is :mod:`syncmm.cli`, which reaches media and the estimators only through
here).  Jobs: :mod:`.align` (align, align_many, align_timeline, motion), :mod:`.check` (lip sync),
:mod:`.warp`, :mod:`.apply` (corrected media and its verification), :mod:`.selftest`.
"""

from __future__ import annotations

import os


def probe(path: str | os.PathLike):
    """What a file holds (:func:`syncmm.media.probe`), for the command line, which does not import media/."""
    from ..media import probe as _probe

    return _probe(path)

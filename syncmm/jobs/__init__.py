"""The orchestration layer: file-level jobs (paths in, results out) = media -> features -> alignment.

A job decodes with :mod:`syncmm.media`, computes features with :mod:`syncmm.features`, estimates with
:mod:`syncmm.alignment` and returns the core's dataclasses; it never prints or formats (that is
:mod:`syncmm.report`) and never parses options (that is :mod:`syncmm.cli`).  Being moved here job by job:
``check`` so far; the align, warp, timeline and apply jobs still live in ``alignment/pipeline.py`` and
``cli/`` (issue 14).
"""

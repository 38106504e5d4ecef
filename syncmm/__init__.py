"""syncmm: synchronise media.

Public API (imported lazily so that ``import syncmm`` and ``syncmm --help`` stay fast)::

    syncmm.align(ref_path, other_path, [AlignOptions], **options) -> SyncResult
    syncmm.estimate_offset(x, y, sr, **options) -> OffsetEstimate
    syncmm.warp(ref_features, other_features, rate=..., **options) -> WarpPath
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._version import __version__

if TYPE_CHECKING:
    from .alignment.multiscale import warp
    from .alignment.xcorr import estimate_offset
    from .jobs.align import align
    from .options import AlignOptions
    from .types import OffsetEstimate, SyncResult, TimeMap, WarpPath

__all__ = ["AlignOptions", "OffsetEstimate", "SyncResult", "TimeMap", "WarpPath", "__version__", "align",
           "estimate_offset", "warp"]  # fmt: skip

_LAZY = {
    "align": ("syncmm.jobs.align", "align"),
    "estimate_offset": ("syncmm.alignment.xcorr", "estimate_offset"),
    "SyncResult": ("syncmm.types", "SyncResult"),
    "OffsetEstimate": ("syncmm.types", "OffsetEstimate"),
    "warp": ("syncmm.alignment.multiscale", "warp"),
    "WarpPath": ("syncmm.types", "WarpPath"),
    "TimeMap": ("syncmm.types", "TimeMap"),
    "AlignOptions": ("syncmm.options", "AlignOptions"),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        return getattr(importlib.import_module(mod), attr)
    raise AttributeError(f"module 'syncmm' has no attribute {name!r}")

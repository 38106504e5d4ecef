"""The package's floors stay floors: each layer imports only downward, and no module grows past 400 lines.

media -> features -> alignment -> jobs -> report -> cli (dsp, types, exceptions, outputs, timefmt, options,
synth are shared ground).  Imports are read from the source (ast), including those inside functions; imports
under ``if TYPE_CHECKING:`` are type hints, not dependencies, and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "syncmm"
#: layer -> the syncmm packages it must not import.
FORBIDDEN = {
    "media": {"features", "alignment", "jobs", "report", "cli", "batch"},
    "dsp": {"media", "features", "alignment", "jobs", "report", "cli", "batch"},
    "features": {"media", "alignment", "jobs", "report", "cli", "batch"},
    "alignment": {"media", "jobs", "report", "cli", "batch"},
    "jobs": {"report", "cli", "batch"},
    "report": {"media", "features", "alignment", "jobs", "cli", "batch"},
    "cli": {"media", "features", "alignment", "dsp"},
    "batch": {"cli"},
}
MAX_LINES = 400


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def _layer(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("").parts
    return rel[0]


def _imports(path: Path) -> set[str]:
    """The syncmm packages ``path`` imports (first component after ``syncmm.``)."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):  # `if TYPE_CHECKING:` blocks
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for b in node.body for n in ast.walk(b))
    pkg = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        pkg = pkg[:-1] + ["__init__"]
    out = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - node.level]
                target = base + (node.module.split(".") if node.module else [a.name for a in node.names][:1])
            else:
                target = (node.module or "").split(".")
            if target[0] == "syncmm" and len(target) > 1:
                out.add(target[1])
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == "syncmm" and len(parts) > 1:
                    out.add(parts[1])
    return out


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_down_only(path):
    layer = _layer(path)
    bad = _imports(path) & FORBIDDEN.get(layer, set())
    assert not bad, f"{path.relative_to(ROOT)} ({layer}/) imports {sorted(bad)}"


def test_no_module_over_400_lines():
    big = {str(p.relative_to(ROOT)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not big, big


def test_the_reader_sees_relative_imports():
    assert "media" in _imports(ROOT / "jobs" / "align.py")
    assert "alignment" in _imports(ROOT / "jobs" / "check.py")
    results = ROOT / "types" / "results.py"
    assert "from ..exceptions import SyncmmError" in results.read_text()  # under `if TYPE_CHECKING:`
    assert "exceptions" not in _imports(results)

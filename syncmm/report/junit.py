"""The one JUnit XML writer: a test suite of :class:`~syncmm.types.Check` (``check --junit-xml``, batch)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from ..types import Check


def junit_xml(suite: str, classname: str, checks: Sequence[Check]) -> str:
    """A ``<testsuite>`` with one ``<testcase>`` per check: ``<failure>`` when it failed, ``<error>`` when
    there was nothing to check."""
    cases = []
    for c in checks:
        if c.passed is None:
            body = f"<error message={quoteattr(c.message)}/>"
        elif not c.passed:
            body = f"<failure message={quoteattr(c.message)}>{escape(c.detail)}</failure>"
        else:
            body = ""
        cases.append(f"  <testcase classname={quoteattr(classname)} name={quoteattr(c.name)}>{body}</testcase>")
    fails = sum(c.passed is False for c in checks)
    errs = sum(c.passed is None for c in checks)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuite name="{escape(suite)}" tests="{len(checks)}" failures="{fails}" errors="{errs}">\n'
        + "".join(case + "\n" for case in cases)
        + "</testsuite>\n"
    )

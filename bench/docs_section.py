"""The generated sections of docs/benchmarks.md: each bench script (run.py, memory.py, e2e.py,
instructions.py) owns the text between a pair of HTML comment markers there, and replaces it
on each ``--markdown`` run, leaving the rest of the file as it was.

``write_section`` does the replacing; where the markers are missing, the script's own fallback
says where the section goes (``append_section``, ``insert_after``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def replace_section(text: str, start: str, end: str, section: str) -> str | None:
    """``text`` with everything from ``start`` through ``end`` replaced by ``section``
    (which carries the markers itself); None when either marker is missing."""
    if start not in text or end not in text:
        return None
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return head + section.rstrip("\n") + tail


def insert_after(text: str, marker: str, section: str) -> str | None:
    """``text`` with ``section`` after ``marker`` and a blank line; None without the marker."""
    if marker not in text:
        return None
    head, _, tail = text.partition(marker)
    return head + marker + "\n\n" + section.rstrip("\n") + tail


def append_section(text: str, section: str, heading: str = "") -> str:
    """``text``, a blank line, ``heading`` and ``section``; ``section`` alone when ``text`` is
    empty."""
    return (text.rstrip("\n") + "\n\n" + heading if text else "") + section


def write_section(
    path: Path, start: str, end: str, section: str, fallback: Callable[[str], str]
) -> None:
    """Replace the section between ``start`` and ``end`` in ``path`` (empty if it does not
    exist); without the markers, write ``fallback(text)`` instead."""
    text = path.read_text() if path.exists() else ""
    replaced = replace_section(text, start, end, section)
    path.write_text(fallback(text) if replaced is None else replaced)

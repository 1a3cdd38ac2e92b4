"""How deeply a JSON document nests, found before it is parsed.

A parser recurses once per level: a body of ``[[[[...`` exhausts its stack (the
standard library's parser raises ``RecursionError``; orjson stops at 1024 levels).
Checking the depth first gives a clear 400 at a limit the app chooses.
"""

from __future__ import annotations

import re
from itertools import accumulate

__all__ = ["json_depth_exceeds", "json_nesting_depth"]

# A JSON string, escapes included: its brackets are text, not structure. Linear: no
# alternative can match where another did.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)

#: Every byte but the four brackets, for ``bytes.translate`` to delete.
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")

#: What each remaining byte adds to the depth: one per opening, minus one per closing.
_STEP = tuple(1 if byte in b"[{" else -1 for byte in range(256))


#: First bytes of a document :func:`json.loads` reads as UTF-16 or UTF-32 (a BOM or a NUL).
_WIDE_STARTS = (b"\x00", b"\xfe", b"\xff")


def json_nesting_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in ``data`` (0 for a scalar).

    Brackets inside strings do not count. ``data`` is read in the encoding
    :func:`json.loads` finds for it: UTF-8, or UTF-16 or UTF-32. For invalid JSON (an
    unterminated string, unbalanced brackets, bytes not in that encoding) the answer
    is an upper bound, which is enough to refuse it.
    PERF: the work is a regex substitution, a translate and an accumulate, all in C.
    """
    if data[:1] in _WIDE_STARTS or data[1:2] == b"\x00":
        # SECURITY: in UTF-16 or UTF-32 a character's bytes may be a quote or a
        # backslash, so the byte scan below would take structure for string and
        # report a deep document as shallow (found by fuzz/fuzz_json.py). Such a
        # document is scanned as the UTF-8 json.loads would read it as.
        from json import detect_encoding  # Start-up: json loads on first use.

        encoding = detect_encoding(data)
        if encoding != "utf-8":
            try:
                # As json.loads decodes: lone surrogates pass.
                data = data.decode(encoding, "surrogatepass").encode("utf-8", "surrogatepass")
            except UnicodeError:
                # json.loads cannot read it either; every opening bracket is a bound.
                return data.count(b"[") + data.count(b"{")
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets))))


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """Tell whether ``data`` nests deeper than ``limit`` levels.

    PERF: a document with no more brackets than the limit cannot nest deeper, so
    the usual small body costs two ``bytes.count`` calls.
    """
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    return json_nesting_depth(data) > limit

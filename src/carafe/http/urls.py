"""Request URLs as IRIs, the way Werkzeug presents ``request.url``.

The URL keeps Unicode characters readable (``/café``) and percent-encodes only
what would change its meaning or is not printable: controls, space, DEL, and
the delimiters of the part it is in (``?`` and ``#`` in a path; ``&``, ``=``,
``+`` and ``#`` in a query). Escaped bytes that are not UTF-8 stay escaped.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

_ALWAYS_ESCAPED = frozenset(chr(code) for code in (*range(0x21), 0x7F))

# In a decoded path, these would change the URL's meaning or are unprintable.
_PATH_ESCAPES = {ord(char): f"%{ord(char):02X}" for char in _ALWAYS_ESCAPED | {"?", "#"}}

_QUERY_KEEP = _ALWAYS_ESCAPED | {"%", "&", "=", "+", "#"}
# Runs of escapes of the characters a query must keep escaped.
_QUERY_KEPT_ESCAPES = re.compile(
    "((?:%(?:" + "|".join(f"{ord(char):02X}" for char in sorted(_QUERY_KEEP)) + "))+)",
    re.IGNORECASE,
)
_QUERY_SAFE = "!$&'()*+,/:;=?@%"


_LITERAL_ESCAPE = re.compile("%(?=[0-9A-Fa-f]{2})")


def iri_path(path: str) -> str:
    """Quote a decoded path for use in an IRI (``/a b?`` -> ``/a%20b%3F``).

    A ``%`` that would read as an escape is written ``%25``, so the URL names
    the same path (Werkzeug leaves it, turning a decoded ``/%41`` into ``/A``).
    """
    # PERF: a plain path, the usual case, needs no work.
    if path.isprintable() and not any(char in path for char in "?#% "):
        return path
    return _LITERAL_ESCAPE.sub("%25", path).translate(_PATH_ESCAPES)


def _unquote_utf8(text: str) -> str:
    # Unquote valid UTF-8 escapes; bytes that are not UTF-8 come back as their escapes.
    decoded = unquote(text, errors="surrogateescape")
    if decoded.isascii() or not any("\udc80" <= char <= "\udcff" for char in decoded):
        return decoded
    return "".join(
        f"%{ord(char) - 0xDC00:02X}" if "\udc80" <= char <= "\udcff" else char for char in decoded
    )


def iri_query(raw_query: bytes) -> str:
    """The query string of a request as it appears in an IRI (``q=%C3%A9`` -> ``q=é``)."""
    quoted = quote(raw_query, safe=_QUERY_SAFE)
    if "%" not in quoted:
        return quoted
    pieces = _QUERY_KEPT_ESCAPES.split(quoted)
    # The split alternates: text to unquote, then a run of escapes to keep.
    return "".join(
        piece if index % 2 else _unquote_utf8(piece) for index, piece in enumerate(pieces)
    )

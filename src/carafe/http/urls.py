"""Request URLs as IRIs, the way Werkzeug presents ``request.url``.

The URL keeps Unicode characters readable (``/café``) and percent-encodes only
what would change its meaning or is not printable: controls, space, DEL, and
the delimiters of the part it is in (``?`` and ``#`` in a path; ``&``, ``=``,
``+`` and ``#`` in a query). Escaped bytes that are not UTF-8 stay escaped.
"""

from __future__ import annotations

import re

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
    from urllib.parse import unquote  # Start-up: urllib.parse loads on first use.

    decoded = unquote(text, errors="surrogateescape")
    if decoded.isascii() or not any(_ESCAPED_LOW <= char <= _ESCAPED_HIGH for char in decoded):
        return decoded
    return "".join(
        f"%{ord(char) - 0xDC00:02X}" if _ESCAPED_LOW <= char <= _ESCAPED_HIGH else char
        for char in decoded
    )


#: The surrogates ``errors="surrogateescape"`` decodes the bytes 0x80-0xFF to (built
#: with chr(): compiled modules cannot hold surrogates in string literals).
_ESCAPED_LOW = chr(0xDC80)
_ESCAPED_HIGH = chr(0xDCFF)


def iri_query(raw_query: bytes) -> str:
    """The query string of a request as it appears in an IRI (``q=%C3%A9`` -> ``q=é``)."""
    from urllib.parse import quote  # Start-up: urllib.parse loads on first use.

    quoted = quote(raw_query, safe=_QUERY_SAFE)
    if "%" not in quoted:
        return quoted
    pieces = _QUERY_KEPT_ESCAPES.split(quoted)
    # The split alternates: text to unquote, then a run of escapes to keep.
    return "".join(
        piece if index % 2 else _unquote_utf8(piece) for index, piece in enumerate(pieces)
    )


_PATH_SAFE = "%!$&'()*+,/:;=@"
_FRAGMENT_SAFE = "%!#$&'()*+,/:;=?@"
_USER_SAFE = "%!$&'()*+,;="
# PERF: URLs made only of these characters come out of iri_to_uri unchanged.
_PLAIN_URL = re.compile(r"[A-Za-z0-9\-._~%!$&'()*+,/:;=?@#]*")


def iri_to_uri(iri: str) -> str:
    """Turn an IRI into a URI: percent-encode what a URI may not carry (non-ASCII,
    space, ``<>"{}|\\^```...) and IDNA-encode a Unicode host, as Werkzeug does
    for the ``Location`` header. Existing escapes are kept."""
    # PERF: a plain absolute path, the usual redirect target, passes untouched.
    # (urlunsplit drops an empty query or fragment marker, "/x?" -> "/x", as
    # Werkzeug's result does, so URLs with such markers take the full route.)
    if (
        iri.startswith("/")
        and not iri.startswith("//")
        and _PLAIN_URL.fullmatch(iri)
        and iri.count("#") <= 1
        and not iri.endswith(("?", "#"))
        and "?#" not in iri
    ):
        return iri
    from urllib.parse import (  # Start-up: urllib.parse loads on first use.
        quote,
        urlsplit,
        urlunsplit,
    )

    parts = urlsplit(iri)
    host = parts.hostname or ""
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    if parts.username is not None:
        auth = quote(parts.username, safe=_USER_SAFE)
        if parts.password is not None:
            auth = f"{auth}:{quote(parts.password, safe=_USER_SAFE)}"
        netloc = f"{auth}@{netloc}"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=_PATH_SAFE),
            quote(parts.query, safe=_QUERY_SAFE),
            quote(parts.fragment, safe=_FRAGMENT_SAFE),
        )
    )


def uri_for_header(location: str) -> str:
    """The ``Location`` value to send: the IRI as a URI, as Werkzeug sends it.

    A value that is not a parsable URL goes out as it is (it was already checked
    for CR, LF and NUL when it was set).
    """
    try:
        return iri_to_uri(location)
    except ValueError:
        return location

"""Cookies: parsing the ``Cookie`` request header and building ``Set-Cookie`` values.

Both produce exactly what Werkzeug 3.1 produces (``werkzeug.http.parse_cookie``
and ``dump_cookie``), so Flask code sees the same cookies and browsers the same
headers, with two hardenings: parsing never raises, and a cookie name, path or
domain that could break the header is refused.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from datetime import date, datetime, timedelta, timezone

from .dates import http_date

__all__ = ["dump_cookie", "parse_cookie_header"]

# One `name=value` pair of a Cookie header. Blanks around the name, the '=' and
# the value are ignored; the value is a double-quoted string (backslash escapes
# allowed) or a run of anything but blanks, quotes and ';'. A pair must be
# followed by ';' or the end, otherwise the parser skips to the next ';'.
_COOKIE_PAIR_RE = re.compile(
    r'[ \t]*([^ \t=";]+)(?:[ \t]*=[ \t]*("(?:[^\\"]|\\.)*"|[^ \t";]*))?[ \t]*(?:;|\Z)',
    re.ASCII,
)
# Backslash escapes inside a quoted cookie value: three octal digits or one byte.
_COOKIE_UNESCAPE_RE = re.compile(rb"\\([0-3][0-7]{2}|.)")


def _unescape_byte(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    if len(escaped) == 3:
        return bytes((int(escaped, 8),))
    return escaped


def parse_cookie_header(header: str | None) -> list[tuple[str, str]]:
    """Parse a ``Cookie`` header into ``(name, value)`` pairs, in order, duplicates kept.

    ``header`` is the WSGI (latin-1 tunnelled) string; its bytes are decoded as
    UTF-8 with invalid sequences replaced. Quoted values are unquoted with their
    backslash and octal escapes decoded; a name without ``=`` gets ``""``;
    malformed pairs are skipped. Gives the same pairs as
    ``werkzeug.http.parse_cookie`` and never raises.
    """
    if not header:
        return []
    if not header.isascii():
        try:
            raw = header.encode("latin-1")
        except UnicodeEncodeError:
            pass  # Already decoded text (code points above U+00FF): use as is.
        else:
            # SECURITY: invalid UTF-8 is replaced instead of raising, so a hostile
            # Cookie header cannot turn into a 500.
            header = raw.decode("utf-8", "replace")

    pairs: list[tuple[str, str]] = []
    pos = 0
    match_pair = _COOKIE_PAIR_RE.match
    while True:
        match = match_pair(header, pos)
        if match is None:
            # Skip the malformed part up to the next ';'.
            pos = header.find(";", pos) + 1
            if pos == 0:
                break
            continue
        name, value = match.groups()
        pos = match.end()
        if value is None:
            value = ""
        elif value[:1] == '"' and value[-1:] == '"':
            value = _COOKIE_UNESCAPE_RE.sub(_unescape_byte, value[1:-1].encode()).decode(
                "utf-8", "replace"
            )
        pairs.append((name, value))
        if pos >= len(header):
            break
    return pairs


# A value made only of these characters goes out unquoted.
_COOKIE_PLAIN_RE = re.compile(r"[\w!#$%&'()*+\-./:<=>?@\[\]^`{|}~]*", re.ASCII)
# Bytes that must be backslash-escaped inside a quoted value.
_COOKIE_ESCAPE_RE = re.compile(rb'[\x00-\x19",;\\\x7f-\xff]')
_COOKIE_ESCAPES: dict[bytes, bytes] = {
    byte: b"\\" + byte if byte in (b'"', b"\\") else b"\\%03o" % byte[0]
    for byte in (bytes((code,)) for code in [*range(0x20), *b'",;\\', *range(0x7F, 0x100)])
}
# SECURITY: characters that would end the Set-Cookie line or its name=value pair,
# or start another attribute.
_BAD_NAME_RE = re.compile(r'[\x00-\x20\x7f",;=]')
_BAD_ATTR_RE = re.compile(r"[\x00-\x1f\x7f;]")
_SAMESITE = {"strict": "Strict", "lax": "Lax", "none": "None"}


def _quote_cookie_value(value: str) -> str:
    if _COOKIE_PLAIN_RE.fullmatch(value):
        return value
    # Escape the UTF-8 bytes: a non-ASCII character becomes several octal escapes.
    escaped = _COOKIE_ESCAPE_RE.sub(lambda m: _COOKIE_ESCAPES[m.group()], value.encode())
    return '"' + escaped.decode("ascii") + '"'


def dump_cookie(
    key: str,
    value: str = "",
    max_age: timedelta | int | None = None,
    expires: str | datetime | date | int | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    *,
    samesite: str | None = None,
    partitioned: bool = False,
    sync_expires: bool = True,
    max_size: int = 4093,
) -> str:
    """Build a ``Set-Cookie`` header value, exactly as ``werkzeug.http.dump_cookie`` does.

    Attributes come in the order Domain, Expires, Max-Age, Secure, HttpOnly,
    Path, SameSite, Partitioned. The value is quoted with backslash/octal
    escapes when it holds characters RFC 6265 does not allow bare.

    :param max_age: seconds (``int`` or ``timedelta``); also sets ``Expires``
        (now + ``max_age``) unless ``expires`` is given or ``sync_expires`` is false.
    :param expires: a ``datetime``, ``date``, POSIX timestamp, or a preformatted string.
    :param path: percent-encoded as a URL path; ``None`` leaves it out.
    :param domain: the port and a leading dot are dropped; IDNA-encoded.
    :param samesite: ``"Strict"``, ``"Lax"`` or ``"None"``, any case.
    :param partitioned: adds ``Partitioned`` and implies ``secure``.
    :param max_size: warn if the header is longer than this; 0 disables the check.
    :raises ValueError: for an invalid ``samesite``, or a key, path or domain
        containing control characters or ``;`` (and for the key, blanks, ``"``,
        ``,`` or ``=``).
    """
    # SECURITY: refuse anything that could end the header line or inject
    # attributes, rather than sending a header the browser would misread.
    if _BAD_NAME_RE.search(key):
        raise ValueError(f"Invalid cookie name {key!r}: it contains a forbidden character.")
    if path is not None:
        if _BAD_ATTR_RE.search(path):
            raise ValueError(f"Invalid cookie path {path!r}: it contains a forbidden character.")
        if path != "/":  # PERF: the default path needs no encoding.
            # Percent-encode like a URL path segment, keeping existing escapes.
            from urllib.parse import quote  # Start-up: urllib.parse loads on first use.

            path = quote(path, safe="%!$&'()*+,/:=@")
    if domain:
        if _BAD_ATTR_RE.search(domain):
            raise ValueError(
                f"Invalid cookie domain {domain!r}: it contains a forbidden character."
            )
        domain = domain.partition(":")[0].lstrip(".").encode("idna").decode("ascii")
    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    if isinstance(expires, str):
        if _BAD_ATTR_RE.search(expires):
            raise ValueError(
                f"Invalid cookie expires {expires!r}: it contains a forbidden character."
            )
    elif expires is not None:
        expires = http_date(expires)
    elif max_age is not None and sync_expires:
        expires = http_date(datetime.now(timezone.utc).timestamp() + max_age)
    if samesite is not None:
        samesite_value = _SAMESITE.get(samesite.lower())
        if samesite_value is None:
            raise ValueError("SameSite must be 'Strict', 'Lax', or 'None'.")
        samesite = samesite_value
    if partitioned:
        secure = True

    value = _quote_cookie_value(value)
    # A non-ASCII name goes out as its UTF-8 bytes tunnelled through latin-1.
    parts = [f"{key.encode().decode('latin-1')}={value}"]
    attributes: tuple[tuple[str, object], ...] = (
        ("Domain", domain),
        ("Expires", expires),
        ("Max-Age", max_age),
        ("Secure", secure),
        ("HttpOnly", httponly),
        ("Path", path),
        ("SameSite", samesite),
        ("Partitioned", partitioned),
    )
    for name, attribute in attributes:
        # As in Werkzeug: None and False leave the attribute out, True gives a
        # bare flag, anything else (including "" and 0) gives name=value.
        if attribute is None or attribute is False:
            continue
        parts.append(name if attribute is True else f"{name}={attribute}")
    header = "; ".join(parts)

    # Browsers silently drop cookies that are too large; say so while developing.
    size = len(header)
    if max_size and size > max_size:
        value_size = len(value)
        _warn_outside_carafe(
            f"The '{key}' cookie is too large: the value was {value_size} bytes but the"
            f" header required {size - value_size} extra bytes. The final size"
            f" was {size} bytes but the limit is {max_size} bytes. Browsers may"
            " silently ignore cookies larger than this."
        )
    return header


#: Carafe's own directory: frames under it are skipped when a warning names its caller.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _warn_outside_carafe(message: str) -> None:
    """A UserWarning attributed to the first caller outside Carafe (the app's line).

    Found by walking the frames, not by a fixed ``stacklevel``: compiled modules
    (mypyc) have no frames, so a fixed count would name the wrong line there.
    """
    frame = sys._getframe()
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    module_globals = frame.f_globals
    warnings.warn_explicit(
        message,
        UserWarning,
        frame.f_code.co_filename,
        frame.f_lineno,
        module_globals.get("__name__"),
        module_globals.setdefault("__warningregistry__", {}),
        module_globals,
    )

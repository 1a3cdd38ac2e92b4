"""The syntax inside HTTP header values: quoting, ``key=value; ...`` option headers
(RFC 9110, with RFC 2231 continuations and charsets as Werkzeug reads them), and
mimetypes. Plain functions over strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "dump_options_header",
    "is_json_mimetype",
    "mimetype_of",
    "parse_options_header",
    "quote_header_value",
    "unquote_header_value",
]

# RFC 9110 section 5.6.2: the characters of a token (tchar).
_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)


def quote_header_value(value: Any, allow_token: bool = True) -> str:
    """Quote ``value`` for use in a header unless it is a plain token.

    Backslashes and double quotes are escaped; the empty string becomes ``""``.
    """
    text = str(value)
    if not text:
        return '""'
    if allow_token and _TOKEN_CHARS.issuperset(text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


_BACKSLASH_ESCAPE_RE = re.compile(r"\\(.)", re.ASCII)


def unquote_header_value(value: str) -> str:
    """Remove surrounding double quotes and backslash escapes from ``value``."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return _BACKSLASH_ESCAPE_RE.sub(r"\1", value[1:-1])
    return value


def dump_options_header(header: str | None, options: Mapping[str, Any]) -> str:
    """Join ``header`` and ``key=value`` parameters with ``"; "``.

    Values are quoted when they are not tokens and ``None`` values are
    skipped; a key ending in ``*`` is taken as already RFC 2231 encoded.
    ``dump_options_header("text/html", {"charset": "UTF-8"})`` gives
    ``"text/html; charset=UTF-8"``.
    """
    parts = [] if header is None else [header]
    for key, value in options.items():
        if value is None:
            continue
        if key.endswith("*"):
            parts.append(f"{key}={value}")
        else:
            parts.append(f"{key}={quote_header_value(value)}")
    return "; ".join(parts)


_PARAM_KEY_RE = re.compile(r"([\w!#$%&'*+\-.^`|~]+)=", re.ASCII)
_PARAM_TOKEN_RE = re.compile(r"[\w!#$%&'*+\-.^`|~]+", re.ASCII)
_PARAM_SEP_RE = re.compile(r";[ \t]*")
# RFC 2231 markers at the end of a key: `*N` continuation and/or `*` charset.
_PARAM_MARK_RE = re.compile(r"(?:\*(\d+))?(\*)?$", re.ASCII)
_EXT_VALUE_RE = re.compile(
    r"([\w!#$%&*+\-.^`|~]*)'[\w!#$%&*+\-.^`|~]*'([\w!#$%&'*+\-.^`|~]+)$", re.ASCII
)
_EXT_CHARSETS = frozenset(["ascii", "us-ascii", "utf-8", "iso-8859-1"])


def _closing_quote(text: str, start: int) -> int:
    """Return the index of the quote closing a quoted string opened before ``start``.

    A quote preceded by an odd run of backslashes is escaped. Returns -1 if the
    string is never closed.
    """
    pos = start
    while (quote := text.find('"', pos)) != -1:
        run = 0
        while quote - run - 1 >= start and text[quote - run - 1] == "\\":
            run += 1
        if not run % 2:
            return quote
        pos = quote + 1
    return -1


def _scan_params(rest: str) -> list[tuple[str, str]]:
    """Collect the well-formed ``key=value`` parts of a parameter list, values raw.

    A part that is not ``token=token`` or ``token="quoted"`` is skipped up to the
    next ``;``; an unterminated quoted string ends the scan.
    """
    parts: list[tuple[str, str]] = []
    pos = 0
    end = len(rest)
    while pos < end:
        key_match = _PARAM_KEY_RE.match(rest, pos)
        if key_match is not None:
            key = key_match.group(1).lower()
            pos = key_match.end()
            token_match = _PARAM_TOKEN_RE.match(rest, pos)
            if token_match is not None:
                parts.append((key, token_match.group()))
            elif rest.startswith('"', pos):
                closing = _closing_quote(rest, pos + 1)
                if closing == -1:
                    break
                parts.append((key, rest[pos : closing + 1]))
                pos = closing + 1
        sep = _PARAM_SEP_RE.search(rest, pos)
        if sep is None:
            break
        pos = sep.end()
    return parts


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """Split a header like ``Content-Type`` into its value and a dict of parameters.

    ``'multipart/form-data; boundary="abc"; charset=UTF-8'`` gives
    ``('multipart/form-data', {'boundary': 'abc', 'charset': 'UTF-8'})``.
    Parameter names are lower-cased, quoted values unquoted (``\\"`` and
    ``%22`` both give ``"``), RFC 2231 ``key*=utf-8''...`` values and ``key*0``
    continuations decoded, and malformed parameters skipped, as
    ``werkzeug.http.parse_options_header`` does.
    """
    if value is None:
        return "", {}
    main, _, rest = value.partition(";")
    main = main.strip(" \t")
    rest = rest.strip(" \t")
    if not main or not rest:
        return main, {}

    options: dict[str, str] = {}
    continued: dict[str, list[str]] = {}
    continued_charset: dict[str, str] = {}
    for raw_key, raw_value in _scan_params(rest):
        key = raw_key
        param_value = raw_value
        charset: str | None = None
        mark = _PARAM_MARK_RE.search(key)
        is_continuation = is_extended = False
        if mark is not None and mark.end() > mark.start():
            is_continuation = mark.group(1) is not None
            is_extended = mark.group(2) is not None
            key = key[: mark.start()]
        if is_extended:
            ext = _EXT_VALUE_RE.match(param_value)
            if ext is not None:
                charset = ext.group(1).lower()
                param_value = ext.group(2)
            if not charset and is_continuation:
                charset = continued_charset.get(key)
            # Only charsets clients actually use are decoded; any other leaves
            # the value as sent.
            if charset in _EXT_CHARSETS:
                from urllib.parse import unquote  # Start-up: urllib.parse loads on first use.

                param_value = unquote(param_value, encoding=charset)
        else:
            param_value = unquote_header_value(param_value).replace("%22", '"')

        if is_continuation:
            options.pop(key, None)
            continued.setdefault(key, []).append(param_value)
            if charset:
                continued_charset[key] = charset
        else:
            if key in continued:
                del continued[key]
                continued_charset.pop(key, None)
            options[key] = param_value
    for key, pieces in continued.items():
        options[key] = "".join(pieces)
    return main, options


def mimetype_of(content_type: str | None) -> str:
    """The mimetype of a ``Content-Type`` value: no parameters, lower-cased (``""`` if none)."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def is_json_mimetype(mimetype: str) -> bool:
    """True for ``application/json`` and ``application/*+json``, as Werkzeug's ``is_json``."""
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )

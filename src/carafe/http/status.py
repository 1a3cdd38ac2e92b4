"""Status codes, reason phrases and status-line parsing.

The reason phrases are Werkzeug's, so ``Response.status`` reads the same as in
Flask (``"201 CREATED"``, ``"404 NOT FOUND"``, ``"299 UNKNOWN"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from http import HTTPStatus

REASON_PHRASES: dict[int, str] = {
    100: "Continue",
    101: "Switching Protocols",
    102: "Processing",
    103: "Early Hints",
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    207: "Multi Status",
    208: "Already Reported",
    226: "IM Used",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    305: "Use Proxy",
    306: "Switch Proxy",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    414: "Request URI Too Long",
    415: "Unsupported Media Type",
    416: "Requested Range Not Satisfiable",
    417: "Expectation Failed",
    418: "I'm a teapot",
    421: "Misdirected Request",
    422: "Unprocessable Entity",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    449: "Retry With",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",
    507: "Insufficient Storage",
    508: "Loop Detected",
    510: "Not Extended",
    511: "Network Authentication Failed",
}

# PERF: status lines for every known code are built once (read-only); setting
# ``response.status_code`` is then a dict lookup.
STATUS_LINES: dict[int, str] = {
    code: f"{code} {phrase.upper()}" for code, phrase in REASON_PHRASES.items()
}

#: Codes whose responses never carry a body (RFC 9110 section 6.4.1).
BODYLESS_CODES = frozenset({204, 304}) | frozenset(range(100, 200))


def status_line(code: int) -> str:
    """Return the status line for ``code`` as Werkzeug writes it.

    Unknown codes get the generic reason ``UNKNOWN``.

    :raises ValueError: if ``code`` is not a three-digit number.
    """
    line = STATUS_LINES.get(code)
    if line is not None:
        return line
    if not 100 <= code <= 999:
        raise ValueError(f"HTTP status code must be between 100 and 999, not {code}.")
    return f"{code} UNKNOWN"


def parse_status(status: int | str | HTTPStatus) -> tuple[int, str]:
    """Turn an ``int``, ``HTTPStatus`` or string status into ``(code, status_line)``.

    ``"201"`` becomes ``(201, "201 CREATED")``; a string with its own reason,
    such as ``"201 created custom"``, keeps that reason as Flask does.

    :raises ValueError: for an empty string or one that does not start with a
        three-digit code.
    :raises TypeError: for anything that is neither ``int`` nor ``str``.
    """
    if isinstance(status, int):
        code = int(status)
        return code, status_line(code)
    if not isinstance(status, str):
        raise TypeError(
            f"The status must be an int, a str or an HTTPStatus, not {type(status).__name__}."
        )
    status = status.strip()
    if not status:
        raise ValueError("Empty status argument.")
    code_text, _, reason = status.partition(" ")
    if not code_text.isdigit() or len(code_text) != 3:
        raise ValueError(f"The status {status!r} does not start with a three-digit code.")
    # SECURITY: the status line goes onto the wire as given.
    if "\r" in reason or "\n" in reason or "\0" in reason:
        raise ValueError("A status reason must not contain CR, LF or NUL characters.")
    code = int(code_text)
    if not reason:
        return code, status_line(code)
    return code, status

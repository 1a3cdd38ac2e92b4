"""A WSGI environ as a server builds it, for tests that call an app without one."""

from __future__ import annotations

import io
from typing import Any


def server_environ(
    method: str = "GET", path: str = "/", query: str = "", body: bytes = b"", **extra: Any
) -> dict[str, Any]:
    """The environ of one request: ``body`` as ``wsgi.input`` (with its
    ``CONTENT_LENGTH`` when there is one), ``extra`` keys added last."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    environ.update(extra)
    return environ

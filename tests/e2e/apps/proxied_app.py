"""An app behind nginx: it trusts one proxy hop for every ``X-Forwarded-*`` header
and reports what it sees, with the pid of the process that answered.

Served two ways by ``tests/e2e/test_nginx.py``: ``app`` over WSGI (``carafe run``)
with :class:`~carafe.middleware.ProxyFix`, and ``asgi_app`` over ASGI (Granian)
with :class:`~carafe.middleware.ProxyFixASGI`.
"""

from __future__ import annotations

import os
import time
from typing import Any

from carafe import Flask, request, url_for
from carafe.middleware import ProxyFix, ProxyFixASGI

TRUSTED_HOPS = {"x_for": 1, "x_proto": 1, "x_host": 1, "x_port": 0, "x_prefix": 1}

app = Flask(__name__)


@app.route("/whoami")
def whoami() -> dict[str, Any]:
    """Who answered, and how the request looks to the app after ProxyFix."""
    return {
        "pid": os.getpid(),
        "remote_addr": request.remote_addr,
        "scheme": request.scheme,
        "host": request.host,
        "url": url_for("whoami", _external=True),
        "forwarded_for": request.headers.get("X-Forwarded-For"),
    }


@app.route("/echo", methods=["POST"])
def echo() -> dict[str, Any]:
    """The length of the body the app got, and how it came."""
    return {
        "length": len(request.get_data()),
        "content_length": request.headers.get("Content-Length"),
        "transfer_encoding": request.headers.get("Transfer-Encoding"),
    }


@app.route("/slow")
def slow() -> str:
    """Answers after 0.3 s: long enough to see what the client does meanwhile."""
    time.sleep(0.3)
    return "slow"


@app.route("/healthz")
def healthz() -> tuple[str, int]:
    """Answers 200 when the process can serve requests."""
    return "ok", 200


asgi_app = ProxyFixASGI(app.asgi, **TRUSTED_HOPS)
app.wsgi_app = ProxyFix(app.wsgi_app, **TRUSTED_HOPS)  # type: ignore[method-assign]

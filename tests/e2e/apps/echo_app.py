"""A small app for the malformed-HTTP tests: it echoes what the request looks like.

Served from its file path (``tests/e2e/apps/echo_app.py:app``) over WSGI and ASGI by
``tests/e2e/test_malformed_http.py``. ``/raw`` reports what the server itself handed
over (``wsgi.input`` over WSGI, the ``http.request`` messages over ASGI) before Carafe
wraps it, so a test can tell a server's lost error from Carafe's.
"""

from __future__ import annotations

import hashlib
import time
import traceback
from typing import Any

from carafe import Flask, redirect, request

app = Flask(__name__)


@app.route("/")
def index() -> str:
    return "ok"


@app.route("/slow")
def slow() -> str:
    # Long enough for the server to see what the client does meanwhile.
    time.sleep(0.3)
    return "slow"


@app.route("/secret")
def secret() -> str:
    # The target of smuggled requests: any answer with this text came from the app.
    return "SECRET-ROUTE"


@app.route("/echo", methods=["GET", "POST", "PUT"])
def echo() -> dict[str, Any]:
    body = request.get_data()
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query_string.decode("latin-1"),
        "host": request.host,
        "length": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "content_length": request.headers.get("Content-Length"),
        "transfer_encoding": request.headers.get("Transfer-Encoding"),
    }


@app.route("/form", methods=["POST"])
def form() -> dict[str, Any]:
    return {"form": request.form.to_dict()}


@app.route("/args")
def args() -> dict[str, Any]:
    return {"args": request.args.to_dict(), "path": request.path}


@app.route("/reflect")
def reflect() -> Any:
    """Client data put into a header, a cookie and a redirect, as careless views do.

    Carafe (as Werkzeug) refuses a header value with CR or LF with a ``ValueError``:
    the view's bug, answered 400 here so the server log stays free of tracebacks.
    """
    value = request.args.get("v", "")
    where = request.args.get("where", "header")
    try:
        if where == "redirect":
            return redirect("/next?v=" + value)
        response = app.make_response("reflected")
        if where == "cookie":
            response.set_cookie("echo", value)
        else:
            response.headers["X-Echo"] = value
    except ValueError:
        return "refused", 400
    return response


@app.route("/page/", defaults={"number": 1})
@app.route("/page/<int:number>")
def page(number: int) -> str:
    return f"page {number}"


@app.route("/redirect")
def to_index() -> Any:
    return redirect("/")


@app.route("/raw", methods=["POST"])
def raw_wsgi() -> dict[str, Any]:
    """Over WSGI: read ``wsgi.input`` to its end and report what came (or what failed).

    ``?whole=1`` reads it with one ``read()`` first, then in 64 KiB reads.
    """
    stream = request.environ["wsgi.input"]
    report: dict[str, Any] = {
        "interface": "wsgi",
        "input_terminated": request.environ.get("wsgi.input_terminated"),
        "content_length": request.environ.get("CONTENT_LENGTH"),
    }
    reads = []
    try:
        if request.args.get("whole"):
            # read() with no size: the whole body in one call.
            reads.append(stream.read().hex())
        while True:
            chunk = stream.read(65536)
            reads.append(chunk.hex())
            if not chunk:
                break
    except Exception as error:
        report["error"] = "".join(traceback.format_exception_only(error)).strip()
    report["reads"] = reads
    return report


_carafe_asgi = app.asgi_adapter


async def _raw_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Over ASGI: record every message ``receive`` gives until the body ends."""
    import json

    messages = []
    error = None
    try:
        while True:
            message = await receive()
            messages.append(
                {
                    "type": message["type"],
                    "body": bytes(message.get("body", b"")).hex(),
                    "more_body": message.get("more_body"),
                }
            )
            if message["type"] != "http.request" or not message.get("more_body"):
                break
    except Exception as exc:
        error = "".join(traceback.format_exception_only(exc)).strip()
    payload = json.dumps({"interface": "asgi", "messages": messages, "error": error}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": payload, "more_body": False})


async def _asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and scope["path"] == "/raw":
        await _raw_asgi(scope, receive, send)
    else:
        await _carafe_asgi(scope, receive, send)


app.asgi = _asgi

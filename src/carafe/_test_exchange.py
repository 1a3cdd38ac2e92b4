"""One test request, without a server: its WSGI environ built, then run through the app.

:func:`build_environ` builds the environ as Flask's test client does (``data=``,
``json=``, multipart files, ``query_string=``, headers); :func:`run_wsgi_app` and
:func:`run_asgi_app` send it to the app over WSGI or ASGI (through the HTTP scope
:func:`environ_to_scope` derives) and collect the whole answer. The client, its cookie
jar and ``TestResponse`` are in :mod:`carafe.testing`, which re-exports these names.
"""

from __future__ import annotations

import base64
import io
import json as _json
import mimetypes
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote, unquote_to_bytes, urlencode, urlsplit

from carafe.http.datastructures import FileStorage, MultiDict
from carafe.http.headers import Headers
from carafe.http.status import status_line
from carafe.runner import run_coroutine
from carafe.wsgi_apps import call_wsgi_app

if TYPE_CHECKING:
    from carafe.app import Flask
    from carafe.typing import WSGIApplication, WSGIEnvironment

USER_AGENT = "Carafe-test-client/0.1"


def run_wsgi_app(
    app: WSGIApplication, environ: WSGIEnvironment
) -> tuple[list[bytes], str, list[tuple[str, str]]]:
    """Call a WSGI application and collect its whole answer: ``(body, status, headers)``."""
    body, status, headers = call_wsgi_app(app, environ)
    try:
        chunks = list(body)
    finally:
        body.close()
    return chunks, status, headers


def environ_to_scope(environ: WSGIEnvironment) -> dict[str, Any]:
    """The ASGI HTTP scope an ASGI server would build for this request."""
    script_name = environ.get("SCRIPT_NAME", "").encode("latin-1").decode("utf-8", "replace")
    path = environ.get("PATH_INFO", "/").encode("latin-1")
    headers: list[tuple[bytes, bytes]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key
        else:
            continue
        headers.append((name.lower().replace("_", "-").encode("latin-1"), value.encode("latin-1")))
    port = environ.get("SERVER_PORT") or "80"
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": environ.get("SERVER_PROTOCOL", "HTTP/1.1").partition("/")[2] or "1.1",
        "method": environ["REQUEST_METHOD"],
        "scheme": environ.get("wsgi.url_scheme", "http"),
        # Servers decode the path as UTF-8, replacing what is not (as uvicorn does).
        "path": script_name + path.decode("utf-8", "replace"),
        "raw_path": path,
        "root_path": script_name,
        "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
        "headers": headers,
        "server": (environ.get("SERVER_NAME", "localhost"), int(port) if port.isdigit() else 80),
    }
    if environ.get("REMOTE_ADDR"):
        scope["client"] = (environ["REMOTE_ADDR"], int(environ.get("REMOTE_PORT") or 0))
    if environ.get("carafe.preserve_context"):
        scope["carafe.preserve_context"] = True
    return scope


def run_asgi_app(
    app: Callable[..., Awaitable[None]], environ: WSGIEnvironment
) -> tuple[list[bytes], str, list[tuple[str, str]], Any]:
    """Send the request described by ``environ`` to an ASGI app and collect the answer:
    ``(body, status line, headers, preserved context or None)``."""
    scope = environ_to_scope(environ)
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    request_body = stream.read(int(length)) if length and length.isdigit() else stream.read()
    try:
        return run_coroutine(_asgi_exchange(app, scope, request_body))
    except BaseException:
        # The context kept for ``with client:`` outlives the error, as over WSGI.
        kept = scope.get("carafe.preserved_context")
        if kept is not None:
            environ["carafe.preserved_context"] = kept
        raise


async def _asgi_exchange(
    app: Callable[..., Awaitable[None]], scope: dict[str, Any], request_body: bytes
) -> tuple[list[bytes], str, list[tuple[str, str]], Any]:
    import asyncio

    finished = asyncio.Event()
    sent_body = False
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": request_body, "more_body": False}
        # The client stays connected until the whole answer has arrived.
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                finished.set()

    try:
        await app(scope, receive, send)
    finally:
        finished.set()
    if not start:
        raise RuntimeError("The ASGI application sent no response.")
    preserved = scope.get("carafe.preserved_context")
    if preserved is not None:
        # ``with client:`` may read the body after the answer, from this thread:
        # give the kept request the body itself if the app never read it.
        from carafe.asgi_request import ASGIRequest, ReceiveStream

        request = preserved[0].request
        stream = request._input()
        if isinstance(stream, ReceiveStream) and stream.untouched:
            replacement = io.BytesIO(request_body)
            if isinstance(request, ASGIRequest):
                request._body = replacement
            request.environ["wsgi.input"] = replacement
    code = start["status"]
    headers = [
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in start["headers"]
    ]
    return chunks, status_line(code), headers, preserved


# ---------------------------------------------------------------------------
# Building the environ


def _is_file(value: Any) -> bool:
    return isinstance(value, (FileStorage, tuple)) or hasattr(value, "read")


def _encode_multipart(fields: Iterable[tuple[str, Any]], boundary: str) -> bytes:
    out = io.BytesIO()
    for name, value in fields:
        out.write(f"--{boundary}\r\n".encode())
        quoted_name = quote(name, safe=" !#$&'()*+,-./:;<=>?@[]^_`{|}~")
        if _is_file(value):
            content_type = None
            if isinstance(value, FileStorage):
                stream, filename, content_type = value.stream, value.filename, value.content_type
            elif isinstance(value, tuple):
                stream, filename, *rest = value
                content_type = rest[0] if rest else None
            else:
                stream = value
                filename = os.path.basename(getattr(value, "name", "") or "")
            if content_type is None:
                guessed = mimetypes.guess_type(filename or "")[0]
                content_type = guessed or "application/octet-stream"
            quoted_filename = (filename or "").replace('"', "%22")
            out.write(
                f'Content-Disposition: form-data; name="{quoted_name}";'
                f' filename="{quoted_filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            )
            data = stream.read()
            out.write(data.encode() if isinstance(data, str) else data)
        else:
            out.write(f'Content-Disposition: form-data; name="{quoted_name}"\r\n\r\n'.encode())
            out.write(value.encode() if isinstance(value, str) else bytes(value))
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue()


def _pairs(data: Any) -> list[tuple[str, Any]]:
    if isinstance(data, MultiDict):
        return list(data.items(multi=True))
    if isinstance(data, Mapping):
        items = data.items()
    else:
        items = data
    pairs: list[tuple[str, Any]] = []
    for key, value in items:
        if isinstance(value, list):
            pairs.extend((key, item) for item in value)
        else:
            pairs.append((key, value))
    return pairs


def build_environ(
    app: Flask | None = None,
    path: str = "/",
    base_url: str | None = None,
    query_string: Mapping[str, Any] | str | bytes | None = None,
    method: str = "GET",
    input_stream: BinaryIO | None = None,
    content_type: str | None = None,
    content_length: int | None = None,
    errors_stream: Any = None,
    multithread: bool = False,
    multiprocess: bool = False,
    run_once: bool = False,
    headers: Headers | Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
    data: Any = None,
    environ_base: Mapping[str, Any] | None = None,
    environ_overrides: Mapping[str, Any] | None = None,
    mimetype: str | None = None,
    json: Any = None,
    auth: tuple[str, str] | str | None = None,
    **unused: Any,
) -> WSGIEnvironment:
    """Build a WSGI environ the way Flask's test client does, from Werkzeug's
    ``EnvironBuilder`` arguments (after ``app``, in its order).

    ``data`` may be bytes/str (sent as is), or a dict (urlencoded, or multipart
    when a value is a file, a ``(file, filename[, content_type])`` tuple or a
    ``FileStorage``). ``json`` is serialised with the app's JSON provider. ``auth``
    is a ``(username, password)`` pair for Basic authentication, or a header value.
    """
    if unused:
        raise TypeError(f"Unexpected arguments: {', '.join(sorted(unused))}.")
    if data is not None and json is not None:
        raise TypeError("can't provide both json and data")
    if mimetype is not None and content_type is None:
        content_type = mimetype
    if base_url is None:
        scheme, host, root = "http", "localhost", ""
        if app is not None:
            scheme = app.config["PREFERRED_URL_SCHEME"] or "http"
            host = app.config["SERVER_NAME"] or "localhost"
            root = (app.config["APPLICATION_ROOT"] or "/").rstrip("/")
    else:
        parts = urlsplit(base_url)
        scheme, host, root = parts.scheme or "http", parts.netloc or "localhost", parts.path
        root = root.rstrip("/")
    url = urlsplit(path)
    if url.scheme:
        scheme = url.scheme
    if url.netloc:
        host = url.netloc
    raw_query = url.query
    if query_string is not None:
        if raw_query:
            raise ValueError("Query string is defined in the path and as an argument")
        if isinstance(query_string, bytes):
            raw_query = query_string.decode("latin-1")
        elif isinstance(query_string, str):
            raw_query = query_string
        else:
            raw_query = urlencode(_pairs(query_string))
    body = b""
    if json is not None:
        dumps = app.json.dumps if app is not None else _json.dumps
        body = dumps(json).encode()
        content_type = content_type or "application/json"
    elif isinstance(data, str):
        body = data.encode()
    elif isinstance(data, (bytes, bytearray)):
        body = bytes(data)
    elif data is not None and hasattr(data, "read"):
        input_stream = data
    elif data is not None:
        pairs = _pairs(data)
        if any(_is_file(value) for _name, value in pairs):
            boundary = f"----CarafeBoundary{os.urandom(12).hex()}"
            body = _encode_multipart(pairs, boundary)
            content_type = f"multipart/form-data; boundary={boundary}"
        else:
            body = urlencode([(name, str(value)) for name, value in pairs]).encode()
            content_type = content_type or "application/x-www-form-urlencoded"
    path_bytes = unquote_to_bytes(url.path or "/")
    server_name, _, port = host.partition(":")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": root,
        "PATH_INFO": path_bytes.decode("latin-1"),
        "QUERY_STRING": raw_query,
        "SERVER_NAME": server_name,
        "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": host,
        "HTTP_USER_AGENT": USER_AGENT,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": input_stream if input_stream is not None else io.BytesIO(body),
        "wsgi.errors": errors_stream if errors_stream is not None else io.StringIO(),
        "wsgi.multithread": multithread,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": run_once,
    }
    if environ_base:
        environ.update(environ_base)
    if input_stream is None and (body or method.upper() in ("POST", "PUT", "PATCH")):
        environ["CONTENT_LENGTH"] = str(len(body))
    if content_length is not None:
        environ["CONTENT_LENGTH"] = str(content_length)
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    given: dict[str, str] = {}
    for name, value in Headers(headers or ()).items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
        # Repeated headers arrive joined with commas, as a server would pass them.
        given[key] = f"{given[key]}, {value}" if key in given else value
    environ.update(given)
    if auth is not None:
        if isinstance(auth, tuple):
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            auth = f"Basic {token}"
        environ["HTTP_AUTHORIZATION"] = auth
    if environ_overrides:
        environ.update(environ_overrides)
    return environ

"""The test client: requests to the app without a server, with a cookie jar.

``app.test_client()`` mirrors Flask's ``FlaskClient``: ``get/post/...(path,
data=, json=, headers=, query_string=, content_type=, follow_redirects=)``,
``get_cookie``/``set_cookie``/``delete_cookie``, and ``with client:`` keeping
the last request's context pushed.
"""

from __future__ import annotations

import io
import json as _json
import mimetypes
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote, unquote_to_bytes, urlencode, urljoin, urlsplit

from carafe.http.cookies import dump_cookie, parse_cookie_header
from carafe.http.datastructures import FileStorage, MultiDict
from carafe.http.dates import parse_http_date
from carafe.http.headers import Headers
from carafe.http.status import status_line
from carafe.response import Response, call_wsgi_app
from carafe.runner import run_coroutine

if TYPE_CHECKING:
    from carafe.app import Flask
    from carafe.ctx import RequestContext
    from carafe.typing import WSGIApplication, WSGIEnvironment

USER_AGENT = "Carafe-test-client/0.1"
_REDIRECT_CODES = frozenset({301, 302, 303, 305, 307, 308})


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
    return run_coroutine(_asgi_exchange(app, scope, request_body))


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
    headers: Headers | Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
    data: Any = None,
    json: Any = None,
    environ_base: Mapping[str, Any] | None = None,
    environ_overrides: Mapping[str, Any] | None = None,
    mimetype: str | None = None,
    **unused: Any,
) -> WSGIEnvironment:
    """Build a WSGI environ the way Flask's test client does.

    ``data`` may be bytes/str (sent as is), or a dict (urlencoded, or multipart
    when a value is a file, a ``(file, filename[, content_type])`` tuple or a
    ``FileStorage``). ``json`` is serialised with the app's JSON provider.
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
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
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
    if environ_overrides:
        environ.update(environ_overrides)
    return environ


# ---------------------------------------------------------------------------
# Cookies


@dataclass
class Cookie:
    """A cookie in the test client's jar, as Werkzeug's test client describes it:
    ``value`` is the raw value as sent on the wire, ``decoded_value`` what the
    app reads."""

    key: str
    value: str
    decoded_key: str
    decoded_value: str
    expires: datetime | None = None
    max_age: int | None = None
    domain: str = "localhost"
    origin_only: bool = True
    path: str = "/"
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None
    partitioned: bool = False

    def _matches(self, host: str, path: str) -> bool:
        host = host.split(":", 1)[0]
        if self.origin_only:
            domain_ok = host == self.domain
        else:
            domain_ok = host == self.domain or host.endswith("." + self.domain.lstrip("."))
        cookie_path = self.path or "/"
        path_ok = path == cookie_path or path.startswith(cookie_path.rstrip("/") + "/")
        return domain_ok and path_ok

    def _expired(self, now: datetime) -> bool:
        return self.expires is not None and self.expires <= now


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def parse_set_cookie(header: str, default_domain: str) -> Cookie:
    """Parse one ``Set-Cookie`` header value into a :class:`Cookie`."""
    first, *attributes = header.split(";")
    raw_key, _, raw_value = first.partition("=")
    pairs = parse_cookie_header(first)
    key, value = pairs[0] if pairs else (raw_key.strip(), "")
    cookie = Cookie(
        key=raw_key.strip(),
        value=raw_value.strip(),
        decoded_key=key,
        decoded_value=value,
        domain=default_domain,
    )
    for attribute in attributes:
        name, _, attr_value = attribute.strip().partition("=")
        name = name.lower()
        if name == "domain" and attr_value:
            cookie.domain = attr_value.lstrip(".")
            cookie.origin_only = False
        elif name == "path":
            cookie.path = attr_value or "/"
        elif name == "expires":
            if cookie.max_age is None:
                cookie.expires = parse_http_date(attr_value)
        elif name == "max-age":
            try:
                cookie.max_age = int(attr_value)
            except ValueError:
                continue
            cookie.expires = _utc_now() + timedelta(seconds=cookie.max_age)
        elif name == "secure":
            cookie.secure = True
        elif name == "httponly":
            cookie.http_only = True
        elif name == "samesite":
            cookie.same_site = attr_value
        elif name == "partitioned":
            cookie.partitioned = True
    return cookie


# ---------------------------------------------------------------------------
# The client


class TestResponse(Response):
    """A response as the test client returns it: fully read, with the request and
    the redirect ``history``."""

    __test__ = False

    request: Any
    history: tuple[TestResponse, ...]


_TEST_RESPONSE_CLASSES: dict[type[Response], type[TestResponse]] = {Response: TestResponse}


def _test_response_class(response_class: type[Response]) -> type[TestResponse]:
    """``TestResponse`` mixed into an app's own response class (made once per class)."""
    wrapper = _TEST_RESPONSE_CLASSES.get(response_class)
    if wrapper is None:
        wrapper = type("TestResponse", (TestResponse, response_class), {"__test__": False})
        _TEST_RESPONSE_CLASSES[response_class] = wrapper
    return wrapper


class FlaskClient:
    """Sends requests to an app in process; see Flask's ``FlaskClient``."""

    __test__ = False

    #: The interface requests go through when none is given: ``"wsgi"`` or ``"asgi"``.
    default_interface = "wsgi"

    def __init__(
        self,
        app: Flask,
        use_cookies: bool = True,
        interface: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.application = app
        self.use_cookies = use_cookies
        self.interface = interface or self.default_interface
        if self.interface not in ("wsgi", "asgi"):
            raise ValueError(f"interface must be 'wsgi' or 'asgi', not {self.interface!r}.")
        self.environ_base: dict[str, Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": USER_AGENT,
            **kwargs.pop("environ_base", {}),
        }
        self._cookies: dict[tuple[str, str, str], Cookie] = {}
        self._preserve_context = False
        self._preserved: tuple[RequestContext, BaseException | None] | None = None

    # -- cookies --------------------------------------------------------------

    def get_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> Cookie | None:
        """The cookie ``key`` for ``domain`` and ``path``, or None."""
        if not self.use_cookies:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        cookie = self._cookies.get((domain, path, key))
        if cookie is not None and cookie._expired(_utc_now()):
            del self._cookies[(domain, path, key)]
            return None
        return cookie

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        domain: str = "localhost",
        origin_only: bool = True,
        path: str = "/",
        **kwargs: Any,
    ) -> None:
        """Put a cookie in the jar, sent with later requests to ``domain`` and ``path``."""
        if not self.use_cookies:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        # The value is quoted as a server would send it (dump_cookie's rules), and
        # the jar then holds exactly what a Set-Cookie from the app would give.
        header = dump_cookie(key, value, domain=None, path=path, **kwargs)
        cookie = parse_set_cookie(header, domain)
        cookie.origin_only = origin_only
        cookie.path = path
        self._cookies[(domain, path, key)] = cookie

    def delete_cookie(self, key: str, *, domain: str = "localhost", path: str = "/") -> None:
        """Remove a cookie from the jar."""
        if not self.use_cookies:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        self._cookies.pop((domain, path, key), None)

    def _cookie_header(self, environ: WSGIEnvironment) -> str | None:
        now = _utc_now()
        host = environ.get("HTTP_HOST", "localhost")
        path = environ.get("SCRIPT_NAME", "") + (environ.get("PATH_INFO") or "/")
        secure = environ.get("wsgi.url_scheme") == "https"
        found = []
        for jar_key, cookie in list(self._cookies.items()):
            if cookie._expired(now):
                del self._cookies[jar_key]
            elif cookie._matches(host, path) and (secure or not cookie.secure):
                found.append(f"{cookie.key}={cookie.value}")
        return "; ".join(found) or None

    def _store_cookies(self, headers: list[tuple[str, str]], environ: WSGIEnvironment) -> None:
        host = environ.get("HTTP_HOST", "localhost").split(":", 1)[0]
        now = _utc_now()
        for name, value in headers:
            if name.lower() != "set-cookie":
                continue
            cookie = parse_set_cookie(value, host)
            jar_key = (cookie.domain, cookie.path, cookie.key)
            if cookie._expired(now):
                self._cookies.pop(jar_key, None)
            else:
                self._cookies[jar_key] = cookie

    # -- requests -------------------------------------------------------------

    def _pop_preserved(self) -> None:
        preserved = self._preserved
        if preserved is not None:
            self._preserved = None
            ctx, error = preserved
            ctx.pop(error)

    def _run(self, environ: WSGIEnvironment) -> TestResponse:
        self._pop_preserved()
        if self.use_cookies:
            cookie_header = self._cookie_header(environ)
            if cookie_header:
                existing = environ.get("HTTP_COOKIE")
                environ["HTTP_COOKIE"] = (
                    f"{existing}; {cookie_header}" if existing else cookie_header
                )
        if self._preserve_context:
            environ["carafe.preserve_context"] = True
        if self.interface == "asgi":
            body, status, headers, preserved = run_asgi_app(self.application.asgi, environ)
            if preserved is not None:
                # Kept by the ASGI side in another thread or task: push it again here.
                ctx = preserved[0]
                ctx._tokens.clear()
                ctx.push()
        else:
            body, status, headers = run_wsgi_app(self.application, environ)
            preserved = environ.get("carafe.preserved_context")
        if preserved is not None:
            self._preserved = preserved
        if self.use_cookies:
            self._store_cookies(headers, environ)
        wrapper = _test_response_class(self.application.response_class)
        response = wrapper(body, status=status)
        # Exactly the headers that went on the wire: no default Content-Type added.
        response.headers = Headers._trusted(list(headers))
        response.request = self.application.request_class(
            environ, self.application.request_options
        )
        response.history = ()
        return response

    def open(
        self,
        path: str = "/",
        method: str = "GET",
        follow_redirects: bool = False,
        buffered: bool = False,
        **kwargs: Any,
    ) -> TestResponse:
        """Send a request and return the response (following redirects if asked).

        ``buffered`` is accepted for Flask compatibility: the answer is always read
        whole, so the response can be inspected after the request ends.
        """
        environ_base = {**self.environ_base, **kwargs.pop("environ_base", {})}
        environ = build_environ(
            self.application, path, method=method, environ_base=environ_base, **kwargs
        )
        response = self._run(environ)
        if not follow_redirects:
            return response
        history: list[TestResponse] = []
        seen: set[tuple[str, str]] = set()
        while response.status_code in _REDIRECT_CODES:
            history.append(response)
            current = _environ_url(environ)
            target = urljoin(current, response.headers.get("Location", ""))
            key = (target, environ["REQUEST_METHOD"])
            if key in seen:
                raise RuntimeError(f"Loop detected: a redirect to {target} was already followed.")
            seen.add(key)
            if response.status_code in (307, 308):
                environ = build_environ(
                    self.application,
                    target,
                    method=environ["REQUEST_METHOD"],
                    data=_replay_body(environ),
                    content_type=environ.get("CONTENT_TYPE"),
                    environ_base=environ_base,
                    headers=kwargs.get("headers"),
                )
            else:
                method_after = "HEAD" if environ["REQUEST_METHOD"] == "HEAD" else "GET"
                environ = build_environ(
                    self.application,
                    target,
                    method=method_after,
                    environ_base=environ_base,
                    headers=kwargs.get("headers"),
                )
            response = self._run(environ)
        response.history = tuple(history)
        return response

    def get(self, path: str = "/", **kwargs: Any) -> TestResponse:
        """``open(..., method="GET")``."""
        return self.open(path, method="GET", **kwargs)

    def post(self, path: str = "/", **kwargs: Any) -> TestResponse:
        """``open(..., method="POST")``."""
        return self.open(path, method="POST", **kwargs)

    def put(self, path: str = "/", **kwargs: Any) -> TestResponse:
        """``open(..., method="PUT")``."""
        return self.open(path, method="PUT", **kwargs)

    def patch(self, path: str = "/", **kwargs: Any) -> TestResponse:
        """``open(..., method="PATCH")``."""
        return self.open(path, method="PATCH", **kwargs)

    def delete(self, path: str = "/", **kwargs: Any) -> TestResponse:
        """``open(..., method="DELETE")``."""
        return self.open(path, method="DELETE", **kwargs)

    def head(self, path: str = "/", **kwargs: Any) -> TestResponse:
        """``open(..., method="HEAD")``."""
        return self.open(path, method="HEAD", **kwargs)

    def options(self, path: str = "/", **kwargs: Any) -> TestResponse:
        """``open(..., method="OPTIONS")``."""
        return self.open(path, method="OPTIONS", **kwargs)

    def trace(self, path: str = "/", **kwargs: Any) -> TestResponse:
        """``open(..., method="TRACE")``."""
        return self.open(path, method="TRACE", **kwargs)

    def __enter__(self) -> FlaskClient:
        if self._preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self._preserve_context = True
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._preserve_context = False
        self._pop_preserved()


def _environ_url(environ: WSGIEnvironment) -> str:
    path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "/"), safe="/%")
    url = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}{path}"
    if environ.get("QUERY_STRING"):
        url += "?" + environ["QUERY_STRING"]
    return url


def _replay_body(environ: WSGIEnvironment) -> bytes:
    stream = environ["wsgi.input"]
    if hasattr(stream, "getvalue"):
        return stream.getvalue()  # type: ignore[no-any-return]
    return b""

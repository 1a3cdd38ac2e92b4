"""The request of an ASGI HTTP scope: its body stream, and the request read from the scope.

:class:`ASGIRequest` is :class:`~carafe.request.Request` reading what the
request path needs (method, path, the body's headers, cookies, the query
string) straight from the scope; the WSGI-style environ the rest of
``Request`` reads is built only when something asks for it. An app with a
custom ``request_class`` gets that class over the environ instead, as it was
written for.
"""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile
import threading
from typing import Any, BinaryIO, NoReturn

from carafe.exceptions import ClientDisconnected
from carafe.http.caches import remember
from carafe.options import DEFAULT_OPTIONS, RequestOptions
from carafe.request import Request
from carafe.request_body import is_chunked, parse_content_length
from carafe.request_head import UPPER_METHODS
from carafe.typing import ASGIMessage, ASGIReceive, ASGIScope

Scope = ASGIScope
Message = ASGIMessage
Receive = ASGIReceive

#: Bodies prefetched for async views stay in memory up to this size, then spool to disk.
SPOOL_MAX_SIZE = 1024 * 1024

# HTTP versions whose requests may carry a body without announcing its length.
_STREAMS_TO_END = frozenset({"2", "3"})


def _raise_truncated() -> NoReturn:
    """Refuse a body whose end never came: a 400 (``ClientDisconnected``)."""
    raise ClientDisconnected("The request body ended before it was complete.")


class ReceiveStream:
    """The request body as a file-like ``wsgi.input`` over ASGI ``receive``.

    From a pool thread, ``read`` waits for ``receive`` on the event loop, so the
    body is read only as far as the app asks. On the loop itself reading would
    deadlock, so requests handled there have their body prefetched (spooled to
    disk past :data:`SPOOL_MAX_SIZE`) before the app runs.
    """

    __slots__ = (
        "_buffer",
        "_loop",
        "_loop_thread",
        "_more",
        "_prefetched",
        "_receive",
        "_spooled",
        "_truncated",
        "disconnected",
    )

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        #: The event loop ``read`` waits on from a pool thread (see :meth:`read_from`).
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._buffer = bytearray()
        self._more = True
        self._spooled: BinaryIO | None = None
        self._prefetched = 0
        #: The client went away (or the server gave up on the body) before its end.
        self._truncated = False
        self.disconnected = False

    def read_from(self, loop: asyncio.AbstractEventLoop) -> None:
        """Let pool threads read the body by waiting on ``loop`` (this thread's loop)."""
        self._loop = loop
        self._loop_thread = threading.get_ident()

    @property
    def untouched(self) -> bool:
        """True while nothing of the body has been received."""
        return self._more and not self._buffer and self._spooled is None

    async def _next_chunk(self) -> bytes:
        return self._take(await self._receive())

    def _take(self, message: Message) -> bytes:
        """The body bytes of a received message (none for a disconnect)."""
        if message["type"] == "http.disconnect":
            # SECURITY: a disconnect before the last body message means the body is
            # not whole (a server also sends it for a malformed chunked body); reading
            # its end is then a 400, never a shorter body taken as complete.
            self._truncated = self._more
            self._more = False
            self.disconnected = True
            return b""
        self._more = bool(message.get("more_body", False))
        return bytes(message.get("body", b""))

    async def prefetch(self, limit: int | None, message: Message | None = None) -> None:
        """Read the whole body now (up to ``limit + 1`` bytes: more is a 413 later).

        :param message: the first message, if it was received already.
        """
        if message is None:
            # PERF: the first message is received here, without _next_chunk's coroutine.
            message = await self._receive()
        first = self._take(message)
        if not self._more and len(first) <= SPOOL_MAX_SIZE:
            # PERF: a body that came in one message (the usual small one) stays in memory.
            self._spooled = io.BytesIO(first)
            return
        spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_SIZE)  # noqa: SIM115
        spooled.write(first)
        total = len(first)
        while self._more and (limit is None or total <= limit):
            chunk = await self._next_chunk()
            spooled.write(chunk)
            total += len(chunk)
        spooled.seek(0)
        self._spooled = spooled  # type: ignore[assignment]
        self._prefetched = total

    @property
    def on_disk(self) -> bool:
        """True when the prefetched body was large enough to spool to a file: reading
        or closing it is file I/O, to keep off the event loop."""
        return self._prefetched > SPOOL_MAX_SIZE

    @property
    def holds_file(self) -> bool:
        """True when the prefetched body is kept in a temporary file (in memory
        while it is small): :meth:`close` must then be called."""
        spooled = self._spooled
        return spooled is not None and spooled.__class__ is not io.BytesIO

    def rewind(self) -> None:
        """Read a prefetched body from its start again."""
        if self._spooled is not None:
            self._spooled.seek(0)

    async def wait_disconnect(self) -> None:
        """Wait until the client goes away (draining any body nobody read)."""
        if self.disconnected:
            return
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                return

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left if negative)."""
        spooled = self._spooled
        if spooled is not None:
            data = spooled.read(size)
            if self._truncated and (size < 0 or not data):
                _raise_truncated()
            return data
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread:
            raise RuntimeError(
                "The request body was not read before the app ran on the event loop;"
                " read it from the view, not from a sync hook or error handler."
            )
        buffer = self._buffer
        while self._more and (size < 0 or len(buffer) < size):
            buffer += asyncio.run_coroutine_threadsafe(self._next_chunk(), loop).result()
        if self._truncated and (size < 0 or not buffer):
            _raise_truncated()
        if size < 0 or size >= len(buffer):
            data = bytes(buffer)
            buffer.clear()
        else:
            data = bytes(buffer[:size])
            del buffer[:size]
        return data

    def readline(self, size: int = -1) -> bytes:
        """Read one line (used by some multipart readers)."""
        line = bytearray()
        while size < 0 or len(line) < size:
            char = self.read(1)
            if not char:
                break
            line += char
            if char == b"\n":
                break
        return bytes(line)

    def close(self) -> None:
        """Drop a prefetched body."""
        if self._spooled is not None:
            self._spooled.close()


class ASGIRequest(Request):
    """A request read from an ASGI HTTP scope, with ``Request``'s whole API.

    PERF: building a WSGI environ for every ASGI request cost more than the rest
    of routing a request; here the scope is read directly, and ``environ`` is
    built from it on first use only (``request.headers``, ``request.host``, ...).
    """

    __slots__ = ("_body", "_lazy_environ", "_raw_headers", "_receive", "scope")

    def __init__(
        self, scope: Scope, receive: Receive, options: RequestOptions | None = None
    ) -> None:
        self.scope = scope
        self._receive = receive
        # PERF: the body stream is made when something reads the body (most
        # requests have none).
        self._body: ReceiveStream | BinaryIO | None = None
        self._lazy_environ: dict[str, Any] | None = None
        # Every request is asked whether it has a body, so its header pairs are
        # indexed by name at once.
        pairs = scope.get("headers", ())
        # PERF: the usual list of names each given once is one dict() call, inline.
        raw = dict(pairs) if pairs.__class__ is list else None
        if raw is None or len(raw) != len(pairs):
            raw = _header_dict(pairs)
        self._raw_headers = raw
        self.options = options if options is not None else DEFAULT_OPTIONS
        method: str = scope["method"]
        try:
            # PERF: the usual methods, already upper-case, need no upper() call.
            self.method = UPPER_METHODS[method]
        except KeyError:
            self.method = method.upper()
        path: str = scope["path"]
        root_path = scope.get("root_path")
        if root_path and path.startswith(root_path):
            # ASGI servers put the mount point in both root_path and path.
            path = path[len(root_path) :]
        self.path = "/" + path.lstrip("/")
        self.url_rule = self.view_args = self.routing_exception = None
        self._args = self._form = self._files = self._cookies = self._headers = None
        self._data = self._json = self._stream = self._parsed = None
        self._max_content_length = self._max_form_memory_size = self._max_form_parts = None
        self._content_length = False

    @property
    def environ(self) -> dict[str, Any]:
        """The WSGI-style environ of the scope (built on first use)."""
        environ = self._lazy_environ
        if environ is None:
            environ = self._lazy_environ = scope_to_environ(self.scope, self._input())
        return environ

    @environ.setter
    def environ(self, value: dict[str, Any]) -> None:
        self._lazy_environ = value

    def _header(self, name: bytes) -> str | None:
        """The value of a request header (lower-case ``name``), repeats joined."""
        headers = self._raw_headers
        value = headers.get(name)
        return None if value is None else value.decode("latin-1")

    def _header_value(self, environ_key: str, raw_name: bytes) -> str | None:
        # From the scope: reading one header builds no environ.
        return self._header(raw_name)

    @property
    def query_string(self) -> bytes:
        """The raw query string."""
        return bytes(self.scope.get("query_string", b""))

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header."""
        return self._header(b"content-type") or None

    @property
    def content_length(self) -> int | None:
        """The ``Content-Length`` header as an int (see :attr:`Request.content_length`)."""
        length = self._content_length
        if length is False:
            headers = self._raw_headers
            value = headers.get(b"content-length")
            if value is not None and value.isdigit() and b"transfer-encoding" not in headers:
                # PERF: the usual plain number is read without more calls.
                length = int(value)
            else:
                length = parse_content_length(
                    self._header(b"content-length"), self._header(b"transfer-encoding")
                )
            self._content_length = length
        return length

    def _announces_body(self) -> bool:
        headers = self._raw_headers
        # PERF: a request with neither header (a GET) is settled without more calls.
        if b"content-length" not in headers and b"transfer-encoding" not in headers:
            return self.scope.get("http_version") in _STREAMS_TO_END
        length = self.content_length
        return length > 0 if length is not None else self._is_chunked()

    def _is_chunked(self) -> bool:
        """True if the body runs until the client ends it: chunked, or HTTP/2 or 3
        without a ``Content-Length`` (they frame bodies themselves)."""
        encoding = self._header(b"transfer-encoding")
        if encoding is not None:
            return is_chunked(encoding)
        return (
            self.scope.get("http_version") in _STREAMS_TO_END
            and self._header(b"content-length") is None
        )

    def _cookie_header(self) -> str | None:
        return self._header(b"cookie")

    def _host_header(self) -> str | None:
        return self._header(b"host")

    @property
    def scheme(self) -> str:
        """``http`` or ``https`` (the scope's ``scheme``)."""
        return self.scope.get("scheme", "http")  # type: ignore[no-any-return]

    async def _prefetch(self) -> ReceiveStream | None:
        """Read the announced body now, for a view on the event loop; the stream over
        ``receive`` it took, or None for a body that came whole in one message.

        PERF: that usual body (a form) is then read from memory, with no stream over
        ``receive`` made for it.
        """
        message = await self._receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            data = message.get("body", b"")
            if len(data) <= SPOOL_MAX_SIZE:
                self._body = io.BytesIO(data)
                return None
        stream = ReceiveStream(self._receive)
        # Read up to MAX_CONTENT_LENGTH (and a byte more, to tell a larger body).
        await stream.prefetch(self.max_content_length, message)
        self._body = stream
        return stream

    def _input(self) -> BinaryIO:
        """The body stream: a :class:`ReceiveStream` over ``receive`` (made on first use)."""
        body = self._body
        if body is None:
            body = self._body = ReceiveStream(self._receive)
        return body  # type: ignore[return-value]

    def _input_terminated(self) -> bool:
        # A body of unknown length is read until its last message; an HTTP/1.1
        # request with neither Content-Length nor Transfer-Encoding has no body
        # (RFC 9112, section 6.3).
        return self._is_chunked()


def _header_dict(pairs: Any) -> dict[bytes, bytes]:
    """The scope's header pairs by name; repeated headers joined as a WSGI server
    joins them (``, ``; ``; `` for cookies)."""
    if type(pairs) is not list:
        pairs = list(pairs)
    # PERF: the usual headers, each name once, are one dict() call.
    headers = dict(pairs)
    if len(headers) != len(pairs):
        headers = {}
        for name, value in pairs:
            if name in headers:
                separator = b"; " if name == b"cookie" else b", "
                headers[name] = headers[name] + separator + value
            else:
                headers[name] = value
    return headers


# PERF: header names repeat across requests: each raw name is mapped to its
# environ key once (bounded: the names come from clients).
_ENVIRON_KEYS: dict[bytes, str] = {}
_ENVIRON_KEYS_MAX = 512
_PROTOCOLS = {"1.1": "HTTP/1.1", "1.0": "HTTP/1.0", "2": "HTTP/2", "3": "HTTP/3"}
_SERVERS: dict[Any, tuple[str, str]] = {}
_SERVERS_MAX = 64


def _environ_key(raw_name: bytes) -> str:
    """The environ key of a header name not in :data:`_ENVIRON_KEYS` yet (kept there)."""
    key = raw_name.decode("latin-1").upper().replace("-", "_")
    if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        key = f"HTTP_{key}"
    return remember(_ENVIRON_KEYS, raw_name, key, _ENVIRON_KEYS_MAX)


def _server_strings(server: Any) -> tuple[str, str]:
    """``SERVER_NAME`` and ``SERVER_PORT`` for a scope's ``server`` (cached)."""
    host, port = server or ("localhost", 80)
    strings = (str(host), str(port) if port is not None else "")
    if type(server) is list:
        server = tuple(server)
    remember(_SERVERS, server, strings, _SERVERS_MAX)
    return strings


def _latin1_path(path: str) -> str:
    """A decoded ASGI path as WSGI carries it: its UTF-8 bytes as latin-1 text."""
    return path if path.isascii() else path.encode().decode("latin-1")


def scope_to_environ(scope: Scope, body: ReceiveStream | BinaryIO) -> dict[str, Any]:
    """A WSGI-style environ for an ASGI HTTP scope, ``body`` as its ``wsgi.input``."""
    root_path: str = scope.get("root_path", "")
    path: str = scope["path"]
    if root_path:
        # ASGI servers put the mount point in both root_path and path; WSGI's
        # PATH_INFO is the part below SCRIPT_NAME.
        if path.startswith(root_path):
            path = path[len(root_path) :]
        root_path = _latin1_path(root_path)
    server = scope.get("server")
    strings = _SERVERS.get(server) if server.__class__ is not list else None
    server_name, server_port = strings or _server_strings(server)
    version = scope.get("http_version", "1.1")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root_path,
        "PATH_INFO": path if path.isascii() else _latin1_path(path),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": _PROTOCOLS.get(version) or f"HTTP/{version}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "asgi.scope": scope,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"] = client[0]
        environ["REMOTE_PORT"] = str(client[1])
    keys = _ENVIRON_KEYS
    for raw_name, raw_value in scope.get("headers", ()):
        name = keys.get(raw_name) or _environ_key(raw_name)
        value = raw_value.decode("latin-1")
        if name in environ:
            # Repeated headers join as one, as a WSGI server passes them.
            separator = "; " if name == "HTTP_COOKIE" else ", "
            environ[name] = f"{environ[name]}{separator}{value}"
        else:
            environ[name] = value
    return environ

"""The ASGI 3 interface: ``app.asgi`` for uvicorn, hypercorn, Granian's ASGI mode.

The edges only: the scope becomes a WSGI-style environ, so the request, the
routing and the pipeline (:mod:`carafe.dispatch`) are the ones WSGI uses.
Where a request runs depends on its view:

- an ``async def`` view runs natively on the event loop; its body is read from
  ``receive`` first (bounded by ``MAX_CONTENT_LENGTH``), because Flask's
  ``request.form``/``request.json`` are synchronous. Sync hooks of such a
  request run on the loop too, so keep them quick or make them ``async``.
- a plain view runs, with its hooks, in a bounded thread pool so it never
  blocks the loop; a small body (:data:`PREFETCH_SMALL`) is read before, a
  larger or chunked one lazily from ``receive`` as it is asked for, and
  ``async def`` hooks of that request still run on the event loop.

Responses are sent as produced; a streamed body stops when the client goes
away (the generator is closed, so its ``finally`` runs).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import io
import os
import sys
import tempfile
import threading
import time
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterator,
    MutableMapping,
)
from functools import partial
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, cast

from carafe import dispatch
from carafe.ctx import RequestContext
from carafe.http.status import BODYLESS_CODES
from carafe.runner import is_async_body

if TYPE_CHECKING:
    from carafe.app import Flask
    from carafe.request import Request
    from carafe.response import Response

T = TypeVar("T")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Bodies prefetched for async views stay in memory up to this size, then spool to disk.
SPOOL_MAX_SIZE = 1024 * 1024
_SPOOLED = tempfile.SpooledTemporaryFile

#: A sync view's body up to this size is read on the loop before the view runs;
#: a larger one (or a chunked one) is read from the pool thread as the view asks.
PREFETCH_SMALL = 64 * 1024


def default_max_threads() -> int:
    """The thread pool's default size: ``CARAFE_THREADS``, else 2 x CPUs + 1 (at least 4)."""
    configured = os.environ.get("CARAFE_THREADS")
    if configured and configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(4, 2 * (os.cpu_count() or 1) + 1)


class ASGIApp:
    """The ASGI application of a Carafe app; get it as ``app.asgi``.

    :param max_threads: the size of the pool that runs plain (sync) views.
    """

    def __init__(self, app: Flask, max_threads: int | None = None) -> None:
        self.app = app
        self.max_threads = max_threads or default_max_threads()
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None

    @property
    def executor(self) -> concurrent.futures.ThreadPoolExecutor:
        """The bounded pool sync views run in (created on first use)."""
        executor = self._executor
        if executor is None:
            executor = self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=self.max_threads, thread_name_prefix="carafe-sync"
            )
        return executor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # PERF: HTTP is served right here, without a coroutine of its own.
        if scope["type"] != "http":
            await self._other(scope, receive, send)
            return
        app = self.app
        if not app._got_first_request:
            app._finalize()
        body = ReceiveStream(receive, None)
        environ = scope_to_environ(scope, body)
        request = app.request_class(environ, app)
        app.match_request(request)
        ctx = RequestContext(app, request)
        rule = request.url_rule
        if rule is None or rule.endpoint in app._async_endpoints:
            # On the loop: an async view, or a routing error for the error handlers.
            ctx.run_coroutine = None
            if body.expects_body(request):
                await body.prefetch(request.max_content_length)
            response = await dispatch.handle(app, ctx)
        else:
            loop = body._loop = asyncio.get_running_loop()
            if body.is_small(request):
                # PERF: a small body is read here on the loop; read from the pool
                # thread it would cost a second trip between the threads.
                await body.prefetch(request.max_content_length)
            ctx.run_coroutine = partial(run_on_loop, loop)
            response = await loop.run_in_executor(self.executor, _handle_in_thread, app, ctx)
        preserved = environ.get("carafe.preserved_context")
        if preserved is not None:
            # The test client reads the kept request (and its body) afterwards.
            scope["carafe.preserved_context"] = preserved
            await self._send_response(response, request, receive, send, body)
            return
        chunks = response.response
        code = response._status_code
        if (
            type(chunks) is list
            and len(chunks) == 1
            and type(chunks[0]) is bytes
            and not response._on_close
            and code not in BODYLESS_CODES
            and request.method != "HEAD"
            and type(body._spooled) is not _SPOOLED  # type: ignore[comparison-overlap]
        ):
            # PERF: the usual answer, one bytes body with nothing to close, is sent
            # right here: two messages, no coroutine of its own.
            headers = _asgi_headers(response)
            await send({"type": "http.response.start", "status": code, "headers": headers})
            await send({"type": "http.response.body", "body": chunks[0], "more_body": False})
            return
        try:
            await self._send_response(response, request, receive, send, body)
        finally:
            body.close()

    async def _other(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            # Not supported: refuse the handshake (the server answers 403).
            await send({"type": "websocket.close", "code": 1000})
        else:
            raise ValueError(f"Unsupported ASGI scope type {kind!r}.")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._executor is not None:
                    self._executor.shutdown(wait=True)
                    self._executor = None
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _send_response(
        self,
        response: Response,
        request: Request,
        receive: Receive,
        send: Send,
        body: ReceiveStream,
    ) -> None:
        headers = _asgi_headers(response)
        code = response._status_code
        await send({"type": "http.response.start", "status": code, "headers": headers})
        if request.method == "HEAD" or code in BODYLESS_CODES:
            response.close()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        chunks = response.response
        if isinstance(chunks, (list, tuple)):
            # PERF: a body of known size goes out in one message.
            try:
                data = b"".join(response.iter_encoded())
            finally:
                response.close()
            await send({"type": "http.response.body", "body": data, "more_body": False})
            return
        if is_async_body(chunks):
            await _stream_async(response, send, body)
        else:
            await self._stream(response, receive, send, body)

    async def _stream(
        self, response: Response, receive: Receive, send: Send, body: ReceiveStream
    ) -> None:
        """Send a streamed body chunk by chunk, stopping if the client disconnects."""
        disconnected = asyncio.ensure_future(body.wait_disconnect())
        loop = asyncio.get_running_loop()
        try:
            iterator = response.iter_encoded()
            finished = False
            while not (finished or disconnected.done()):
                # A sync generator may block: its steps run in the pool, a few per hop.
                chunks, finished = await loop.run_in_executor(
                    self.executor, _next_chunks, iterator
                )
                for chunk in chunks:
                    if disconnected.done():
                        break
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if not disconnected.done():
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            disconnected.cancel()
            # Closing runs the generator's ``finally`` and the call_on_close functions.
            await loop.run_in_executor(self.executor, response.close)


async def _stream_async(response: Response, send: Send, body: ReceiveStream) -> None:
    """Send an async iterable body (an async generator) from the event loop.

    It is pumped in a task of its own, so a generator waiting for its next
    chunk (server-sent events) is cancelled as soon as the client goes away.
    """
    iterator = cast("AsyncIterable[bytes | str]", response.response).__aiter__()
    pump = asyncio.ensure_future(_pump(iterator, send))
    disconnected = asyncio.ensure_future(body.wait_disconnect())
    try:
        await asyncio.wait((pump, disconnected), return_when=asyncio.FIRST_COMPLETED)
        if pump.done():
            pump.result()  # the generator's own error, if it raised one
    finally:
        disconnected.cancel()
        if not pump.done():
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
        # The call_on_close functions (the body itself has no sync close).
        response.close()


async def _pump(iterator: AsyncIterator[bytes | str], send: Send) -> None:
    async for chunk in iterator:
        data = chunk.encode() if isinstance(chunk, str) else chunk
        if data:
            await send({"type": "http.response.body", "body": data, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


# PERF: most response headers repeat exactly (Content-Type, a few Content-Length
# values, fixed CORS headers): each such pair is encoded once. Bounded, and
# Set-Cookie values are never kept.
_ASGI_PAIRS: dict[tuple[str, str], tuple[bytes, bytes]] = {}


def _asgi_headers(response: Response) -> list[tuple[bytes, bytes]]:
    """The response's headers as ASGI sends them (see :func:`_asgi_pair`)."""
    pairs = _ASGI_PAIRS
    return [pairs.get(pair) or _asgi_pair(pair) for pair in response.wsgi_headers()]


def _asgi_pair(pair: tuple[str, str]) -> tuple[bytes, bytes]:
    """A header as ASGI sends it: lower-case latin-1 name, latin-1 value."""
    name, value = pair
    encoded = (name.lower().encode("latin-1"), value.encode("latin-1"))
    if len(_ASGI_PAIRS) < 1024 and encoded[0] != b"set-cookie":
        _ASGI_PAIRS[pair] = encoded
    return encoded


def _handle_in_thread(app: Flask, ctx: RequestContext) -> Response:
    """Run a whole request in a pool thread; its own context, reset when done."""
    try:
        return dispatch.handle_sync(app, ctx)
    finally:
        if ctx.request.environ.get("carafe.preserve_context") and ctx._tokens:
            # The test client re-pushes a kept context in its own thread; this
            # thread must not keep it.
            ctx._reset()


#: A streamed body's chunks taken per trip to the pool: at most this many chunks,
#: bytes or seconds, so a fast generator crosses threads rarely, a slow one is not
#: held back, and one whose client left runs at most a batch ahead.
STREAM_BATCH_CHUNKS = 8
STREAM_BATCH_BYTES = 1024 * 1024
STREAM_BATCH_SECONDS = 0.002


def _next_chunks(iterator: Iterator[bytes]) -> tuple[list[bytes], bool]:
    """The next chunks of a body (at least one unless it ended) and whether it ended."""
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + STREAM_BATCH_SECONDS
    for chunk in iterator:
        if chunk:
            chunks.append(chunk)
            size += len(chunk)
        if (
            len(chunks) >= STREAM_BATCH_CHUNKS
            or size >= STREAM_BATCH_BYTES
            or time.monotonic() >= deadline
        ):
            return chunks, False
    return chunks, True


def run_on_loop(loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on ``loop`` from a pool thread and wait for its result.

    It runs in a copy of the calling thread's context, so an ``async def`` hook
    of a request handled in the pool sees ``request``, ``g`` and ``current_app``.
    """
    context = contextvars.copy_context()
    done: concurrent.futures.Future[T] = concurrent.futures.Future()

    def start() -> None:
        task = context.run(loop.create_task, coroutine)

        def transfer(finished: asyncio.Task[T]) -> None:
            if finished.cancelled():
                done.cancel()
            elif finished.exception() is not None:
                done.set_exception(finished.exception())
            else:
                done.set_result(finished.result())

        task.add_done_callback(transfer)

    loop.call_soon_threadsafe(start)
    return done.result()


# ---------------------------------------------------------------------------
# The request body


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
        "_receive",
        "_spooled",
        "disconnected",
    )

    def __init__(self, receive: Receive, loop: asyncio.AbstractEventLoop | None) -> None:
        self._receive = receive
        #: The event loop ``read`` waits on from a pool thread (set for requests
        #: handled in the pool).
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._buffer = bytearray()
        self._more = True
        self._spooled: BinaryIO | None = None
        self.disconnected = False

    @property
    def untouched(self) -> bool:
        """True while nothing of the body has been received."""
        return self._more and not self._buffer and self._spooled is None

    @staticmethod
    def expects_body(request: Request) -> bool:
        """True if the request announces a body (a length above 0, or chunked)."""
        environ = request.environ
        length = environ.get("CONTENT_LENGTH")
        if length is not None:
            return length not in ("", "0")
        return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()

    @staticmethod
    def is_small(request: Request) -> bool:
        """True if the request announces a body of at most :data:`PREFETCH_SMALL` bytes."""
        length = request.environ.get("CONTENT_LENGTH")
        return (
            length is not None
            and length not in ("", "0")
            and length.isdigit()
            and int(length) <= PREFETCH_SMALL
        )

    async def _next_chunk(self) -> bytes:
        message = await self._receive()
        if message["type"] == "http.disconnect":
            self._more = False
            self.disconnected = True
            return b""
        self._more = bool(message.get("more_body", False))
        return bytes(message.get("body", b""))

    async def prefetch(self, limit: int | None) -> None:
        """Read the whole body now (up to ``limit + 1`` bytes: more is a 413 later)."""
        first = await self._next_chunk()
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
        if self._spooled is not None:
            return self._spooled.read(size)
        loop = self._loop
        if loop is None or threading.get_ident() == self._loop_thread:
            raise RuntimeError(
                "The request body was not read before the app ran on the event loop;"
                " read it from the view, not from a sync hook or error handler."
            )
        buffer = self._buffer
        while self._more and (size < 0 or len(buffer) < size):
            buffer += asyncio.run_coroutine_threadsafe(self._next_chunk(), loop).result()
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


# PERF: header names repeat across requests: each raw name is mapped to its
# environ key once (bounded: the names come from clients).
_ENVIRON_KEYS: dict[bytes, str] = {}
_ENVIRON_KEYS_MAX = 512
_PROTOCOLS = {"1.1": "HTTP/1.1", "1.0": "HTTP/1.0", "2": "HTTP/2", "3": "HTTP/3"}
_SERVERS: dict[Any, tuple[str, str]] = {}


def _environ_key(raw_name: bytes) -> str:
    """The environ key of a header name not in :data:`_ENVIRON_KEYS` yet (kept there)."""
    key = raw_name.decode("latin-1").upper().replace("-", "_")
    if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        key = f"HTTP_{key}"
    if len(_ENVIRON_KEYS) < _ENVIRON_KEYS_MAX:
        _ENVIRON_KEYS[raw_name] = key
    return key


def _server_strings(server: Any) -> tuple[str, str]:
    """``SERVER_NAME`` and ``SERVER_PORT`` for a scope's ``server`` (cached)."""
    host, port = server or ("localhost", 80)
    strings = (str(host), str(port) if port is not None else "")
    if type(server) is list:
        server = tuple(server)
    if len(_SERVERS) < 64:
        _SERVERS[server] = strings
    return strings


def _latin1_path(path: str) -> str:
    """A decoded ASGI path as WSGI carries it: its UTF-8 bytes as latin-1 text."""
    return path if path.isascii() else path.encode().decode("latin-1")


def scope_to_environ(scope: Scope, body: ReceiveStream) -> dict[str, Any]:
    """A WSGI-style environ for an ASGI HTTP scope; the request reads only this."""
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
    # PERF: one dict display, inline lookups; this runs for every ASGI request.
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
    if "carafe.preserve_context" in scope:
        environ["carafe.preserve_context"] = scope["carafe.preserve_context"]
    return environ

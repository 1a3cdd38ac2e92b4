"""The ASGI 3 interface: ``app.asgi`` for uvicorn, hypercorn, Granian's ASGI mode.

The edges only: the request is read from the scope
(:class:`~carafe.asgi_request.ASGIRequest`), and the routing and the pipeline
(:mod:`carafe.pipeline`) are the ones WSGI uses. Where a request runs depends
on its view:

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
import contextvars
import os
import threading
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Coroutine,
    Iterator,
)
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

from carafe import _pipeline_sync as pipeline_sync
from carafe import pipeline
from carafe.asgi_request import SPOOL_MAX_SIZE, ASGIRequest, ReceiveStream, scope_to_environ
from carafe.ctx import RequestContext
from carafe.exceptions import HTTPException
from carafe.http._compiled import speedups
from carafe.http.caches import remember
from carafe.http.files import FileBody
from carafe.http.status import BODYLESS_CODES
from carafe.request import FORM_MIMETYPES, Request
from carafe.routing import route_request
from carafe.runner import is_async_body
from carafe.typing import ASGIMessage, ASGIReceive, ASGIScope, ASGISend

if TYPE_CHECKING:
    from carafe.app import Flask
    from carafe.plan import Plan
    from carafe.response import Response

__all__ = ["PREFETCH_SMALL", "SPOOL_MAX_SIZE", "ASGIApp", "ReceiveStream", "default_max_threads"]

T = TypeVar("T")
Scope = ASGIScope
Message = ASGIMessage
Receive = ASGIReceive
Send = ASGISend


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
        plan = app.plan
        if plan is None or not app._got_first_request:
            plan = app._finalize()
        request_class = app.request_class
        if request_class is Request:
            asgi_request = ASGIRequest(scope, receive, app.request_options)
            request: Request = asgi_request
            host_header: str | bytes | None = asgi_request._raw_headers.get(b"host")
        else:
            # A custom request class gets the WSGI environ it was written for.
            request = request_class(
                scope_to_environ(scope, ReceiveStream(receive)), app.request_options
            )
            host_header = request.environ.get("HTTP_HOST")
        route_request(app.url_map, request, host_header)
        ctx = RequestContext(app, request)
        if "carafe.preserve_context" in scope:
            ctx._preserve_in = scope
        rule = request.url_rule
        # The body stream, once something needed it: a prefetched body may be a
        # temporary file to close.
        body: ReceiveStream | None = None
        work: contextvars.Context | None = None
        if rule.endpoint in plan.async_endpoints if rule is not None else not plan.custom_steps:
            # On the loop: an async view, or a routing error for the error handlers.
            ctx.run_coroutine = None
            if request._announces_body():
                if type(request) is ASGIRequest:
                    body = await request._prefetch()
                else:
                    body = _body_stream(request)
                    await body.prefetch(request.max_content_length)
                if body is not None and body.on_disk and request.mimetype in FORM_MIMETYPES:
                    # A large form (an upload) is parsed in the pool: its file parts
                    # are written to temporary files, which would block the loop.
                    await self._in_pool(_parse_form, request, body)
            response = await pipeline.handle(plan, ctx)
        else:
            loop = asyncio.get_running_loop()
            body = _body_stream(request)
            body.read_from(loop)
            length = request.content_length
            if length is not None and 0 < length <= PREFETCH_SMALL:
                # PERF: a small body is read here on the loop; read from the pool
                # thread it would cost a second trip between the threads.
                await body.prefetch(request.max_content_length)
            ctx.run_coroutine = partial(run_on_loop, loop)
            # The request's work in the pool (the view, then the steps of a streamed
            # body) runs in one contextvars Context, whichever thread takes each: a
            # context the view pushes for its stream (stream_with_context) is popped
            # in the Context it was pushed in.
            work = contextvars.Context()
            response = await self._in_pool(work.run, _handle_in_thread, plan, ctx)
        try:
            await self._send_response(response, request, receive, send, body, work)
        finally:
            # A kept request's body stays open: the test client reads it afterwards.
            if body is not None and body.holds_file and "carafe.preserved_context" not in scope:
                if body.on_disk:
                    # Removing a large temporary file takes long enough to keep off
                    # the loop.
                    await self._in_pool(body.close)
                else:
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
        body: ReceiveStream | None,
        work: contextvars.Context | None,
    ) -> None:
        """Send ``response``: the two messages of a body known whole, or a stream that
        stops when the client leaves (``body``: the request's body stream, if any;
        ``work``: the Context its view ran in, in the pool)."""
        headers = _asgi_headers(response)
        code = response._status_code
        await send({"type": "http.response.start", "status": code, "headers": headers})
        if request.method == "HEAD" or code in BODYLESS_CODES:
            if work is None:
                response.close()
            else:
                work.run(response.close)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        chunks = response.response
        if (
            type(chunks) is list
            and len(chunks) == 1
            and type(chunks[0]) is bytes
            and not response._on_close
        ):
            # PERF: the usual body, one bytes chunk with nothing to close, as it is.
            await send({"type": "http.response.body", "body": chunks[0], "more_body": False})
            return
        if isinstance(chunks, (list, tuple)):
            # A body of known size goes out in one message.
            try:
                data = b"".join(response.iter_encoded())
            finally:
                response.close()
            await send({"type": "http.response.body", "body": data, "more_body": False})
            return
        if chunks.__class__ is FileBody and not response._on_close:
            file_body = chunks
            if file_body.path is not None and file_body.whole and _sends_files(request):
                # PERF: the server sends the file itself, without it crossing Python.
                file_body.close()
                await send({"type": "http.response.pathsend", "path": file_body.path})
                return
        watched = _watch(request, body, receive)
        if is_async_body(chunks):
            await _stream_async(response, send, watched)
        else:
            await self._stream(response, receive, send, watched, work)

    async def _in_pool(self, func: Callable[..., T], *args: Any) -> T:
        """``func(*args)`` in the thread pool, awaited; what it raises is raised here
        with its traceback whole.

        (Its outcome comes back as a value: in a compiled build, mypyc 2.4's ``await``
        of a future that failed drops the frames of the thread, the view's included,
        from the traceback that logs and the debug page show.)
        """
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(self.executor, _outcome, func, args)
        if outcome.__class__ is _Raised:
            raise outcome.error
        return cast(T, outcome)

    async def _stream(
        self,
        response: Response,
        receive: Receive,
        send: Send,
        body: ReceiveStream,
        work: contextvars.Context | None,
    ) -> None:
        """Send a sync streamed body, each chunk as soon as it is made, stopping if the
        client disconnects (its steps run in ``work``, the Context of its view, if
        given).

        The generator runs in one pool thread for the whole stream (it may block, as a
        server-sent events one does between events) and hands each chunk to the loop
        at once, at most :data:`STREAM_AHEAD` chunks ahead of what was sent.
        """
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[Any] = asyncio.Queue()
        stop = threading.Event()
        room = threading.Semaphore(STREAM_AHEAD)
        disconnected = asyncio.ensure_future(body.wait_disconnect())
        # A client that leaves wakes the sender up at once, whatever the generator does.
        disconnected.add_done_callback(lambda _: chunks.put_nowait(_STOP))

        def push(item: Any) -> None:
            loop.call_soon_threadsafe(chunks.put_nowait, item)

        produce = partial(_produce, response.iter_encoded(), push, stop, room)
        producer = loop.run_in_executor(
            self.executor, produce if work is None else partial(work.run, produce)
        )
        try:
            while True:
                item = await chunks.get()
                if item is _STOP:
                    break
                if item is _END:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    break
                if item.__class__ is _Raised:
                    raise item.error
                await send({"type": "http.response.body", "body": item, "more_body": True})
                room.release()
        finally:
            stop.set()
            room.release()  # (a producer waiting for room sees the stop)
            disconnected.cancel()
            # (Waited for with asyncio.wait, which does not raise.)
            await asyncio.wait((producer,))
            # Closing runs the generator's ``finally`` and the call_on_close functions.
            if work is None:
                await self._in_pool(response.close)
            else:
                await self._in_pool(work.run, response.close)


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
        await _stop_streaming(response, iterator, pump, disconnected)


async def _stop_streaming(
    response: Response,
    iterator: AsyncIterator[bytes | str],
    pump: asyncio.Future[None],
    disconnected: asyncio.Future[None],
) -> None:
    """Stop an async body's pump and close the body (its ``finally`` runs)."""
    disconnected.cancel()
    if not pump.done():
        pump.cancel()
        # Waited for with asyncio.wait, which does not raise: mypyc 2.4 lets the
        # CancelledError of ``await pump`` through an except clause meant for it.
        await asyncio.wait((pump,))
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


# PERF: response header names repeat (Content-Type, Content-Length, ...): each is
# lower-cased and encoded once. Bounded: views may make up names.
_ASGI_NAMES: dict[str, bytes] = {}
_ASGI_NAMES_MAX = 512


def _sends_files(request: Request) -> bool:
    """True when the ASGI server sends a file by its path (``http.response.pathsend``)."""
    scope = getattr(request, "scope", None)
    extensions = scope.get("extensions") if scope is not None else None
    return extensions is not None and "http.response.pathsend" in extensions


def _parse_form(request: Request, body: ReceiveStream) -> None:
    """Parse a prefetched form body now (in a pool thread); on a parsing error, leave
    it unparsed, so the view that reads it gets the same error."""
    try:
        request.form  # noqa: B018 - parses the body into form and files.
    except HTTPException:
        body.rewind()
        request._stream = None


def _body_stream(request: Request) -> ReceiveStream:
    """The request's body stream (made now if nothing asked for it yet)."""
    return request._input()  # type: ignore[return-value]


def _watch(request: Request, body: ReceiveStream | None, receive: Receive) -> ReceiveStream:
    """The stream to watch for the client's disconnect while a response streams: the
    body's, or a new one over ``receive`` when the body was read from memory."""
    if body is not None:
        return body
    stream = request._input()
    if isinstance(stream, ReceiveStream):
        return stream
    # The body came whole in one message: what receive says next is the disconnect.
    watcher = ReceiveStream(receive)
    watcher._more = False
    return watcher


def _asgi_headers(response: Response) -> list[tuple[bytes, bytes]]:
    """The response's headers as ASGI sends them: lower-case latin-1 names, latin-1 values."""
    names = _ASGI_NAMES
    if _compiled_headers is not None and response._status_code not in BODYLESS_CODES:
        # PERF: the one pass below, compiled (carafe/http/_speedups.c).
        encoded = _compiled_headers(response.headers._list, names)
        if encoded is not None:
            return encoded
        return _encode_headers(response.wsgi_headers())
    headers = []
    has_length = False
    # PERF: the usual response (a body with its length, no Location, not bodyless) is
    # encoded in one pass over its headers, without wsgi_headers() and its own pass.
    for name, value in response.headers._list:
        try:
            raw_name = names[name]
        except KeyError:
            break
        if raw_name == b"content-length":
            has_length = True
        elif raw_name == b"location":
            break
        headers.append((raw_name, value.encode("latin-1")))
    else:
        if has_length and response._status_code not in BODYLESS_CODES:
            return headers
    return _encode_headers(response.wsgi_headers())


_compiled_headers = speedups.encode_headers if speedups is not None else None


def _encode_headers(pairs: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """Header pairs encoded for ASGI: lower-case latin-1 names, latin-1 values."""
    names = _ASGI_NAMES
    headers = []
    # PERF: a plain loop; a comprehension costs a function call of its own on 3.11.
    for name, value in pairs:
        try:
            # PERF: a subscript, not names.get(): no call for a name seen before.
            raw_name = names[name]
        except KeyError:
            raw_name = remember(names, name, name.lower().encode("latin-1"), _ASGI_NAMES_MAX)
        headers.append((raw_name, value.encode("latin-1")))
    return headers


class _Raised:
    """What a call in the pool raised (see ``ASGIApp._in_pool``)."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _outcome(func: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """``func(*args)``, or what it raised as a :class:`_Raised`."""
    try:
        return func(*args)
    except BaseException as exc:
        return _Raised(exc)


def _handle_in_thread(plan: Plan, ctx: RequestContext) -> Response:
    """Run a whole request in a pool thread; its own context, reset when done."""
    try:
        return pipeline_sync.handle(plan, ctx)
    finally:
        if ctx._preserve_in is not None and ctx._tokens:
            # The test client re-pushes a kept context in its own thread; this
            # thread must not keep it.
            ctx._reset()


#: How many chunks of a sync streamed body may be made ahead of what was sent.
STREAM_AHEAD = 8
# What the producer of a streamed body hands the loop besides chunks: the end of the
# body; and what wakes the sender when the client leaves.
_END = object()
_STOP = object()


def _produce(
    iterator: Iterator[bytes],
    push: Callable[[Any], Any],
    stop: threading.Event,
    room: threading.Semaphore,
) -> None:
    """Run a sync body's generator in a pool thread, pushing each chunk to the loop
    as it comes (then :data:`_END`, or what the generator raised), until ``stop``."""
    try:
        for chunk in iterator:
            if chunk:
                room.acquire()
                if stop.is_set():
                    return
                push(chunk)
            elif stop.is_set():
                return
        push(_END)
    except Exception as error:
        push(_Raised(error))


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

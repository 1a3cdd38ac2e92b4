"""The ASGI interface itself: scope handling, where views run, bodies, streaming.

The whole app-level suite also runs over ASGI (see conftest.py); these tests
cover what only ASGI has, driving ``app.asgi`` with hand-made messages.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

from carafe import Flask, Request, g, request
from carafe.asgi import PREFETCH_SMALL, STREAM_AHEAD


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


class Exchange:
    """One HTTP exchange with an ASGI app: the messages it received and sent."""

    def __init__(
        self, body_chunks: list[bytes] | None = None, disconnect_after: int | None = None
    ):
        self.body_chunks = list(body_chunks or [b""])
        self.receive_calls = 0
        self.sent: list[dict[str, Any]] = []
        self.disconnect_after = disconnect_after
        self.gone = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        self.receive_calls += 1
        if self.body_chunks:
            chunk = self.body_chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(self.body_chunks)}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        bodies = [m for m in self.sent if m["type"] == "http.response.body"]
        if self.disconnect_after is not None and len(bodies) >= self.disconnect_after:
            self.gone.set()
        if message["type"] == "http.response.body" and not message.get("more_body"):
            self.gone.set()

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.sent[0]["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent[1:])


def http_scope(
    path: str = "/",
    method: str = "GET",
    headers: list[tuple[bytes, bytes]] | None = None,
    query: bytes = b"",
    root_path: str = "",
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": root_path + path,
        "raw_path": (root_path + path).encode(),
        "root_path": root_path,
        "query_string": query,
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("10.1.2.3", 5555),
        "server": ("testserver", 80),
    }


async def exchange(app: Flask, scope: dict[str, Any], ex: Exchange) -> Exchange:
    await app.asgi(scope, ex.receive, ex.send)
    return ex


def test_lifespan_startup_and_shutdown() -> None:
    app = Flask(__name__)
    sent: list[dict[str, Any]] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    run(app.asgi({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_websocket_is_refused() -> None:
    app = Flask(__name__)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    run(app.asgi({"type": "websocket", "path": "/", "headers": []}, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1000}]


def test_async_view_runs_on_the_event_loop_and_sync_view_in_the_pool() -> None:
    app = Flask(__name__)
    seen: dict[str, Any] = {}

    @app.route("/async")
    async def on_loop():
        seen["loop"] = asyncio.get_running_loop()
        seen["async_thread"] = threading.current_thread().name
        await asyncio.sleep(0)
        return "async"

    @app.route("/sync")
    def in_pool():
        seen["sync_thread"] = threading.current_thread().name
        return "sync"

    async def main() -> tuple[Exchange, Exchange, asyncio.AbstractEventLoop]:
        first = await exchange(app, http_scope("/async"), Exchange())
        second = await exchange(app, http_scope("/sync"), Exchange())
        return first, second, asyncio.get_running_loop()

    first, second, loop = run(main())
    assert (first.body, second.body) == (b"async", b"sync")
    assert seen["loop"] is loop
    assert seen["async_thread"] == threading.current_thread().name
    assert seen["sync_thread"].startswith("carafe-sync")


def test_scope_becomes_the_request() -> None:
    app = Flask(__name__)

    @app.route("/echo/<name>")
    def echo(name):
        return {
            "name": name,
            "path": request.path,
            "script_root": request.script_root,
            "args": request.args.to_dict(),
            "remote_addr": request.remote_addr,
            "host": request.host,
            "url": request.url,
            "cookie": request.cookies.get("a"),
            "accept": request.headers.getlist("Accept"),
        }

    scope = http_scope(
        "/echo/caf\u00e9",
        query=b"x=1&y=%C3%A9",
        root_path="/mount",
        headers=[
            (b"cookie", b"a=1"),
            (b"cookie", b"b=2"),
            (b"accept", b"text/html"),
            (b"accept", b"application/json"),
        ],
    )
    ex = run(exchange(app, scope, Exchange()))
    assert ex.status == 200
    data = json.loads(ex.body)
    assert data == {
        "name": "caf\u00e9",
        "path": "/echo/caf\u00e9",
        "script_root": "/mount",
        "args": {"x": "1", "y": "\u00e9"},
        "remote_addr": "10.1.2.3",
        "host": "testserver",
        "url": "http://testserver/mount/echo/caf\u00e9?x=1&y=\u00e9",
        "cookie": "1",
        "accept": ["text/html, application/json"],
    }


def test_request_reads_the_scope_and_builds_the_environ_on_first_use() -> None:
    app = Flask(__name__)
    seen: dict[str, Any] = {}

    @app.post("/form")
    async def form():
        seen["form"] = request.form.to_dict()
        seen["cookies"] = request.cookies.to_dict()
        seen["args"] = request.args.to_dict()
        seen["length"] = request.content_length
        seen["mimetype"] = request.mimetype
        seen["environ_built_early"] = request._get_current_object()._lazy_environ is not None
        environ = request.environ
        seen["environ"] = {key: environ[key] for key in ("REQUEST_METHOD", "PATH_INFO")}
        seen["scope"] = environ["asgi.scope"] is scope
        seen["input"] = environ["wsgi.input"] is request._get_current_object()._input()
        return "ok"

    scope = http_scope(
        "/form",
        "POST",
        query=b"q=1",
        headers=[
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"6"),
            (b"cookie", b"a=1"),
            (b"cookie", b"b=caf\xc3\xa9"),
        ],
    )
    ex = run(exchange(app, scope, Exchange([b"name=x"])))
    assert ex.status == 200
    assert seen == {
        "form": {"name": "x"},
        "cookies": {"a": "1", "b": "caf\u00e9"},
        "args": {"q": "1"},
        "length": 6,
        "mimetype": "application/x-www-form-urlencoded",
        "environ_built_early": False,
        "environ": {"REQUEST_METHOD": "POST", "PATH_INFO": "/form"},
        "scope": True,
        "input": True,
    }


def test_custom_request_class_gets_an_environ() -> None:
    class MyRequest(Request):
        __slots__ = ()

        @property
        def content_type(self) -> str | None:
            return "from-" + (self.environ.get("CONTENT_TYPE") or "none")

    app = Flask(__name__)
    app.request_class = MyRequest

    @app.route("/")
    def index():
        current = request._get_current_object()
        return {"class": type(current).__name__, "type": request.content_type}

    ex = run(exchange(app, http_scope(headers=[(b"content-type", b"text/x")]), Exchange()))
    assert json.loads(ex.body) == {"class": "MyRequest", "type": "from-text/x"}


@pytest.mark.parametrize(
    ("headers", "length"),
    [
        ([(b"content-length", b"5"), (b"content-length", b"6")], 0),
        ([(b"content-length", b"5"), (b"transfer-encoding", b"chunked")], None),
        ([(b"content-length", b"+5")], 0),
    ],
)
def test_conflicting_or_odd_content_length_reads_nothing(headers, length) -> None:
    # As on WSGI: repeated values are joined ("5, 6"), which is no number; a chunked
    # body has no length. Nothing is read past what the client announced.
    app = Flask(__name__)

    @app.post("/")
    async def index():
        return {"length": request.content_length, "data": request.get_data(as_text=True)}

    ex = run(exchange(app, http_scope("/", "POST", headers), Exchange([b"hello"])))
    data = json.loads(ex.body)
    assert data["length"] == length
    assert data["data"] == ("hello" if length is None else "")


@pytest.mark.parametrize("view_kind", ["async", "sync"])
def test_request_without_length_reads_as_empty_on_http11(view_kind) -> None:
    # RFC 9112: neither Content-Length nor Transfer-Encoding means no body. Asking for
    # it (get_data, get_json) is an empty answer, not an error.
    app = Flask(__name__)

    async def async_view():
        return {"data": request.get_data(as_text=True), "json": request.get_json(silent=True)}

    def sync_view():
        return {"data": request.get_data(as_text=True), "json": request.get_json(silent=True)}

    app.add_url_rule(
        "/", "view", async_view if view_kind == "async" else sync_view, methods=["GET", "POST"]
    )
    for method in ("GET", "POST"):
        ex = run(exchange(app, http_scope("/", method), Exchange([b"ignored"])))
        assert ex.status == 200
        assert json.loads(ex.body) == {"data": "", "json": None}


@pytest.mark.parametrize("view_kind", ["async", "sync"])
def test_http2_body_without_length_is_read_to_its_end(view_kind) -> None:
    # HTTP/2 frames the body itself: no Content-Length, no chunked coding, and the
    # body must still arrive whole.
    app = Flask(__name__)

    async def async_view():
        return {"data": request.get_data(as_text=True), "length": request.content_length}

    def sync_view():
        return {"data": request.get_data(as_text=True), "length": request.content_length}

    app.add_url_rule(
        "/", "view", async_view if view_kind == "async" else sync_view, methods=["POST"]
    )
    scope = http_scope("/", "POST", [(b"content-type", b"text/plain")])
    scope["http_version"] = "2"
    ex = run(exchange(app, scope, Exchange([b"hel", b"lo"])))
    assert ex.status == 200
    assert json.loads(ex.body) == {"data": "hello", "length": None}


class CutExchange(Exchange):
    """An exchange whose body never ends: its chunks, then ``http.disconnect`` (what
    a server sends for a client gone mid-body, or for a malformed chunked body)."""

    async def receive(self) -> dict[str, Any]:
        self.receive_calls += 1
        if self.body_chunks:
            return {"type": "http.request", "body": self.body_chunks.pop(0), "more_body": True}
        return {"type": "http.disconnect"}


@pytest.mark.parametrize("view_kind", ["async", "sync"])
@pytest.mark.parametrize("reader", ["data", "form", "json", "stream"])
@pytest.mark.parametrize(
    "chunks",
    [[], [b"a=1"], [b"a=1", b"&b=2"], [b"a" * (PREFETCH_SMALL + 10)], [b"a" * 1_100_000]],
    ids=["nothing", "one-chunk", "two-chunks", "past-prefetch", "past-spool"],
)
def test_body_cut_by_a_disconnect_is_400_not_a_shorter_body(view_kind, reader, chunks) -> None:
    # A chunked body whose last chunk never came is incomplete: reading it is a 400
    # (ClientDisconnected), never a 200 built from the part that arrived.
    app = Flask(__name__)
    # Only the cut is tested here: the big bodies would trip the form and JSON limits.
    app.config.update(MAX_FORM_MEMORY_SIZE=None, MAX_JSON_SIZE=None)
    seen: list[Any] = []

    def read() -> str:
        if reader == "data":
            seen.append(request.get_data())
        elif reader == "form":
            seen.append(request.form.to_dict())
        elif reader == "json":
            seen.append(request.get_json(force=True))
        else:
            seen.append(request.stream.read())
        return "read whole"

    async def async_view() -> str:
        return read()

    app.add_url_rule("/", "view", async_view if view_kind == "async" else read, methods=["POST"])
    content_type = b"application/x-www-form-urlencoded"
    headers = [(b"transfer-encoding", b"chunked"), (b"content-type", content_type)]
    ex = run(exchange(app, http_scope("/", "POST", headers), CutExchange(chunks)))
    assert ex.status == 400, ex.body
    assert seen == []


@pytest.mark.parametrize(
    ("version", "headers", "expected"),
    [("1.1", [], 400), ("1.1", [(b"host", b"")], 400), ("1.0", [], 200), ("2", [], 200)],
    ids=["http11-no-host", "http11-empty-host", "http10-no-host", "http2-no-host"],
)
def test_http11_request_without_host_is_400(version, headers, expected) -> None:
    app = Flask(__name__)

    @app.route("/")
    def index() -> str:
        return request.host

    scope = http_scope("/")
    scope["headers"] = headers
    scope["http_version"] = version
    ex = run(exchange(app, scope, Exchange()))
    assert ex.status == expected, ex.body
    if expected == 200:
        assert ex.body == b"testserver"


def test_large_form_for_an_async_view_is_parsed_off_the_event_loop(monkeypatch) -> None:
    # A form past SPOOL_MAX_SIZE (an upload) is parsed in the pool before the async
    # view runs: its file parts are written to temporary files, which would block the
    # loop. A smaller one is parsed where the view reads it. The threads are seen in
    # the multipart parser's class (a regular class: compiled callers reach a patch
    # of it, where they would not reach a patched function of carafe's).
    from carafe.http._multipart import PushParser

    parsed_in: list[int] = []
    parse = PushParser.parse

    def recording_parse(self: Any, chunk: bytes) -> Any:
        parsed_in.append(threading.get_ident())
        return parse(self, chunk)

    monkeypatch.setattr(PushParser, "parse", recording_parse)
    app = Flask(__name__)
    loop_threads: list[int] = []

    @app.post("/")
    async def upload() -> dict[str, Any]:
        loop_threads.append(threading.get_ident())
        return {"name": request.form["name"], "size": len(request.files["file"].read())}

    threads: list[set[int]] = []
    for size in (1000, 2 * 1024 * 1024):
        parsed_in.clear()
        body = (
            b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nupload\r\n'
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n'
            + b"x" * size
            + b"\r\n--b--\r\n"
        )
        headers = [
            (b"content-type", b"multipart/form-data; boundary=b"),
            (b"content-length", str(len(body)).encode()),
        ]
        chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
        ex = run(exchange(app, http_scope("/", "POST", headers), Exchange(chunks)))
        assert json.loads(ex.body) == {"name": "upload", "size": size}
        threads.append(set(parsed_in))
    small, large = threads
    assert small == {loop_threads[0]}
    assert large and loop_threads[1] not in large


def test_large_form_that_fails_to_parse_off_the_loop_fails_in_the_view() -> None:
    app = Flask(__name__)

    @app.post("/")
    async def upload() -> str:
        return str(len(request.form))

    body = b"--b\r\nnot a part header\r\n\r\n" + b"x" * (2 * 1024 * 1024)
    headers = [
        (b"content-type", b"multipart/form-data; boundary=b"),
        (b"content-length", str(len(body)).encode()),
    ]
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    ex = run(exchange(app, http_scope("/", "POST", headers), Exchange(chunks)))
    assert ex.status == 400


def test_client_disconnected_is_one_public_class() -> None:
    import importlib

    from carafe import exceptions

    request_module = importlib.import_module("carafe.request")
    assert request_module.ClientDisconnected is exceptions.ClientDisconnected
    assert issubclass(exceptions.ClientDisconnected, exceptions.BadRequest)


def test_sync_view_reads_the_body_lazily() -> None:
    app = Flask(__name__)

    @app.post("/ignore")
    def ignore():
        return "not read"

    @app.post("/read")
    def read():
        return request.get_data()

    big = PREFETCH_SMALL + 1
    chunks = [b"a" * (big - 3), b"def"]
    for headers in (
        [(b"content-length", str(big).encode()), (b"content-type", b"text/plain")],
        [(b"transfer-encoding", b"chunked"), (b"content-type", b"text/plain")],
    ):
        untouched = run(exchange(app, http_scope("/ignore", "POST", headers), Exchange(chunks)))
        assert untouched.body == b"not read"
        # Only the disconnect watch (if any) touched receive: the body was never asked for.
        assert untouched.body_chunks == chunks
        read_ex = run(exchange(app, http_scope("/read", "POST", headers), Exchange(chunks)))
        assert read_ex.body == b"".join(chunks)


def test_sync_view_small_body_is_read_before_the_view() -> None:
    app = Flask(__name__)
    seen: dict[str, Any] = {}

    @app.post("/form")
    def form():
        seen["thread"] = threading.get_ident()
        return request.form["name"] + request.get_data(as_text=True)

    headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", b"8"),
    ]
    ex = Exchange([b"name", b"=sam"])

    async def go() -> int:
        await exchange(app, http_scope("/form", "POST", headers), ex)
        return threading.get_ident()

    loop_thread = run(go())
    assert ex.body == b"sam"
    assert ex.body_chunks == []
    # The view itself still ran in the pool.
    assert seen["thread"] != loop_thread


def test_async_view_reads_form_and_json() -> None:
    app = Flask(__name__)

    @app.post("/form")
    async def form():
        return {"form": request.form.to_dict(), "name": request.form["name"]}

    @app.post("/json")
    async def json_view():
        return {"got": request.get_json()}

    form_headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", b"16"),
    ]
    ex = run(
        exchange(
            app, http_scope("/form", "POST", form_headers), Exchange([b"name=sam", b"&a=b%20c"])
        )
    )
    assert ex.status == 200
    assert b'"name":"sam"' in ex.body and b'"a":"b c"' in ex.body
    json_headers = [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]
    ex = run(
        exchange(app, http_scope("/json", "POST", json_headers), Exchange([b'{"a":', b" [1, 2]}"]))
    )
    assert ex.body == b'{"got":{"a":[1,2]}}\n'


def test_async_view_body_over_the_limit_is_413() -> None:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/")
    async def index():
        return request.get_data()

    chunked = [(b"transfer-encoding", b"chunked")]
    ex = run(
        exchange(app, http_scope("/", "POST", chunked), Exchange([b"x" * 8, b"y" * 8, b"z" * 8]))
    )
    assert ex.status == 413
    sized = [(b"content-length", b"24")]
    ex = run(exchange(app, http_scope("/", "POST", sized), Exchange([b"x" * 24])))
    assert ex.status == 413


def test_async_hook_of_a_sync_view_runs_on_the_loop_with_the_request() -> None:
    app = Flask(__name__)
    seen: dict[str, Any] = {}

    @app.before_request
    async def remember():
        seen["loop_thread"] = threading.current_thread().name
        g.user = request.args.get("user")

    @app.route("/")
    def index():
        seen["view_thread"] = threading.current_thread().name
        return f"hello {g.user}"

    ex = run(exchange(app, http_scope("/", query=b"user=ann"), Exchange()))
    assert ex.body == b"hello ann"
    assert seen["loop_thread"] == threading.current_thread().name
    assert seen["view_thread"].startswith("carafe-sync")


def test_streamed_response_is_sent_as_produced() -> None:
    app = Flask(__name__)

    @app.route("/")
    def index():
        def generate():
            yield "one,"
            yield b"two,"
            yield "three"

        return generate()

    ex = run(exchange(app, http_scope("/"), Exchange()))
    bodies = [m for m in ex.sent if m["type"] == "http.response.body"]
    assert [m["body"] for m in bodies] == [b"one,", b"two,", b"three", b""]
    assert [m["more_body"] for m in bodies] == [True, True, True, False]
    assert "content-length" not in ex.headers


def test_client_disconnect_stops_the_generator() -> None:
    app = Flask(__name__)
    events: list[str] = []

    @app.route("/")
    def index():
        def generate():
            try:
                for number in range(1000):
                    events.append(f"chunk {number}")
                    yield f"{number},"
            finally:
                events.append("closed")

        return generate()

    ex = run(exchange(app, http_scope("/"), Exchange(disconnect_after=3)))
    assert events[-1] == "closed"
    # The generator runs at most STREAM_AHEAD chunks ahead of what was sent.
    produced = len([e for e in events if e.startswith("chunk")])
    assert produced <= 3 + 2 * STREAM_AHEAD
    assert produced < 1000
    assert ex.status == 200


@pytest.mark.parametrize("chunks", [[b"name=sam"], [b"name=", b"sam"]])
def test_async_view_streaming_after_reading_its_body_stops_on_disconnect(chunks) -> None:
    # The body came in one message (read from memory) or in two (through the stream
    # over receive): either way the disconnect after it still stops the generator.
    app = Flask(__name__)
    events: list[str] = []

    @app.post("/")
    async def index():
        name = request.form["name"]

        async def generate():
            try:
                for number in range(1000):
                    events.append("chunk")
                    yield f"{name}{number},"
                    await asyncio.sleep(0)
            finally:
                events.append("closed")

        return generate()

    headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", b"8"),
    ]
    ex = run(exchange(app, http_scope("/", "POST", headers), Exchange(chunks, disconnect_after=3)))
    assert ex.status == 200
    assert ex.body.startswith(b"sam0,sam1,")
    assert events[-1] == "closed"
    assert events.count("chunk") < 1000


def test_async_generator_streams_on_the_loop() -> None:
    app = Flask(__name__)
    threads: list[int] = []

    @app.route("/")
    def index():
        async def generate():
            threads.append(threading.get_ident())
            yield "one,"
            await asyncio.sleep(0)
            yield b"two"

        return generate()

    async def go() -> tuple[Exchange, int]:
        ex = await exchange(app, http_scope("/"), Exchange())
        return ex, threading.get_ident()

    ex, loop_thread = run(go())
    bodies = [m for m in ex.sent if m["type"] == "http.response.body"]
    assert [m["body"] for m in bodies] == [b"one,", b"two", b""]
    assert [m["more_body"] for m in bodies] == [True, True, False]
    # A sync view's async generator still runs on the event loop, not in the pool.
    assert threads == [loop_thread]


def test_disconnect_cancels_an_async_generator_waiting_for_data() -> None:
    app = Flask(__name__)
    events: list[str] = []

    @app.route("/events")
    async def stream_events():
        async def generate():
            try:
                yield "data: first\n\n"
                await asyncio.Event().wait()  # no more events, ever
                yield "never"
            finally:
                events.append("closed")

        return generate()

    ex = run(
        asyncio.wait_for(exchange(app, http_scope("/events"), Exchange(disconnect_after=1)), 5)
    )
    assert ex.status == 200
    assert ex.body == b"data: first\n\n"
    assert events == ["closed"]


def test_head_sends_headers_without_body() -> None:
    app = Flask(__name__)

    @app.route("/")
    def index():
        return "hello"

    ex = run(exchange(app, http_scope("/", "HEAD"), Exchange()))
    assert ex.headers["content-length"] == "5"
    assert ex.body == b""


def test_unhandled_error_in_async_view_is_a_500() -> None:
    app = Flask(__name__)

    @app.route("/")
    async def index():
        raise RuntimeError("boom")

    ex = run(exchange(app, http_scope("/"), Exchange()))
    assert ex.status == 500
    assert b"Internal Server Error" in ex.body


@pytest.mark.parametrize("path", ["/missing", "/async-missing"])
def test_404_handlers_run_on_the_loop(path: str) -> None:
    app = Flask(__name__)

    @app.errorhandler(404)
    async def not_found(error):
        await asyncio.sleep(0)
        return {"error": "nope"}, 404

    ex = run(exchange(app, http_scope(path), Exchange()))
    assert (ex.status, ex.body) == (404, b'{"error":"nope"}\n')


def test_asgi_can_be_wrapped_in_middleware_by_assignment() -> None:
    app = Flask(__name__)

    @app.route("/")
    def index():
        return request.remote_addr or ""

    adapter = app.asgi

    async def rewrite_client(scope, receive, send):  # type: ignore[no-untyped-def]
        await adapter({**scope, "client": ("192.0.2.7", 1)}, receive, send)

    app.asgi = rewrite_client
    assert app.asgi is rewrite_client
    assert app.asgi_adapter is adapter
    ex = run(exchange(app, http_scope("/"), Exchange()))
    assert ex.body == b"192.0.2.7"


def _responses_of_every_shape() -> list[Any]:
    from carafe import Response, redirect

    with_cookie = Response("c")
    with_cookie.set_cookie("a", "1")
    with_cookie.set_cookie("b", "2")
    odd_names = Response("o")
    odd_names.headers["X-Never-Seen-Before-Name"] = "1"
    odd_names.headers["x-never-seen-before-name-2"] = "2"
    spelled = Response("s")
    spelled.headers["content-LENGTH"] = "1"
    return [
        Response("plain"),
        Response(b"bytes", 201, {"X-A": "1", "X-B": "2"}),
        Response("", 204),
        Response("not modified", 304, {"ETag": '"x"', "Content-Type": "text/plain"}),
        Response(iter([b"streamed"])),
        redirect("/caf\u00e9?q=\u00e9"),
        with_cookie,
        odd_names,
        spelled,
    ]


def test_asgi_headers_are_the_wsgi_headers_encoded():
    # The one-pass encoding of the usual response must send what the WSGI side sends.
    from carafe.asgi import _asgi_headers, _encode_headers

    for _ in range(2):  # the second time, every name is already known
        for response in _responses_of_every_shape():
            assert _asgi_headers(response) == _encode_headers(response.wsgi_headers())


def test_an_error_in_a_sync_view_keeps_the_view_in_its_traceback() -> None:
    # The view runs in the thread pool; the traceback that logs and the debug page
    # show must still reach into it (in a compiled build too, see ASGIApp._in_pool).
    import traceback

    app = Flask(__name__)
    app.testing = True  # propagate the error out of the app

    @app.route("/")
    def failing_view() -> str:
        raise ValueError("boom")

    with pytest.raises(ValueError) as caught:
        run(exchange(app, http_scope("/"), Exchange([b""])))
    names = [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert "failing_view" in names

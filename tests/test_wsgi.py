"""carafe.wsgi: the WSGI edge (``serve``, what ``Flask.wsgi_app`` calls).

The app is called as a WSGI server calls it, with a hand-built environ and a
recording ``start_response``: the status line, the header list exactly as passed,
the body iterable and its ``close()``. Where it helps, the same app on Flask gets
the same environ and must answer the same.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

import carafe
from carafe import Flask, Request, Response, g, has_request_context, request
from carafe.exceptions import HTTPException
from carafe.wsgi import serve
from server_environ import server_environ

flask = pytest.importorskip("flask")

HTML = "text/html; charset=utf-8"


def make_environ(
    method: str = "GET", path: str = "/", query: str = "", body: bytes = b"", **extra: Any
) -> dict[str, Any]:
    """A minimal WSGI environ, as a server would build it."""
    return server_environ(method, path, query, body, **extra)


class StartResponse:
    """A server's ``start_response``: records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]], Any]] = []

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        self.calls.append((status, headers, exc_info))
        return lambda data: None

    @property
    def status(self) -> str:
        assert len(self.calls) == 1, self.calls
        return self.calls[0][0]

    @property
    def headers(self) -> list[tuple[str, str]]:
        assert len(self.calls) == 1, self.calls
        return self.calls[0][1]


def call(
    app: Callable[..., Iterable[bytes]], environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call a WSGI app as a server does: start_response once, read the body, close it."""
    start_response = StartResponse()
    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    assert len(start_response.calls) == 1
    return start_response.status, start_response.headers, data


def comparable(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Headers to compare across frameworks: names case-insensitive, Allow as a set."""
    result = {}
    for name, value in headers:
        lower = name.lower()
        if lower in ("date", "server"):
            continue
        if lower == "allow":
            value = ", ".join(sorted(method.strip() for method in value.split(",")))
        result[lower] = value
    return result


def build(module: ModuleType) -> Any:
    """The same small app on Flask or Carafe."""
    app = module.Flask("wsgi_app")

    @app.route("/")
    def index() -> Any:
        return "hello", {"X-One": "1"}

    @app.route("/json")
    def json_view() -> Any:
        return {"ok": True}

    @app.route("/empty")
    def empty() -> Any:
        return "", 204

    @app.route("/empty-bare")
    def empty_bare() -> Any:
        # Flask sends its default Content-Type on a 204 too; wsgiref's validator
        # refuses any, so this view removes it.
        response = module.Response(status=204)
        del response.headers["Content-Type"]
        return response

    @app.route("/not-modified")
    def not_modified() -> Any:
        return module.Response(
            "body", 304, {"ETag": '"v1"', "Content-Type": "text/plain", "Content-Length": "4"}
        )

    @app.route("/post-only", methods=["POST"])
    def post_only() -> str:
        return "posted"

    @app.route("/folder/")
    def folder() -> str:
        return "folder"

    @app.route("/stream")
    def stream() -> Any:
        return (chunk for chunk in ["a", "b", "c"])

    return app


# ---------------------------------------------------------------------------
# A plain call


def test_serve_is_what_wsgi_app_calls(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return "hi"

    start_response = StartResponse()
    body = serve(app, make_environ(), start_response)
    assert start_response.status == "200 OK"
    assert b"".join(body) == b"hi"
    assert call(app.wsgi_app, make_environ()) == call(app, make_environ())


def test_plain_call_passes_status_headers_and_body(app: Flask) -> None:
    @app.route("/hello")
    def hello() -> Any:
        return "hello", {"X-One": "1"}

    start_response = StartResponse()
    body = app(make_environ(path="/hello"), start_response)
    assert start_response.calls == [
        (
            "200 OK",
            [("X-One", "1"), ("Content-Type", HTML), ("Content-Length", "5")],
            None,
        )
    ]
    # The header list holds plain str pairs, as PEP 3333 requires.
    assert all(type(name) is str and type(value) is str for name, value in start_response.headers)
    chunks = list(body)
    assert chunks == [b"hello"]
    assert all(type(chunk) is bytes for chunk in chunks)
    # Reading the body does not start the response again.
    assert len(start_response.calls) == 1


def test_start_response_is_called_once_before_the_body_is_read(app: Flask) -> None:
    @app.route("/")
    def index() -> Any:
        return (chunk for chunk in ["x", "y"])

    start_response = StartResponse()
    body = app(make_environ(), start_response)
    assert len(start_response.calls) == 1
    assert b"".join(body) == b"xy"
    getattr(body, "close", lambda: None)()
    assert len(start_response.calls) == 1


def test_request_body_reaches_the_view(app: Flask) -> None:
    @app.route("/echo", methods=["POST"])
    def echo() -> bytes:
        return request.get_data()

    environ = make_environ("POST", "/echo", body=b"payload", CONTENT_TYPE="text/plain")
    assert call(app, environ) == (
        "200 OK",
        [("Content-Type", HTML), ("Content-Length", "7")],
        b"payload",
    )


# ---------------------------------------------------------------------------
# Bodyless answers


def test_head_sends_the_get_headers_without_a_body(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return "hello"

    get_status, get_headers, get_body = call(app, make_environ("GET"))
    head_status, head_headers, head_body = call(app, make_environ("HEAD"))
    assert get_body == b"hello"
    assert head_body == b""
    assert head_status == get_status == "200 OK"
    # Content-Length is the GET body's length, as for the GET.
    assert head_headers == get_headers
    assert ("Content-Length", "5") in head_headers


def test_head_does_not_run_a_streamed_body(app: Flask) -> None:
    ran: list[str] = []

    @app.route("/")
    def index() -> Any:
        def generate() -> Iterator[str]:
            ran.append("started")
            yield "never sent"

        return generate()

    status, _headers, body = call(app, make_environ("HEAD"))
    assert (status, body) == ("200 OK", b"")
    assert ran == []


def test_204_sends_no_body_and_no_length(app: Flask) -> None:
    @app.route("/")
    def index() -> Any:
        return "ignored body", 204

    status, headers, body = call(app, make_environ())
    assert status == "204 NO CONTENT"
    assert body == b""
    assert "content-length" not in {name.lower() for name, _ in headers}


def test_304_sends_no_body_and_no_entity_headers(app: Flask) -> None:
    @app.route("/")
    def index() -> Response:
        return Response("body", 304, {"ETag": '"v1"', "Content-Type": "text/plain"})

    status, headers, body = call(app, make_environ())
    assert (status, headers, body) == ("304 NOT MODIFIED", [("ETag", '"v1"')], b"")


# ---------------------------------------------------------------------------
# Streamed bodies


def test_streamed_body_is_closed_when_the_server_closes_it(app: Flask) -> None:
    events: list[str] = []

    @app.route("/")
    def index() -> Any:
        def generate() -> Iterator[str]:
            try:
                yield "first"
                yield "second"
            finally:
                events.append("finally")

        return generate()

    start_response = StartResponse()
    body = app(make_environ(), start_response)
    iterator = iter(body)
    assert next(iterator) == b"first"
    assert events == []
    # The server stops early (client gone) and closes the iterable, as PEP 3333 says.
    body.close()  # type: ignore[attr-defined]
    assert events == ["finally"]


def test_streamed_body_call_on_close_runs_at_close(app: Flask) -> None:
    closed: list[bool] = []

    @app.route("/")
    def index() -> Response:
        response = Response(chunk for chunk in ["a", "b"])
        response.call_on_close(lambda: closed.append(True))
        return response

    start_response = StartResponse()
    body = app(make_environ(), start_response)
    assert b"".join(body) == b"ab"
    assert closed == []
    body.close()  # type: ignore[attr-defined]
    assert closed == [True]


def test_streamed_body_has_no_content_length(app: Flask) -> None:
    @app.route("/")
    def index() -> Any:
        return (chunk for chunk in ["a", "b", "c"])

    status, headers, body = call(app, make_environ())
    assert (status, headers, body) == ("200 OK", [("Content-Type", HTML)], b"abc")


# ---------------------------------------------------------------------------
# Routing errors, through the app's error handlers


def test_unknown_path_is_a_404(app: Flask) -> None:
    status, _headers, body = call(app, make_environ(path="/missing"))
    assert status == "404 NOT FOUND"
    assert b"<title>404 Not Found</title>" in body


def test_wrong_method_is_a_405_with_allow(app: Flask) -> None:
    @app.route("/items", methods=["POST", "PUT"])
    def items() -> str:
        return "ok"

    status, headers, body = call(app, make_environ("GET", "/items"))
    assert status == "405 METHOD NOT ALLOWED"
    allow = dict(headers)["Allow"]
    assert {method.strip() for method in allow.split(",")} == {"OPTIONS", "POST", "PUT"}
    assert b"405 Method Not Allowed" in body


def test_missing_slash_is_a_308_keeping_the_query_string(app: Flask) -> None:
    @app.route("/folder/")
    def folder() -> str:
        return "folder"

    status, headers, _body = call(app, make_environ(path="/folder", query="a=1&b=%20x"))
    assert status == "308 PERMANENT REDIRECT"
    assert dict(headers)["Location"] == "http://localhost/folder/?a=1&b=%20x"


def test_routing_errors_go_through_error_handlers(app: Flask) -> None:
    seen: list[Any] = []

    @app.route("/post-only", methods=["POST"])
    def post_only() -> str:
        return "posted"

    @app.errorhandler(404)
    def not_found(error: HTTPException) -> Any:
        seen.append(error)
        return f"custom {error.code}", 404, {"X-Handler": "404"}

    @app.errorhandler(405)
    def not_allowed(error: Any) -> Any:
        seen.append(error)
        return "custom 405", 405, {"Allow": ", ".join(sorted(error.valid_methods))}

    status, headers, body = call(app, make_environ(path="/nowhere"))
    assert (status, body, dict(headers)["X-Handler"]) == ("404 NOT FOUND", b"custom 404", "404")
    status, headers, body = call(app, make_environ("GET", "/post-only"))
    assert (status, body) == ("405 METHOD NOT ALLOWED", b"custom 405")
    assert dict(headers)["Allow"] == "OPTIONS, POST"
    assert [error.code for error in seen] == [404, 405]


def test_strict_slashes_redirect_skips_a_catch_all_handler(app: Flask) -> None:
    """As in Flask, a routing redirect is not an error for HTTPException handlers."""
    handled: list[int] = []

    @app.route("/folder/")
    def folder() -> str:
        return "folder"

    @app.errorhandler(HTTPException)
    def any_http_error(error: HTTPException) -> Any:
        handled.append(error.code or 0)
        return "handled", error.code

    status, headers, _body = call(app, make_environ(path="/folder", query="q=1"))
    assert status == "308 PERMANENT REDIRECT"
    assert dict(headers)["Location"] == "http://localhost/folder/?q=1"
    assert handled == []
    assert call(app, make_environ(path="/gone"))[0::2] == ("404 NOT FOUND", b"handled")
    assert handled == [404]


# ---------------------------------------------------------------------------
# Extending the edge


def test_middleware_wrapping_wsgi_app_is_called(app: Flask) -> None:
    class Middleware:
        def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
            self.wsgi_app = wsgi_app
            self.paths: list[str] = []

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            self.paths.append(environ["PATH_INFO"])
            environ["HTTP_X_ADDED"] = "by middleware"

            def add_header(
                status: str, headers: list[tuple[str, str]], exc_info: Any = None
            ) -> Any:
                return start_response(status, [*headers, ("X-Middleware", "1")], exc_info)

            return self.wsgi_app(environ, add_header)

    @app.route("/")
    def index() -> str:
        return request.headers["X-Added"]

    middleware = Middleware(app.wsgi_app)
    app.wsgi_app = middleware  # type: ignore[method-assign]
    status, headers, body = call(app, make_environ())
    assert (status, body) == ("200 OK", b"by middleware")
    assert ("X-Middleware", "1") in headers
    assert middleware.paths == ["/"]


def test_subclass_overriding_wsgi_app_is_called_by_app_call() -> None:
    class Wrapped(Flask):
        calls = 0

        def wsgi_app(self, environ: Any, start_response: Any) -> Iterable[bytes]:
            type(self).calls += 1
            environ["PATH_INFO"] = "/rewritten"
            return super().wsgi_app(environ, start_response)

    app = Wrapped(__name__)

    @app.route("/rewritten")
    def rewritten() -> str:
        return "rewritten"

    status, _headers, body = call(app, make_environ(path="/original"))
    assert (status, body) == ("200 OK", b"rewritten")
    assert Wrapped.calls == 1


def test_custom_request_class_is_used(app: Flask) -> None:
    class ShoutingRequest(Request):
        @property
        def shout(self) -> str:
            return self.path.upper()

    app.request_class = ShoutingRequest  # type: ignore[misc]

    @app.route("/quiet")
    def quiet() -> str:
        current = request._get_current_object()  # type: ignore[attr-defined]
        return f"{type(current).__name__} {request.shout}"  # type: ignore[attr-defined]

    assert call(app, make_environ(path="/quiet"))[2] == b"ShoutingRequest /QUIET"


def test_custom_request_class_on_an_app_subclass_is_used() -> None:
    class JSONOnlyRequest(Request):
        kind = "custom"

    class App(Flask):
        request_class = JSONOnlyRequest

    app = App(__name__)

    @app.route("/")
    def index() -> str:
        return request.kind  # type: ignore[attr-defined,no-any-return]

    assert call(app, make_environ())[2] == b"custom"


def test_response_class_override_is_what_the_server_gets(app: Flask) -> None:
    class TextResponse(Response):
        default_mimetype = "text/plain"

    app.response_class = TextResponse  # type: ignore[misc]

    @app.route("/")
    def index() -> str:
        return "plain"

    assert ("Content-Type", "text/plain; charset=utf-8") in call(app, make_environ())[1]


# ---------------------------------------------------------------------------
# The context: popped after the call, or preserved for the test client


def test_context_is_popped_when_the_call_returns(app: Flask) -> None:
    torn_down: list[Any] = []

    @app.route("/")
    def index() -> str:
        g.value = "set"
        return "ok"

    app.teardown_request(torn_down.append)
    environ = make_environ()
    assert call(app, environ)[2] == b"ok"
    assert not has_request_context()
    assert torn_down == [None]
    assert "carafe.preserved_context" not in environ


def test_preserve_context_key_leaves_the_context_pushed(app: Flask) -> None:
    torn_down: list[Any] = []

    @app.route("/kept")
    def kept() -> str:
        g.value = "from the view"
        return "ok"

    app.teardown_request(torn_down.append)
    environ = make_environ(path="/kept", query="a=1", **{"carafe.preserve_context": True})
    assert call(app, environ)[2] == b"ok"
    # The request is still there, with the g the view set; nothing torn down yet.
    assert has_request_context()
    assert request.args["a"] == "1"
    assert g.value == "from the view"
    assert torn_down == []
    ctx, error = environ["carafe.preserved_context"]
    assert error is None
    ctx.pop(error)
    assert not has_request_context()
    assert torn_down == [None]


def test_with_client_keeps_the_last_request(app: Flask, client: Any) -> None:
    @app.route("/search")
    def search() -> str:
        return "ok"

    with client:
        client.get("/search?q=first")
        assert request.args["q"] == "first"
        client.get("/search?q=second")
        assert request.args["q"] == "second"
    assert not has_request_context()


# ---------------------------------------------------------------------------
# PEP 3333 compliance: the stdlib validator wraps the app


def wsgiref_environ(**environ: Any) -> dict[str, Any]:
    """wsgiref's minimal testing environ, with the keys its validator wants."""
    environ.setdefault("SCRIPT_NAME", "")
    environ.setdefault("PATH_INFO", "/")
    environ.setdefault("QUERY_STRING", "")
    setup_testing_defaults(environ)
    return environ


def validated(app: Any, **environ: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call ``app`` through ``wsgiref.validate.validator``; any warning fails."""
    environ = wsgiref_environ(**environ)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call(validator(app), environ)


@pytest.mark.parametrize(
    ("method", "path", "query", "expected_status", "expected_body"),
    [
        ("GET", "/", "", "200 OK", b"hello"),
        ("HEAD", "/", "", "200 OK", b""),
        ("GET", "/json", "", "200 OK", b'{"ok":true}\n'),
        ("GET", "/empty-bare", "", "204 NO CONTENT", b""),
        ("GET", "/not-modified", "", "304 NOT MODIFIED", b""),
        ("GET", "/stream", "", "200 OK", b"abc"),
        ("GET", "/missing", "", "404 NOT FOUND", None),
        ("GET", "/post-only", "", "405 METHOD NOT ALLOWED", None),
        ("GET", "/folder", "x=1", "308 PERMANENT REDIRECT", None),
        ("OPTIONS", "/", "", "200 OK", b""),
    ],
)
def test_app_passes_the_wsgiref_validator(
    method: str, path: str, query: str, expected_status: str, expected_body: bytes | None
) -> None:
    app = build(carafe)
    status, _headers, body = validated(
        app, REQUEST_METHOD=method, PATH_INFO=path, QUERY_STRING=query
    )
    assert status == expected_status
    if expected_body is not None:
        assert body == expected_body


def test_streamed_body_closed_early_passes_the_validator(app: Flask) -> None:
    events: list[str] = []

    @app.route("/")
    def index() -> Any:
        def generate() -> Iterator[str]:
            try:
                yield "a"
                yield "b"
            finally:
                events.append("closed")

        return generate()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        body = validator(app)(wsgiref_environ(), StartResponse())
        assert next(iter(body)) == b"a"
        body.close()  # type: ignore[attr-defined]
    assert events == ["closed"]


# ---------------------------------------------------------------------------
# The same environ, Flask and Carafe


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("GET", "/", ""),
        ("HEAD", "/", ""),
        ("GET", "/json", ""),
        ("GET", "/empty", ""),
        ("GET", "/empty-bare", ""),
        ("GET", "/not-modified", ""),
        ("GET", "/stream", ""),
        ("GET", "/missing", ""),
        ("GET", "/post-only", ""),
        ("GET", "/folder", "a=1&b=2"),
        ("OPTIONS", "/post-only", ""),
    ],
)
def test_answers_as_flask_does(method: str, path: str, query: str) -> None:
    theirs = call(build(flask), make_environ(method, path, query))
    ours = call(build(carafe), make_environ(method, path, query))
    assert ours[0] == theirs[0]
    assert comparable(ours[1]) == comparable(theirs[1])
    assert ours[2] == theirs[2]

"""The debug error page (``carafe.debug``), through a real app and the test client."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest

import carafe
from carafe.debug import (
    ASGIDebugMiddleware,
    DebugMiddleware,
    prefers_plain_text,
    render_traceback_page,
    render_traceback_text,
)

SCRIPT = "<script>alert('x')</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"


@pytest.fixture
def debug_app() -> carafe.Flask:
    """An app in debug mode (errors propagate) behind the debug middleware."""
    app = carafe.Flask("debug_app")
    app.debug = True

    @app.route("/")
    def index() -> str:
        return "fine"

    @app.route("/boom")
    def boom() -> str:
        raise ValueError(SCRIPT)

    @app.route("/chained")
    def chained() -> str:
        try:
            {}["missing"]
        except KeyError as exc:
            raise RuntimeError("lookup failed") from exc
        return ""

    @app.route("/stream")
    def stream() -> Any:
        def generate() -> Iterator[str]:
            yield "first chunk"
            raise OSError("lost the stream")

        return generate()

    @app.route("/missing")
    def missing() -> str:
        carafe.abort(404)

    app.wsgi_app = DebugMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return app


def errors_stream() -> dict[str, Any]:
    return {"wsgi.errors": io.StringIO()}


def test_exception_is_answered_with_the_html_page(debug_app: carafe.Flask) -> None:
    errors = errors_stream()
    response = debug_app.test_client().get("/boom", environ_base=errors)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Length"] == str(len(response.data))
    page = response.get_data(as_text=True)
    assert page.startswith("<!doctype html>")
    assert "<h1>ValueError</h1>" in page
    # The frame of the view: file, line, function and source line.
    assert __file__ in page
    assert '<span class="function">boom</span>' in page
    assert "raise ValueError(SCRIPT)" in page
    # The traceback also goes to the server's error stream.
    assert "ValueError: <script>" in errors["wsgi.errors"].getvalue()


def test_message_is_html_escaped(debug_app: carafe.Flask) -> None:
    page = debug_app.test_client().get("/boom", environ_base=errors_stream()).text
    # SECURITY: text from the exception never reaches the page as markup.
    assert SCRIPT not in page
    assert "<script" not in page
    assert ESCAPED_SCRIPT in page
    assert f"<title>ValueError: {ESCAPED_SCRIPT} // Carafe debug mode</title>" in page


def test_page_never_offers_a_console(debug_app: carafe.Flask) -> None:
    page = debug_app.test_client().get("/boom", environ_base=errors_stream()).text
    assert "<form" not in page
    assert "<input" not in page
    assert "<script" not in page
    assert "__debugger__" not in page


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "text/plain"},
        {"Accept": "text/html;q=0.5, text/plain"},
        {"X-Requested-With": "XMLHttpRequest"},
    ],
)
def test_plain_text_when_preferred(debug_app: carafe.Flask, headers: dict[str, str]) -> None:
    response = debug_app.test_client().get("/boom", headers=headers, environ_base=errors_stream())
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    text = response.text
    assert text.startswith("Traceback (most recent call last):\n")
    assert f"ValueError: {SCRIPT}" in text
    assert "raise ValueError(SCRIPT)" in text


def test_chained_exceptions_are_shown_oldest_first(debug_app: carafe.Flask) -> None:
    page = debug_app.test_client().get("/chained", environ_base=errors_stream()).text
    page = page[page.index("<body>") :]
    cause = page.index("KeyError: &#39;missing&#39;")
    note = page.index("The above exception was the direct cause of the following exception:")
    error = page.index("RuntimeError: lookup failed")
    assert cause < note < error
    assert "<h1>RuntimeError</h1>" in page


def test_handled_responses_pass_through(debug_app: carafe.Flask) -> None:
    client = debug_app.test_client()
    assert client.get("/").text == "fine"
    missing = client.get("/missing")
    assert missing.status_code == 404
    assert "Traceback" not in missing.text


def test_error_after_the_response_started_propagates(debug_app: carafe.Flask) -> None:
    with pytest.raises(OSError, match="lost the stream"):
        debug_app.test_client().get("/stream", environ_base=errors_stream())


def test_start_response_is_called_with_exc_info() -> None:
    def failing_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise LookupError("nope")

    calls: list[tuple[str, list[tuple[str, str]], Any]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        calls.append((status, headers, exc_info))
        return None

    body = DebugMiddleware(failing_app)(errors_stream(), start_response)
    ((status, headers, exc_info),) = calls
    assert status == "500 INTERNAL SERVER ERROR"
    assert dict(headers)["Content-Type"] == "text/html; charset=utf-8"
    # exc_info lets a server that already sent headers re-raise instead (PEP 3333).
    assert exc_info[0] is LookupError
    assert b"LookupError" in b"".join(body)


def test_system_exit_is_not_caught() -> None:
    def exiting_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise SystemExit(3)

    with pytest.raises(SystemExit):
        DebugMiddleware(exiting_app)(errors_stream(), lambda *args: None)  # type: ignore[arg-type]


def test_render_functions_directly() -> None:
    try:
        raise TypeError("a & b < c")
    except TypeError as exc:
        error = exc
    page = render_traceback_page(error).decode()
    assert "TypeError: a &amp; b &lt; c" in page
    assert "test_render_functions_directly" in page
    text = render_traceback_text(error).decode()
    assert text.rstrip().endswith("TypeError: a & b < c")


def test_exception_without_traceback_renders() -> None:
    page = render_traceback_page(KeyError("k")).decode()
    assert "KeyError: &#39;k&#39;" in page


@pytest.mark.parametrize(
    ("accept", "plain"),
    [
        (None, False),
        ("", False),
        ("*/*", False),
        ("text/html", False),
        ("text/plain", True),
        ("text/plain, text/html", False),
        ("text/html;q=0.9, text/plain", True),
        ("text/*;q=0.5, text/plain", True),
        ("text/*, text/html;q=0.1", True),
        ("application/json, */*;q=0.1", False),
        ("text/plain;q=bogus, text/html;q=0.1", False),
    ],
)
def test_prefers_plain_text(accept: str | None, plain: bool) -> None:
    assert prefers_plain_text(accept) is plain


# ASGI -----------------------------------------------------------------------------------


def run_asgi(app: Any, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    """Send one GET through an ASGI app; return the messages it sent."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), *(headers or [])],
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 1234),
    }
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_asgi_exception_is_answered_with_the_page(
    debug_app: carafe.Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    start, body = run_asgi(ASGIDebugMiddleware(debug_app.asgi), "/boom")
    assert start["status"] == 500
    assert (b"content-type", b"text/html; charset=utf-8") in start["headers"]
    page = body["body"].decode()
    assert ESCAPED_SCRIPT in page
    assert SCRIPT not in page
    assert "ValueError" in capsys.readouterr().err


def test_asgi_plain_text(debug_app: carafe.Flask, capsys: pytest.CaptureFixture[str]) -> None:
    start, body = run_asgi(
        ASGIDebugMiddleware(debug_app.asgi), "/boom", [(b"accept", b"text/plain")]
    )
    assert (b"content-type", b"text/plain; charset=utf-8") in start["headers"]
    assert body["body"].decode().startswith("Traceback (most recent call last):")
    capsys.readouterr()


def test_asgi_passes_good_responses_through(debug_app: carafe.Flask) -> None:
    start, *bodies = run_asgi(ASGIDebugMiddleware(debug_app.asgi), "/")
    assert start["status"] == 200
    assert b"".join(message.get("body", b"") for message in bodies) == b"fine"


def test_asgi_error_after_start_propagates() -> None:
    async def half_answer(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise OSError("gone")

    with pytest.raises(OSError, match="gone"):
        run_asgi(ASGIDebugMiddleware(half_answer), "/")


def test_asgi_lifespan_passes_through() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    async def call() -> None:
        await ASGIDebugMiddleware(app)({"type": "lifespan"}, None, None)  # type: ignore[arg-type]

    asyncio.run(call())
    assert seen == ["lifespan"]

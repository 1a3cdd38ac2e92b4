"""``stream_with_context``: a streamed body that keeps its request, over WSGI and ASGI.

Over ASGI a plain view runs in the thread pool and the steps of its streamed body
run there too, on whichever threads are free; the request context the view pushed
for the stream must be there for every step and be popped where it was pushed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

import carafe
from carafe import Flask, g, request, stream_with_context


@pytest.fixture
def flask() -> ModuleType:
    """Flask, the reference (a development dependency)."""
    return pytest.importorskip("flask")


def new_app(module: ModuleType) -> Any:
    app = module.Flask(__name__)
    app.config["TESTING"] = True
    return app


def both(flask: ModuleType, build: Any) -> Any:
    """``build(carafe)``, after checking that ``build(flask)`` gives the same."""
    expected, got = build(flask), build(carafe)
    assert got == expected
    return got


def test_the_stream_sees_the_request(flask: ModuleType) -> None:
    def build(module: ModuleType) -> tuple[int, str, list[str]]:
        app = new_app(module)
        events: list[str] = []
        app.teardown_request(lambda error: events.append("teardown"))

        @app.route("/")
        def index() -> Any:
            module.g.marker = "G"

            def generate() -> Iterator[str]:
                events.append("start")
                yield module.request.args["a"]
                yield module.g.marker

            return module.stream_with_context(generate())

        response = app.test_client().get("/?a=x")
        return response.status_code, response.get_data(as_text=True), events

    assert both(flask, build) == (200, "xG", ["teardown", "start", "teardown"])


def test_a_slow_stream_keeps_its_request_on_any_pool_thread(app: Flask, interface: str) -> None:
    if interface == "asgi":
        # Several idle threads in the pool, for the steps to land on.
        barrier = threading.Barrier(4)
        executor = app.asgi_adapter.executor
        for waiter in [executor.submit(barrier.wait) for _ in range(4)]:
            waiter.result()
    threads: set[int] = set()

    @app.route("/")
    def index() -> Any:
        g.marker = "G"

        def generate() -> Iterator[str]:
            for number in range(12):
                time.sleep(0.003)
                threads.add(threading.get_ident())
                yield f"{request.args['a']}{g.marker}{number} "

        return stream_with_context(generate())

    response = app.test_client().get("/?a=x")
    assert response.get_data(as_text=True).split() == [f"xG{i}" for i in range(12)]
    # (Over ASGI one pool thread runs the whole stream, whichever ran the view.)
    assert len(threads) == 1


def test_a_stream_not_sent_is_closed_in_its_context(flask: ModuleType) -> None:
    """A HEAD request: the stream is closed without running; the request ends."""

    def build(module: ModuleType) -> tuple[int, bytes, list[str]]:
        app = new_app(module)
        events: list[str] = []
        app.teardown_request(lambda error: events.append("teardown"))

        @app.route("/")
        def index() -> Any:
            def generate() -> Iterator[str]:
                events.append("start")
                yield "x"

            return module.stream_with_context(generate())

        response = app.test_client().head("/")
        return response.status_code, response.data, sorted(set(events))

    assert both(flask, build) == (200, b"", ["teardown"])


def stream_of_request_args() -> Any:
    def generate() -> Iterator[str]:
        yield request.args["a"]

    return stream_with_context(generate())


@pytest.mark.parametrize(
    "make_stream",
    [stream_of_request_args, lambda: carafe.stream_template_string("{{ request.args.a }}")],
    ids=["stream_with_context", "stream_template"],
)
def test_a_stream_from_an_async_view(app: Flask, make_stream: Any) -> None:
    """What an ``async def`` view returning a stream does, without a client (a
    failing request would leave its context and stream behind)."""

    async def view() -> Any:
        return make_stream()

    with app.test_request_context("/?a=1"):
        assert "".join(app.ensure_sync(view)()) == "1"

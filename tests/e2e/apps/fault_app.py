"""An app for the fault tests under load: views that raise, hang, or stream forever.

``/events`` reports, per worker, the streams started and how each one ended (a stream the
client abandons must end ``closed``: its ``finally`` ran on ``GeneratorExit`` or on
cancellation, it never ran on to ``exhausted``) and how many views are hanging now.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator

from carafe import Flask, Response, request

app = Flask(__name__)

# A streamed chunk, and how long a stream would run if nothing stopped it.
CHUNK = b"x" * 16384
STREAM_SECONDS = 30.0

# Per worker: streams started and how they ended, views hanging right now.
_events: Counter[str] = Counter()
_events_lock = threading.Lock()


def count(event: str, step: int = 1) -> None:
    with _events_lock:
        _events[event] += step


@app.route("/")
def index() -> str:
    return "ok"


@app.route("/pid")
def pid() -> str:
    return str(os.getpid())


@app.route("/raise")
def raise_error() -> str:
    raise RuntimeError("the view failed")


@app.route("/async-raise")
async def async_raise_error() -> str:
    raise RuntimeError("the async view failed")


@app.route("/hang")
def hang() -> str:
    # A sync view stuck in a blocking call: it holds its thread for the whole time.
    count("hanging")
    try:
        time.sleep(float(request.args.get("seconds", "30")))
    finally:
        count("hanging", -1)
    return "woke up"


@app.route("/async-hang")
async def async_hang() -> str:
    # An async view that waits for something that never comes.
    count("hanging")
    try:
        await asyncio.Event().wait()
    finally:
        count("hanging", -1)
    return "never"


@app.route("/stream")
def stream() -> Response:
    def chunks() -> Iterator[bytes]:
        count("started")
        ending = "exhausted"
        try:
            deadline = time.monotonic() + STREAM_SECONDS
            while time.monotonic() < deadline:
                yield CHUNK
                time.sleep(0.005)
        except GeneratorExit:
            ending = "closed"
            raise
        finally:
            count(ending)

    return Response(chunks(), mimetype="application/octet-stream")


@app.route("/async-stream")
async def async_stream() -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        count("started")
        ending = "exhausted"
        try:
            deadline = time.monotonic() + STREAM_SECONDS
            while time.monotonic() < deadline:
                yield CHUNK
                await asyncio.sleep(0.005)
        except (GeneratorExit, asyncio.CancelledError):
            ending = "closed"
            raise
        finally:
            count(ending)

    return Response(chunks(), mimetype="application/octet-stream")


@app.route("/events")
def events() -> dict[str, int]:
    with _events_lock:
        return {name: _events[name] for name in ("started", "closed", "exhausted", "hanging")}

"""An app for the server-sent events tests (``tests/e2e/test_sse_e2e.py``): three
``text/event-stream`` views whose streams the test paces through files.

Every stream works in a folder the test names in the query string (``?dir=``, under
the temporary directory): it sends event 1, then waits (at most ``WAIT_SECONDS``) for
the test to create ``release`` there, writes ``produced-2`` and sends event 2. With
``?forever=1`` it then sends a comment line every ``TICK_SECONDS`` until closed (or
``FOREVER_SECONDS`` pass), as a live stream does. Its ``finally`` writes ``finished``:
``ended`` when the stream ran to its end, else the name of the exception that stopped
it (``GeneratorExit`` when the server closed it, ``CancelledError`` when it cancelled
an async one).

- ``/sync/events``: a generator;
- ``/async/events``: an async generator (on the event loop over ASGI, on the worker
  thread's loop over WSGI);
- ``/context/events``: a generator under ``stream_with_context``, which reads the folder
  and ``?name=`` from ``request.args`` while it runs, after the view has returned (its
  events say ``one for NAME``, ``two for NAME``);
- ``/context/ticks``: ``?count=`` events, each a step of its own, under
  ``stream_with_context``, each reading ``?name=`` from ``request.args`` as it is made
  (``tick N for NAME``); no folder.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from carafe import Flask, Response, abort, request, stream_with_context

app = Flask(__name__)

WAIT_SECONDS = 20.0
TICK_SECONDS = 0.05
FOREVER_SECONDS = 30.0
TICK_PAUSE_SECONDS = 0.005


def event(number: int, data: str) -> str:
    """One server-sent event: its id, its name and one data line."""
    return f"id: {number}\nevent: tick\ndata: {data}\n\n"


def stream_folder() -> Path:
    """The folder named by ``?dir=``: it must exist under the temporary directory."""
    folder = Path(request.args.get("dir", "")).resolve()
    if not folder.is_dir() or not folder.is_relative_to(Path(tempfile.gettempdir()).resolve()):
        abort(400)
    return folder


def released(folder: Path) -> bool:
    """Wait for the test to create ``release``: True once it exists, False at the bound."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not (folder / "release").exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


async def released_async(folder: Path) -> bool:
    """:func:`released`, without blocking the event loop."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not (folder / "release").exists():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


def record_finish(folder: Path, error: BaseException | None) -> None:
    (folder / "finished").write_text("ended" if error is None else type(error).__name__)


def sync_events(folder: Path, forever: bool, suffix: str = "") -> Iterator[str]:
    error: BaseException | None = None
    try:
        yield event(1, "one" + suffix)
        if not released(folder):
            yield "event: timeout\ndata: never released\n\n"
            return
        (folder / "produced-2").touch()
        yield event(2, "two" + suffix)
        deadline = time.monotonic() + FOREVER_SECONDS
        while forever and time.monotonic() < deadline:
            time.sleep(TICK_SECONDS)
            yield ": keep-alive\n\n"
    except BaseException as exc:
        error = exc
        raise
    finally:
        record_finish(folder, error)


@app.get("/sync/events")
def sync_view() -> Response:
    folder = stream_folder()
    return Response(sync_events(folder, "forever" in request.args), mimetype="text/event-stream")


@app.get("/async/events")
async def async_view() -> Response:
    folder = stream_folder()
    forever = "forever" in request.args

    async def events() -> AsyncIterator[str]:
        error: BaseException | None = None
        try:
            yield event(1, "one")
            if not await released_async(folder):
                yield "event: timeout\ndata: never released\n\n"
                return
            (folder / "produced-2").touch()
            yield event(2, "two")
            deadline = time.monotonic() + FOREVER_SECONDS
            while forever and time.monotonic() < deadline:
                await asyncio.sleep(TICK_SECONDS)
                yield ": keep-alive\n\n"
        except BaseException as exc:
            error = exc
            raise
        finally:
            record_finish(folder, error)

    return Response(events(), mimetype="text/event-stream")


@app.get("/context/events")
def context_view() -> Response:
    @stream_with_context
    def events() -> Iterator[str]:
        # Read here, while the body streams: the view has returned by now.
        folder = stream_folder()
        name = request.args["name"]
        yield from sync_events(folder, "forever" in request.args, f" for {name}")

    return Response(events(), mimetype="text/event-stream")


@app.get("/context/ticks")
def context_ticks() -> Response:
    count = int(request.args["count"])

    @stream_with_context
    def ticks() -> Iterator[str]:
        for number in range(1, count + 1):
            yield event(number, f"tick {number} for {request.args['name']}")
            # Longer than a batch of the ASGI adapter: each tick is a step of its own.
            time.sleep(TICK_PAUSE_SECONDS)

    return Response(ticks(), mimetype="text/event-stream")


@app.get("/health")
def health() -> str:
    return "ok"

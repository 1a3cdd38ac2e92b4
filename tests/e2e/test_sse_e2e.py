"""Server-sent events on a real ``carafe run`` server, over WSGI and over ASGI (issue 14,
item 5; the app is ``tests/e2e/apps/sse_app.py``): ``Response(generator,
mimetype="text/event-stream")`` from a generator, an async generator and a generator
under ``stream_with_context``, read by httpx as they stream.

- events arrive as they are sent, in a chunked ``text/event-stream`` body;
- a client that leaves mid-stream makes the server close the generator (its ``finally``
  runs);
- a ``stream_with_context`` generator sees its own request at every step.

No timing is asserted. Each stream sends event 1 and then waits for a file the test
creates (``release``) before it makes event 2, so a client that reads event 1 while
``produced-2`` does not exist yet got it as it was sent, not with the rest of the body.
Reads are bounded by ``TIMEOUT``: a server holding event 1 back fails the test.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .serverproc import RunningServer, carafe_run_command, free_port, serving, wait_for

pytestmark = pytest.mark.e2e

APP = "tests/e2e/apps/sse_app.py:app"
#: The bound on each read and on each wait for the app's files (not a timing assertion:
#: everything here takes milliseconds).
TIMEOUT = 10.0
#: The stream views and the data of their two events.
VIEWS = {
    "/sync/events": ("one", "two"),
    "/async/events": ("one", "two"),
    "/context/events": ("one for ann", "two for ann"),
}


@pytest.fixture(scope="module", params=["wsgi", "asgi"])
def server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    """The SSE app on ``carafe run --interface wsgi|asgi`` for this module."""
    port = free_port()
    command = carafe_run_command(port, APP, ["--interface", request.param])
    with serving(command, port, no_traceback=True) as running:
        yield running


@pytest.fixture
def folder() -> Iterator[Path]:
    """The stream's folder (under the temporary directory, where the app accepts it);
    released on the way out, so that no stream is left waiting after a failure."""
    with tempfile.TemporaryDirectory(prefix="carafe-sse-") as name:
        path = Path(name)
        try:
            yield path
        finally:
            (path / "release").touch()
            wait_for(lambda: (path / "finished").exists(), TIMEOUT)


def read_event(lines: Iterator[str]) -> dict[str, str]:
    """The fields of the next event on the stream (comment lines skipped)."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if fields:
                return fields
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
    raise AssertionError(f"the stream ended in the middle of an event: {fields}")


def finished(folder: Path) -> str:
    """How the stream's generator finished, once its ``finally`` ran (bounded wait)."""
    assert wait_for(lambda: (folder / "finished").exists(), TIMEOUT), (
        "the generator's finally did not run"
    )
    return (folder / "finished").read_text()


@pytest.mark.parametrize("path", VIEWS)
def test_events_arrive_as_they_are_sent(server: RunningServer, path: str, folder: Path) -> None:
    first, second = VIEWS[path]
    params = {"dir": str(folder), "name": "ann"}
    with (
        httpx.Client(base_url=server.url, timeout=TIMEOUT) as client,
        client.stream("GET", path, params=params) as response,
    ):
        assert response.status_code == 200
        assert response.http_version == "HTTP/1.1"
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert "content-length" not in response.headers
        assert response.headers["transfer-encoding"] == "chunked"
        lines = response.iter_lines()

        assert read_event(lines) == {"id": "1", "event": "tick", "data": first}
        # Event 2 is not made yet: the generator waits for the release.
        assert not (folder / "produced-2").exists()
        assert not (folder / "finished").exists()

        (folder / "release").touch()
        assert read_event(lines) == {"id": "2", "event": "tick", "data": second}
        assert list(lines) == []  # the end of the stream
    assert finished(folder) == "ended"


@pytest.mark.parametrize("path", VIEWS)
def test_a_client_leaving_mid_stream_stops_the_generator(
    server: RunningServer, path: str, folder: Path
) -> None:
    # Released from the start: this test is about the end of the stream.
    (folder / "release").touch()
    params = {"dir": str(folder), "name": "ann", "forever": "1"}
    with (
        httpx.Client(base_url=server.url, timeout=TIMEOUT) as client,
        client.stream("GET", path, params=params) as response,
    ):
        lines = response.iter_lines()
        assert read_event(lines)["id"] == "1"
        assert read_event(lines)["id"] == "2"
        # The stream goes on (a comment line every 50 ms) until the client leaves:
        # closing the response unread closes the connection.
    # The server finds the client gone and closes the generator (an async one may
    # first be cancelled where it waits), which runs its finally.
    assert finished(folder) in ("GeneratorExit", "CancelledError")


def test_stream_with_context_keeps_each_request_at_every_step(server: RunningServer) -> None:
    # Several streams, one after the other, each of many steps reading request.args.
    count = 40
    for number in range(5):
        name = f"user{number}"
        with (
            httpx.Client(base_url=server.url, timeout=TIMEOUT) as client,
            client.stream(
                "GET", "/context/ticks", params={"count": count, "name": name}
            ) as response,
        ):
            lines = response.iter_lines()
            received = [read_event(lines)["data"] for _ in range(count)]
            assert list(lines) == []  # the end of the stream
        assert received == [f"tick {tick} for {name}" for tick in range(1, count + 1)]

"""The server's own limits and fault tolerance, on both interfaces, over real sockets.

The request head (line and headers) is bounded by Granian at ``--max-header-size``
(431 past it) and to 100 headers (hyper's fixed count); a worker that dies is
replaced (``--respawn``, the default) while the others keep answering.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from .serverproc import (
    RunningServer,
    carafe_run_command,
    free_port,
    start_server,
    wait_for,
    worker_pids,
)

pytestmark = pytest.mark.e2e

APP = "tests.e2e.apps.limits_app"


@pytest.fixture(scope="module", params=["wsgi", "asgi"])
def limits_server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    port = free_port()
    server = start_server(
        carafe_run_command(port, APP, ["--interface", request.param, "--max-header-size", "8192"]),
        port,
    )
    try:
        yield server
    finally:
        server.stop()
        server.log.close()


def answer_status(port: int, raw: bytes) -> int | None:
    """Send ``raw``; the status of the answer, or None if the server closed without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw)
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            data += chunk
    return int(data.split(b" ", 2)[1])


def head_of_size(size: int, path: str = "/headers") -> bytes:
    """A GET request whose head (request line, headers, the blank line) is ``size`` bytes."""
    start = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ".encode()
    end = b"\r\n\r\n"
    return start + b"a" * (size - len(start) - len(end)) + end


def test_request_head_at_the_limit_and_one_byte_past(limits_server):
    assert answer_status(limits_server.port, head_of_size(8192)) == 200
    assert answer_status(limits_server.port, head_of_size(8193)) == 431
    assert httpx.get(limits_server.url + "/pid").status_code == 200


def test_header_count_at_the_limit_and_one_past(limits_server):
    def with_headers(count: int) -> bytes:
        extra = b"".join(b"X-H%d: v\r\n" % index for index in range(count - 1))
        return b"GET /headers HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + b"\r\n"

    assert answer_status(limits_server.port, with_headers(100)) == 200
    assert answer_status(limits_server.port, with_headers(101)) == 431


def test_default_max_header_size_is_32_kib(start_extra_server):
    port = free_port()
    server = start_extra_server(carafe_run_command(port, APP), port)
    assert answer_status(server.port, head_of_size(32 * 1024)) == 200
    assert answer_status(server.port, head_of_size(32 * 1024 + 1)) == 431


def test_body_over_the_default_limit_is_413_before_it_is_sent(limits_server):
    # Content-Length says 17 MiB: the answer comes without the body being sent.
    raw = (
        b"POST /length HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: %d\r\n\r\n" % (16 * 1024 * 1024 + 1)
    )
    assert answer_status(limits_server.port, raw) == 413
    body = b"x" * (16 * 1024 * 1024)
    response = httpx.post(limits_server.url + "/length", content=body, timeout=30)
    assert (response.status_code, response.text) == (200, str(len(body)))


def test_chunked_body_past_the_limit_is_413(limits_server):
    def chunks() -> Iterator[bytes]:
        for _ in range(17):
            yield b"x" * (1024 * 1024)

    response = httpx.post(limits_server.url + "/length", content=chunks(), timeout=30)
    assert response.status_code == 413


def test_bad_host_is_400_on_the_wire(limits_server):
    for host in (b"example.com/abc?x=", b"a b", b"exa_mple.com"):
        raw = b"GET /host HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n"
        assert answer_status(limits_server.port, raw) == 400, host
    raw = b"GET /host HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n"
    assert answer_status(limits_server.port, raw) == 400


# -- dead workers ------------------------------------------------------------------------


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_killed_worker_is_replaced_and_the_others_keep_answering(start_extra_server, interface):
    port = free_port()
    server = start_extra_server(
        carafe_run_command(port, APP, ["--workers", "2", "--interface", interface]), port
    )
    assert wait_for(lambda: len(worker_pids(server)) == 2, 10)
    for _round in range(3):
        before = worker_pids(server)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        # Every request on a new connection is answered while the worker is missing.
        answered = failed = 0
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            try:
                with httpx.Client() as client:
                    response = client.get(server.url + "/pid", timeout=5)
                answered += response.status_code == 200
                assert response.text != str(victim)
            except httpx.TransportError:
                failed += 1
        assert answered > 0
        assert failed <= 1, f"{failed} requests failed while a worker was replaced"
        assert wait_for(
            lambda before=before, victim=victim: (
                len(worker_pids(server)) == 2 and victim not in worker_pids(server)
            ),
            10,
        ), server.output()
    assert server.process.poll() is None
    pids = {httpx.get(server.url + "/pid").text for _ in range(40)}
    assert pids <= {str(pid) for pid in worker_pids(server)}


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_a_worker_killed_again_and_again_is_replaced_each_time(start_extra_server, interface):
    # A kill loop on one worker: each replacement is killed as soon as it answers.
    # Granian alone exits, stopping the healthy worker too, when a replaced worker
    # dies within 5.5 s; `carafe run` keeps replacing it while the other one serves.
    port = free_port()
    server = start_extra_server(
        carafe_run_command(port, APP, ["--workers", "2", "--interface", interface]), port
    )
    assert wait_for(lambda: len(worker_pids(server)) == 2, 10)
    survivor = min(worker_pids(server))

    def other_worker() -> int | None:
        others = [pid for pid in worker_pids(server) if pid != survivor]
        return max(others) if others else None

    answered = 0
    for _round in range(5):
        # (Waited for: under load, the list of workers can lag behind a replacement.)
        assert wait_for(lambda: other_worker() is not None, 10), server.output()
        victim = other_worker()
        assert victim is not None
        os.kill(victim, signal.SIGKILL)
        assert wait_for(
            lambda victim=victim: (
                len(worker_pids(server)) == 2 and victim not in worker_pids(server)
            ),
            10,
        ), server.output()
        # The healthy worker answered all along, and still does.
        with httpx.Client() as client:
            answered += client.get(server.url + "/pid", timeout=5).status_code == 200
    assert answered == 5
    assert survivor in worker_pids(server)
    assert server.process.poll() is None, server.output()
    assert "crash loop" not in server.output()
    pids = {httpx.get(server.url + "/pid").text for _ in range(40)}
    assert pids <= {str(pid) for pid in worker_pids(server)}


def test_no_respawn_stops_the_server_when_a_worker_dies(start_extra_server):
    port = free_port()
    server = start_extra_server(
        carafe_run_command(port, APP, ["--workers", "2", "--no-respawn"]), port
    )
    assert wait_for(lambda: len(worker_pids(server)) == 2, 10)
    os.kill(min(worker_pids(server)), signal.SIGKILL)
    assert wait_for(lambda: server.process.poll() is not None, 15), server.output()
    assert server.process.returncode != 0

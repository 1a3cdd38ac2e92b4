"""Faults while ``carafe run`` is under load, on both interfaces, over real sockets.

A view that raises, a view that hangs, a stream the client walks away from and a worker
killed with SIGKILL: each while bench/soak.py's load runs beside it, which must see no
error and no unexpected status (except, for the killed worker, the requests that were on
it). The app is tests/e2e/apps/fault_app.py; tests/e2e/test_serving_faults.py has the
killed-worker and ``--no-respawn`` cases without load.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .serverproc import (
    RunningServer,
    carafe_run_command,
    free_port,
    port_answers,
    start_server,
    wait_for,
    worker_pids,
)
from .test_soak import soak

pytestmark = pytest.mark.e2e

APP = "tests.e2e.apps.fault_app"
THREADS = 4
# carafe run kills a worker that has not stopped this long after SIGTERM.
KILL_TIMEOUT = 10.0

StartServer = Callable[..., RunningServer]


def fault_command(port: int, interface: str, *options: str) -> list[str]:
    return carafe_run_command(
        port, APP, ["--interface", interface, "--threads", str(THREADS), *options]
    )


# Not named "interface": tests/conftest.py has an autouse fixture of that name.
@pytest.fixture(scope="module", params=["wsgi", "asgi"])
def served_interface(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def fault_server(served_interface: str) -> Iterator[RunningServer]:
    """The fault app on one worker with 4 threads, one server per interface."""
    port = free_port()
    server = start_server(fault_command(port, served_interface), port)
    try:
        yield server
    finally:
        server.stop()
        server.log.close()


def events(server: RunningServer) -> dict[str, int]:
    return httpx.get(f"{server.url}/events", timeout=5).json()


def load_problems(stats: Any) -> str:
    """What a ``soak.LoadStats`` counted, for assertion messages."""
    return (
        f"{stats.requests} requests, errors {dict(stats.errors)},"
        f" unexpected {dict(stats.unexpected)}, wrong bodies {dict(stats.wrong_bodies)}"
    )


# -- a view that raises -------------------------------------------------------------------


def test_raising_views_answer_500_and_the_worker_keeps_serving(
    fault_server: RunningServer,
) -> None:
    before = worker_pids(fault_server)
    assert len(before) == 1
    mix = [
        soak.Probe("GET", "/raise", 500),
        soak.Probe("GET", "/", 200, body=b"ok"),
        soak.Probe("GET", "/async-raise", 500),
    ]
    with soak.BackgroundLoad(fault_server.port, mix, 6) as load:
        assert wait_for(lambda: load.stats.requests >= 600, 15)
    stats = load.stats
    # Every 500 was expected and every "ok" came: nothing was dropped or mixed up.
    assert stats.error_count == 0, load_problems(stats)
    assert stats.unexpected_count == 0, load_problems(stats)
    assert stats.wrong_body_count == 0, load_problems(stats)
    # Later requests are answered by the same worker: none was lost and replaced.
    response = httpx.get(f"{fault_server.url}/pid", timeout=5)
    assert response.status_code == 200
    assert int(response.text) in before
    assert worker_pids(fault_server) == before
    # The errors were logged, not swallowed.
    output = fault_server.output()
    assert "RuntimeError: the view failed" in output
    assert "RuntimeError: the async view failed" in output


# -- a stream the client abandons ---------------------------------------------------------


def abandon_stream(port: int, path: str, read: int = 100_000) -> None:
    """Start streaming ``path``, read ``read`` bytes of it, and hang up."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        received = b""
        while len(received) < read:
            chunk = sock.recv(65536)
            assert chunk, "the server closed the stream first"
            received += chunk
        assert received.startswith(b"HTTP/1.1 200 ")


def test_abandoned_streams_are_closed_and_the_worker_keeps_serving(
    fault_server: RunningServer, served_interface: str
) -> None:
    paths = ["/stream"]
    if served_interface == "asgi":
        paths.append("/async-stream")  # an async generator, pumped on the event loop
    before_workers = worker_pids(fault_server)
    before = events(fault_server)
    mix = [soak.Probe("GET", "/", 200, body=b"ok")]
    with soak.BackgroundLoad(fault_server.port, mix, 4) as load:
        for path in paths:
            for _ in range(3):
                abandon_stream(fault_server.port, path)
        abandoned = 3 * len(paths)
        # Each generator's finally ran on close (GeneratorExit or cancellation).
        assert wait_for(lambda: events(fault_server)["closed"] >= before["closed"] + abandoned, 5)
    after = events(fault_server)
    assert after["started"] == before["started"] + abandoned
    assert after["closed"] == before["closed"] + abandoned
    assert after["exhausted"] == before["exhausted"]
    stats = load.stats
    assert stats.requests > 0
    assert stats.error_count == stats.unexpected_count == 0, load_problems(stats)
    assert worker_pids(fault_server) == before_workers


# -- a view that hangs --------------------------------------------------------------------


def hang_requests(
    server: RunningServer, paths: list[str], outcomes: list[str]
) -> list[threading.Thread]:
    """One request per path, in a thread each; how each ended is added to ``outcomes``."""

    def hang(path: str) -> None:
        try:
            response = httpx.get(server.url + path, timeout=60)
            outcomes.append(f"{response.status_code} {response.text}")
        except httpx.TransportError as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=hang, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    return threads


def test_hung_views_block_neither_other_requests_nor_shutdown(
    start_extra_server: StartServer,
) -> None:
    # Both interfaces in one test, so their shutdowns (10 s each) overlap.
    hung_paths = {
        # WSGI: 2 of the 4 threads stuck in a sync view.
        "wsgi": ["/hang?seconds=60"] * 2,
        # ASGI: 2 of the 4 pool threads stuck, and 2 async views waiting forever.
        "asgi": ["/hang?seconds=60"] * 2 + ["/async-hang"] * 2,
    }
    servers: dict[str, RunningServer] = {}
    outcomes: dict[str, list[str]] = {}
    clients: list[threading.Thread] = []
    for interface, paths in hung_paths.items():
        port = free_port()
        server = servers[interface] = start_extra_server(fault_command(port, interface), port)
        clients += hang_requests(server, paths, outcomes.setdefault(interface, []))
        assert wait_for(lambda s=server, n=len(paths): events(s)["hanging"] == n, 10)
    mix = [soak.Probe("GET", "/", 200, body=b"ok"), soak.Probe("GET", "/events", 200)]
    for interface, server in servers.items():
        # The others are answered, promptly: a request stuck behind the hung views
        # would time out after 2 s and count as an error.
        with soak.BackgroundLoad(server.port, mix, 4, timeout=2.0) as load:
            time.sleep(1.0)
        stats = load.stats
        assert stats.requests >= 100, f"{interface}: {load_problems(stats)}"
        assert stats.error_count == stats.unexpected_count == 0, load_problems(stats)

    signalled = time.monotonic()
    for server in servers.values():
        server.process.send_signal(signal.SIGTERM)
    # New connections are refused at once, though the hung views have not finished...
    assert wait_for(lambda: not any(port_answers(server.port) for server in servers.values()), 1.0)
    # ...and the workers are killed after carafe run's shutdown timeout.
    for interface, server in servers.items():
        try:
            server.process.wait(signalled + KILL_TIMEOUT + 5 - time.monotonic())
        except subprocess.TimeoutExpired:
            pytest.fail(f"{interface}: still running {KILL_TIMEOUT + 5} s after SIGTERM")
    for thread in clients:
        thread.join(10)
    # The hung requests were cut off, not answered.
    assert outcomes == {
        interface: ["RemoteProtocolError"] * len(paths) for interface, paths in hung_paths.items()
    }


# -- a worker killed under load -----------------------------------------------------------


def established_connections(pid: int, port: int) -> int:
    """The TCP connections to ``port`` that process ``pid`` holds open (IPv4)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rpartition(":")[2], 16)
        # State 01 is ESTABLISHED; field 9 is the socket's inode.
        if local_port == port and fields[3] == "01" and fields[9] in inodes:
            count += 1
    return count


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_worker_killed_under_load_costs_only_its_own_requests(
    start_extra_server: StartServer, interface: str
) -> None:
    port = free_port()
    server = start_extra_server(fault_command(port, interface, "--workers", "2"), port)
    assert wait_for(lambda: len(worker_pids(server)) == 2, 10), server.output()
    connections = 16
    with soak.BackgroundLoad(port, [soak.Probe("GET", "/pid", 200)], connections) as load:
        assert wait_for(lambda: load.stats.requests >= 500, 10)
        held = {pid: established_connections(pid, port) for pid in worker_pids(server)}
        victim = max(held, key=held.__getitem__)
        assert held[victim] > 0, held
        killed = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        assert wait_for(
            lambda: len(worker_pids(server)) == 2 and victim not in worker_pids(server), 10
        ), server.output()
        respawned = time.monotonic()
        # Load goes on for a second and a half after the new worker is up.
        time.sleep(1.5)
    stats = load.stats
    report = (
        f"{interface}: victim held {held[victim]} of {connections} connections;"
        f" {stats.error_count} requests failed {dict(stats.errors)}, at"
        f" {[round(at - killed, 3) for at in stats.error_times]} s after the kill;"
        f" respawned after {respawned - killed:.3f} s; {load_problems(stats)}"
    )
    # Only the requests on the killed worker's connections failed: one each at most
    # (in flight, or sent before the client saw the connection die).
    assert 0 < stats.error_count <= held[victim], report
    assert stats.unexpected_count == 0, report
    # All of them as it died: none later, once the connections had moved over.
    assert all(at < killed + 0.5 for at in stats.error_times), report
    # The load went on, and from then on every request succeeded.
    assert stats.completed_between(killed, killed + 0.5) > 0, report
    assert stats.completed_between(killed + 0.5, time.monotonic()) >= 200, report
    assert server.process.poll() is None
    # The new worker answers too: new connections go to either worker.
    (replacement,) = worker_pids(server) - set(held)
    assert wait_for(lambda: httpx.get(f"{server.url}/pid").text == str(replacement), 10), report

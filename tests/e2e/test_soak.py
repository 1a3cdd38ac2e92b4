"""``make soak`` in short: the seed app on ``carafe run`` under load for 5 s per interface.

The driver is bench/soak.py, the one ``make soak`` runs for 60 s with 64 connections:
keep-alive connections cycling through the seed requests, each answer's status and body
checked, the server's RSS (main process and workers) taken after a warm-up and at the
end. Here: 16 connections, a 1 s warm-up, 5 s of load.

RSS growth is held under 10% here, against 5% in ``make soak``. Over 5 s the server
answers a few tens of thousands of requests, and its RSS (about 60 MiB, main process and
worker) moved by -0.6% to +0.9% in our runs: 10% leaves room for allocator noise on a
slower machine. A view hook keeping 1 KiB per request grew it by 32% (ASGI) to 50%
(WSGI) in 5 s on a busy 2-CPU machine, so a leak of that order fails here; smaller ones
are for the minute and the 5% bound of ``make soak``.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
from types import ModuleType

import pytest

from .serverproc import PROJECT_ROOT, RunningServer, free_port, wait_for

pytestmark = pytest.mark.e2e


def load_soak_driver() -> ModuleType:
    """bench/soak.py, imported by path (bench/ is scripts, not a package)."""
    name = "carafe_bench_soak"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "bench" / "soak.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        # Registered before it runs: its dataclasses look their module up by name.
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


soak = load_soak_driver()


SECONDS = 5.0
CONNECTIONS = 16
WARMUP = 1.0
MAX_RSS_GROWTH = 10.0
# Far below what the server answers in 5 s (~35,000 requests over ASGI here), far above
# what a server that stalls or drops connections would.
MIN_REQUESTS = 2000


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_seed_requests_under_load_all_answered_as_expected(interface: str) -> None:
    settings = soak.SoakSettings(interface, SECONDS, CONNECTIONS, WARMUP)
    result = soak.run_soak(settings)
    stats = result.stats
    figures = (
        f"{interface}: {stats.requests} requests, errors {dict(stats.errors)},"
        f" unexpected {dict(stats.unexpected)}, wrong bodies {dict(stats.wrong_bodies)},"
        f" p50/p99/max {stats.latency_ms(0.5):.1f}/{stats.latency_ms(0.99):.1f}/"
        f"{stats.latency_ms(1.0):.1f} ms, RSS {result.rss_start_kib} -> {result.rss_end_kib}"
        f" KiB ({result.rss_growth:+.2f}%)"
    )
    assert result.problems(MAX_RSS_GROWTH) == [], figures
    assert stats.requests >= MIN_REQUESTS, figures
    # The main process and at least one worker were measured.
    assert result.processes >= 2, figures


# -- the driver catches what it must ------------------------------------------------------
# The test above passes on zero errors and zero unexpected answers: these show that the
# driver does count them, against the session's seed server.


def test_driver_counts_unexpected_statuses_and_bodies(seed_server: RunningServer) -> None:
    mix = [
        soak.Probe("GET", "/", 200, body=b"Hello, World!"),
        soak.Probe("GET", "/api/data", 201, json={"name": "John", "age": 30}),
        soak.Probe("GET", "/set-cookie", 200, body=b"Cookie has NOT been set"),
        soak.Probe("GET", "/no/such/page", 404, json={"error": "something else"}),
    ]
    with soak.BackgroundLoad(seed_server.port, mix, 4) as load:
        assert wait_for(lambda: load.stats.requests >= 200, 10)
    stats = load.stats
    assert stats.error_count == 0
    assert set(stats.unexpected) == {"GET /api/data -> 200"}
    assert set(stats.wrong_bodies) == {"GET /set-cookie", "GET /no/such/page"}
    # Every request was counted exactly once, good or bad.
    bad = stats.unexpected_count + stats.wrong_body_count
    assert stats.requests >= 200
    assert 3 * stats.requests // 4 - 4 <= bad <= 3 * stats.requests // 4 + 4
    assert len(stats.latencies) == stats.requests


def test_driver_counts_connection_errors() -> None:
    port = free_port()  # nothing listens there
    with soak.BackgroundLoad(port, soak.MIX, 2, timeout=2.0) as load:
        assert wait_for(lambda: load.stats.error_count >= 10, 10)
    assert load.stats.requests == 0
    assert set(load.stats.errors) == {"connect"}


def test_driver_counts_time_outs() -> None:
    # A socket that listens but never accepts: connections open, requests go unanswered.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        with soak.BackgroundLoad(port, soak.MIX, 2, timeout=0.5) as load:
            assert wait_for(lambda: load.stats.error_count >= 4, 10)
    assert load.stats.requests == 0
    assert set(load.stats.errors) == {"timeout"}

"""Soak: ``carafe run`` serving the seed app under steady load, over WSGI and over ASGI.

    make soak                                        # 60 s x 64 connections, WSGI then ASGI
    .venv/bin/python bench/soak.py --seconds 10 --connections 16 --interface asgi
    .venv/bin/python bench/soak.py --markdown docs/benchmarks.md   # + a results section

For each interface a fresh ``carafe --app examples.seeds.app run`` is started on a free
127.0.0.1 port. Every connection is a keep-alive HTTP/1.1 connection of a small asyncio
client that cycles through the seed requests (``MIX``: the README's GETs, its two form
POSTs, a JSON response, a JSON 404), each with the status and the body it must get back.
After a warm-up, the server's RSS (main process plus workers, from /proc) is taken, then
the load runs for --seconds, then the RSS is taken again.

Reported per interface: requests, errors (connects refused, connections closed without
an answer, time-outs, malformed answers), unexpected statuses, wrong bodies, latency
p50/p99/max as the client saw it, and the RSS at the start and the end. The exit status
is 1 on any error, unexpected status or wrong body, a worker that was replaced, a
traceback in the server's output, or RSS growth of --max-rss-growth percent or more.

The client is Python on the server's CPUs: it may not load the server as hard as wrk
would, and its latencies include its own queueing. What this measures is that nothing
fails and nothing grows over many thousands of requests, not peak throughput.

The load engine (``BackgroundLoad``) is also what tests/e2e drives its fault tests with.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import os
import platform
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SEED_APP = "examples.seeds.app"
HOST = "127.0.0.1"
MARK_START = "<!-- soak:start -->"
MARK_END = "<!-- soak:end -->"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0  # carafe run kills a worker that has not stopped after 10 s
ERROR_PAUSE = 0.01  # seconds a connection waits after an error, so a dead server is not spun on
FORM = "application/x-www-form-urlencoded"
BODYLESS = frozenset({204, 304})


# ----------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Probe:
    """One request of the mix and the answer it must get: status, and body if given.

    :param json: the expected body as JSON data (compared parsed, so spacing is free).
    """

    method: str
    path: str
    status: int
    body: bytes | None = None
    json: Any = None
    payload: bytes = b""
    content_type: str | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def raw(self, host: str, port: int) -> bytes:
        """The request on the wire: HTTP/1.1, keep-alive."""
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}:{port}"]
        if self.content_type is not None:
            lines.append(f"Content-Type: {self.content_type}")
        if self.payload or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(self.payload)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.payload

    def wrong_body(self, body: bytes) -> bool:
        """Whether ``body`` is not the expected one (never, when none is given)."""
        if self.body is not None:
            return body != self.body
        if self.json is not None:
            try:
                return bool(json.loads(body) != self.json)
            except ValueError:
                return True
        return False


# The seed requests of the README, a JSON response and the JSON 404 of the error handler.
MIX: tuple[Probe, ...] = (
    Probe("GET", "/", 200, body=b"Hello, World!"),
    Probe("GET", "/set-cookie", 200, body=b"Cookie has been set!"),
    Probe(
        "POST",
        "/userDetails",
        201,
        body=b"Success",
        payload=b"username=sam&firstname=john&lastname=king",
        content_type=FORM,
    ),
    Probe(
        "POST",
        "/userSignUp",
        200,
        body=b"Success",
        payload=b"username=sam&firstname=john",
        content_type=FORM,
    ),
    Probe("GET", "/api/data", 200, json={"name": "John", "age": 30}),
    Probe("GET", "/no/such/page", 404, json={"error": "Resource not found"}),
)


class ProtocolError(Exception):
    """The server's answer is not valid HTTP/1.1."""


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        chunk = await reader.readexactly(size + 2)
        parts.append(chunk[:-2])


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Read one response: its status, its body, and whether the connection stays open."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, header_block = head[:-4].partition(b"\r\n")
    protocol, _, rest = status_line.partition(b" ")
    if not protocol.startswith(b"HTTP/1.") or not rest[:3].isdigit():
        raise ProtocolError(f"bad status line {status_line[:80]!r}")
    status = int(rest[:3])
    keep_alive = protocol == b"HTTP/1.1"
    length: int | None = None
    chunked = False
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = value.strip().lower().endswith(b"chunked")
        elif name == b"connection":
            keep_alive = value.strip().lower() != b"close"
    if chunked:
        body = await read_chunked(reader)
    elif length is not None:
        body = await reader.readexactly(length)
    elif status in BODYLESS or 100 <= status < 200:
        body = b""
    else:
        body = await reader.read()
        keep_alive = False
    return status, body, keep_alive


# ----------------------------------------------------------------------------- the load


@dataclass
class LoadStats:
    """What the connections saw, updated live (read it from other threads as it runs)."""

    requests: int = 0  # answers received, whatever their status
    errors: Counter[str] = field(default_factory=Counter)  # by kind: connect, reset, ...
    error_times: list[float] = field(default_factory=list)  # time.monotonic() of each
    unexpected: Counter[str] = field(default_factory=Counter)  # "GET / -> 500": count
    wrong_bodies: Counter[str] = field(default_factory=Counter)
    latencies: array[float] = field(default_factory=lambda: array("d"))  # seconds
    completed_at: array[float] = field(default_factory=lambda: array("d"))  # monotonic
    started: float = 0.0
    finished: float = 0.0
    _sorted: list[float] = field(default_factory=list, repr=False)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def unexpected_count(self) -> int:
        return sum(self.unexpected.values())

    @property
    def wrong_body_count(self) -> int:
        return sum(self.wrong_bodies.values())

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def completed_between(self, start: float, end: float) -> int:
        """Answers received between two ``time.monotonic()`` readings."""
        times = self.completed_at
        return bisect.bisect_left(times, end) - bisect.bisect_left(times, start)

    def latency_ms(self, quantile: float) -> float:
        """The latency at ``quantile`` (0 to 1, nearest rank) in milliseconds; 0 if none."""
        if not self.latencies:
            return 0.0
        if len(self._sorted) != len(self.latencies):
            self._sorted = sorted(self.latencies)
        ordered = self._sorted
        rank = min(len(ordered) - 1, max(0, round(quantile * len(ordered)) - 1))
        return ordered[rank] * 1000


class Connection:
    """One keep-alive client connection, cycling through the mix."""

    def __init__(self, load: BackgroundLoad, offset: int) -> None:
        self.load = load
        self.offset = offset
        self.stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.in_flight_since: float | None = None
        self.timed_out = False

    def close(self) -> None:
        if self.stream is not None:
            self.stream[1].transport.abort()
            self.stream = None

    async def run(self, stop: asyncio.Event) -> None:
        load, stats = self.load, self.load.stats
        requests = load.raw_requests
        position = self.offset % len(requests)
        try:
            while not stop.is_set():
                probe, raw = load.mix[position], requests[position]
                position = (position + 1) % len(requests)
                kind = "connect"
                started = time.perf_counter()
                try:
                    if self.stream is None:
                        self.stream = await asyncio.wait_for(
                            asyncio.open_connection(load.host, load.port), load.timeout
                        )
                    reader, writer = self.stream
                    kind = "reset"
                    self.timed_out = False
                    self.in_flight_since = time.monotonic()
                    writer.write(raw)
                    status, body, keep_alive = await read_response(reader)
                except (
                    OSError,
                    asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError,
                    asyncio.TimeoutError,
                    ValueError,
                    ProtocolError,
                ) as exc:
                    if self.timed_out or isinstance(exc, asyncio.TimeoutError):
                        kind = "timeout"
                    elif isinstance(exc, (ProtocolError, ValueError, asyncio.LimitOverrunError)):
                        kind = "protocol"
                    stats.errors[kind] += 1
                    stats.error_times.append(time.monotonic())
                    self.in_flight_since = None
                    self.close()
                    await asyncio.sleep(ERROR_PAUSE)
                    continue
                finished = time.monotonic()
                self.in_flight_since = None
                stats.latencies.append(time.perf_counter() - started)
                stats.completed_at.append(finished)
                stats.requests += 1
                if status != probe.status:
                    stats.unexpected[f"{probe.label} -> {status}"] += 1
                elif probe.wrong_body(body):
                    stats.wrong_bodies[probe.label] += 1
                if not keep_alive:
                    self.close()
        finally:
            self.close()


class BackgroundLoad:
    """``connections`` keep-alive connections sending ``mix`` in a loop, in a thread.

    Each connection sends one request, waits for its answer, checks it and sends the
    next (so at most ``connections`` requests are in flight). A failed request is
    counted, its connection dropped, and a new one opened for the next request. A
    request unanswered after ``timeout`` seconds counts as a time-out. ``stop()`` lets
    every request in flight finish, and returns the stats.
    """

    def __init__(
        self,
        port: int,
        mix: Sequence[Probe] = MIX,
        connections: int = 16,
        *,
        host: str = HOST,
        timeout: float = 10.0,
    ) -> None:
        if not mix or connections < 1:
            raise ValueError("the load needs a request and a connection at least")
        self.host = host
        self.port = port
        self.mix = tuple(mix)
        self.raw_requests = tuple(probe.raw(host, port) for probe in self.mix)
        self.connections = [Connection(self, offset) for offset in range(connections)]
        self.timeout = timeout
        self.stats = LoadStats()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._running = threading.Event()
        self._thread = threading.Thread(target=self._run_thread, name="soak-load", daemon=True)
        self._failure: BaseException | None = None

    def start(self) -> BackgroundLoad:
        self._thread.start()
        self._running.wait()
        if self._failure is not None:
            raise self._failure
        return self

    def stop(self) -> LoadStats:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()
        if self._failure is not None:
            raise self._failure
        return self.stats

    def __enter__(self) -> BackgroundLoad:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run_thread(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self._failure = exc
        finally:
            self._running.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.stats.started = time.monotonic()
        tasks = [asyncio.ensure_future(conn.run(self._stop)) for conn in self.connections]
        watchdog = asyncio.ensure_future(self._watchdog())
        self._running.set()
        try:
            await asyncio.gather(*tasks)
        finally:
            self.stats.finished = time.monotonic()
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog

    async def _watchdog(self) -> None:
        # One timer for all connections: cheaper than a wait_for around every request.
        interval = min(0.25, self.timeout / 4)
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for conn in self.connections:
                since = conn.in_flight_since
                if since is not None and now - since > self.timeout:
                    conn.timed_out = True
                    conn.close()


# ----------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def child_pids(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(child) for child in (task / "children").read_text().split()]
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (a ``carafe run`` main process and its workers)."""
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending += child_pids(current)
    return tree


def rss_kib(pid: int) -> int:
    """The resident set size of ``pid`` in KiB (0 if it is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def tree_rss_kib(pid: int) -> int:
    return sum(rss_kib(member) for member in process_tree(pid))


class Server:
    """``carafe run`` in its own process group (so no worker outlives it); output to a file."""

    def __init__(self, argv: list[str], port: int, log: IO[bytes]) -> None:
        self.argv = argv
        self.port = port
        self.log = log
        env = {**os.environ, "CARAFE_SKIP_DOTENV": "1", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            argv,
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def wait_until_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.process.returncode}:\n{self.output()}"
                )
            try:
                with socket.create_connection((HOST, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not answer in {timeout:g} s:\n{self.output()}")

    def workers(self) -> set[int]:
        return set(child_pids(self.process.pid))

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL to the group if it is not gone in time; the exit status."""
        status = self.process.poll()
        if status is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                status = self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                status = None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # our own group: this server only
        self.process.wait()
        return status


def server_command(
    port: int, interface: str, workers: int = 1, threads: int | None = None
) -> list[str]:
    command = [sys.executable, "-m", "carafe", "--app", SEED_APP, "run"]
    command += ["--host", HOST, "--port", str(port), "--interface", interface]
    command += ["--workers", str(workers)]
    if threads is not None:
        command += ["--threads", str(threads)]
    return command


# ----------------------------------------------------------------------------- the soak


@dataclass(frozen=True)
class SoakSettings:
    interface: str = "wsgi"
    seconds: float = 60.0
    connections: int = 64
    warmup: float = 5.0
    workers: int = 1
    threads: int | None = None  # carafe run's default
    timeout: float = 10.0


@dataclass
class SoakResult:
    settings: SoakSettings
    command: str
    stats: LoadStats
    warmup_requests: int
    rss_start_kib: int
    rss_end_kib: int
    rss_peak_kib: int
    processes: int
    workers_start: set[int]
    workers_end: set[int]
    exit_status: int | None
    tracebacks: int

    @property
    def rss_growth(self) -> float:
        """RSS growth from the start (after the warm-up) to the end, in percent."""
        return 100.0 * (self.rss_end_kib - self.rss_start_kib) / max(1, self.rss_start_kib)

    def problems(self, max_rss_growth: float) -> list[str]:
        """Everything that makes this run a failure; empty when it passed."""
        stats, found = self.stats, []
        if stats.error_count:
            found.append(f"{stats.error_count} errors: {dict(stats.errors)}")
        if stats.unexpected_count:
            found.append(f"{stats.unexpected_count} unexpected statuses: {dict(stats.unexpected)}")
        if stats.wrong_body_count:
            found.append(f"{stats.wrong_body_count} wrong bodies: {dict(stats.wrong_bodies)}")
        if stats.requests == 0:
            found.append("no request was answered")
        if self.workers_end != self.workers_start:
            found.append(
                f"workers changed: {sorted(self.workers_start)} -> {sorted(self.workers_end)}"
            )
        if self.tracebacks:
            found.append(f"{self.tracebacks} tracebacks in the server's output")
        if self.exit_status != 0:
            found.append(f"the server exited with {self.exit_status} on SIGTERM")
        if self.rss_growth >= max_rss_growth:
            found.append(f"RSS grew {self.rss_growth:.1f}% (limit: under {max_rss_growth:g}%)")
        return found


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_soak(settings: SoakSettings, progress: bool = False) -> SoakResult:
    """Start ``carafe run`` on the seed app, warm it up, load it, and measure it."""
    port = free_port()
    argv = server_command(port, settings.interface, settings.workers, settings.threads)
    command = shlex.join(["python", *argv[1:]]).replace(str(port), "PORT")
    with tempfile.TemporaryFile() as output:
        server = Server(argv, port, output)
        try:
            server.wait_until_ready()
            timeout = settings.timeout
            with BackgroundLoad(port, MIX, settings.connections, timeout=timeout) as warmup:
                time.sleep(settings.warmup)
            time.sleep(0.5)  # both RSS readings are taken just after a load stopped
            workers_start = server.workers()
            rss_start = peak = tree_rss_kib(server.process.pid)
            processes = len(process_tree(server.process.pid))
            if progress:
                log(f"   warmed up: {warmup.stats.requests:,} requests; RSS {rss_start:,} KiB")
            load = BackgroundLoad(port, MIX, settings.connections, timeout=timeout).start()
            try:
                deadline = time.monotonic() + settings.seconds
                next_report = time.monotonic() + 10
                while (left := deadline - time.monotonic()) > 0:
                    time.sleep(min(1.0, left))
                    peak = max(peak, tree_rss_kib(server.process.pid))
                    if progress and time.monotonic() >= next_report:
                        next_report += 10
                        stats = load.stats
                        log(
                            f"   {stats.seconds:4.0f} s: {stats.requests:,} requests,"
                            f" {stats.error_count} errors, {stats.unexpected_count} unexpected,"
                            f" RSS {tree_rss_kib(server.process.pid):,} KiB"
                        )
            finally:
                stats = load.stop()
            time.sleep(0.5)
            rss_end = tree_rss_kib(server.process.pid)
            workers_end = server.workers()
        finally:
            exit_status = server.stop()
        text = server.output()
    return SoakResult(
        settings,
        command,
        stats,
        warmup.stats.requests,
        rss_start,
        rss_end,
        max(peak, rss_end),
        processes,
        workers_start,
        workers_end,
        exit_status,
        text.count("Traceback (most recent call last)"),
    )


# ----------------------------------------------------------------------------- reporting

HEADER = ["interface", "requests", "req/s", "errors", "unexpected", "p50 ms", "p99 ms",
          "max ms", "RSS start", "RSS end", "growth"]  # fmt: skip


def row(result: SoakResult) -> list[str]:
    stats = result.stats
    return [
        result.settings.interface.upper(),
        f"{stats.requests:,}",
        f"{stats.rps:,.0f}",
        str(stats.error_count),
        str(stats.unexpected_count + stats.wrong_body_count),
        f"{stats.latency_ms(0.5):.2f}",
        f"{stats.latency_ms(0.99):.2f}",
        f"{stats.latency_ms(1.0):.1f}",
        f"{result.rss_start_kib / 1024:.1f} MiB",
        f"{result.rss_end_kib / 1024:.1f} MiB",
        f"{result.rss_growth:+.2f}%",
    ]


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(line[i]) for line in [HEADER, *rows]) for i in range(len(HEADER))]
    lines = [
        "  ".join(
            [line[0].ljust(widths[0])]
            + [c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)]
        )
        for line in [HEADER, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}"
        f" on {platform.system()} {platform.machine()}, {cpu}"
    )


def versions() -> str:
    parts = []
    for dist in ("carafe", "granian"):
        try:
            parts.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts)


def verdict(result: SoakResult, max_rss_growth: float) -> str:
    problems = result.problems(max_rss_growth)
    return ("FAILED: " + "; ".join(problems) if problems else "passed") + (
        f" (RSS peak {result.rss_peak_kib / 1024:.1f} MiB over {result.processes} processes,"
        f" after {result.warmup_requests:,} warm-up requests)"
    )


def mix_line() -> str:
    return ", ".join(f"`{probe.label}` ({probe.status})" for probe in MIX)


def markdown_section(results: list[SoakResult], max_rss_growth: float) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = shlex.join([".venv/bin/python", "bench/soak.py", *sys.argv[1:]])
    first = results[0].settings
    lines = [
        MARK_START,
        "<!-- Written by bench/soak.py --markdown; edits between these markers are replaced. -->",
        "",
        "## Soak: `carafe run` under steady load",
        "",
        f"Measured {stamp} with `{command}`. Machine: {machine()}; {versions()}.",
        "",
        f"{first.connections} keep-alive connections of an asyncio client for {first.seconds:g} s"
        f" after a {first.warmup:g} s warm-up, cycling through {mix_line()}; every answer's"
        " status and body checked. RSS is the sum over the main process and its workers"
        f" (/proc), after the warm-up and at the end; the run fails at {max_rss_growth:g}%"
        " growth or on any error or unexpected answer. Latencies are the client's, which"
        " shares the CPUs with the server.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|---" + "|---:" * (len(HEADER) - 1) + "|",
        *("| " + " | ".join(row(result)) + " |" for result in results),
        "",
    ]
    lines += [
        f"- {result.settings.interface.upper()}: `{result.command}`:"
        f" {verdict(result, max_rss_growth)}."
        for result in results
    ]
    lines.append(MARK_END)
    return "\n".join(lines) + "\n"


def write_markdown(path: Path, section: str) -> None:
    """Replace this script's section of ``path``, or append it at the end."""
    from docs_section import append_section, write_section

    write_section(path, MARK_START, MARK_END, section, lambda text: append_section(text, section))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="load time (default 60)")
    parser.add_argument("--connections", type=int, default=64, help="connections (default 64)")
    parser.add_argument(
        "--interface",
        choices=("wsgi", "asgi", "both"),
        default="both",
        help="the interface to serve, or both one after the other (default both)",
    )
    parser.add_argument(
        "--warmup", type=float, help="warm-up seconds (default: --seconds / 10, from 1 to 5)"
    )
    parser.add_argument("--workers", type=int, default=1, help="carafe run --workers (default 1)")
    parser.add_argument("--threads", type=int, help="carafe run --threads (default: its own)")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds before a request is an error"
    )
    parser.add_argument(
        "--max-rss-growth",
        type=float,
        default=5.0,
        help="fail at this RSS growth in percent or more (default 5)",
    )
    parser.add_argument("--markdown", type=Path, help="write a results section into this file")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.connections < 1 or args.workers < 1 or args.timeout <= 0:
        parser.error("--seconds, --connections, --workers and --timeout must be positive")
    warmup = args.warmup if args.warmup is not None else min(5.0, max(1.0, args.seconds / 10))
    interfaces = ("wsgi", "asgi") if args.interface == "both" else (args.interface,)

    results = []
    for interface in interfaces:
        settings = SoakSettings(
            interface, args.seconds, args.connections, warmup, args.workers, args.threads,
            args.timeout,
        )  # fmt: skip
        log(
            f"== {interface.upper()}: {args.connections} connections, {warmup:g} s warm-up,"
            f" {args.seconds:g} s load"
        )
        result = run_soak(settings, progress=True)
        results.append(result)
        for problem in result.problems(args.max_rss_growth):
            log(f"   FAILED: {problem}")

    print()
    print(text_table([row(result) for result in results]))
    print(f"\n{machine()}; {versions()}")
    for result in results:
        print(f"{result.settings.interface.upper()}: {verdict(result, args.max_rss_growth)}")
    if args.markdown:
        write_markdown(args.markdown, markdown_section(results, args.max_rss_growth))
    return 1 if any(result.problems(args.max_rss_growth) for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Calling a WSGI or ASGI app the way a server does, and timing it.

WSGI, one call = a fresh copy of the scenario's environ (and a fresh ``BytesIO`` body for
POSTs), ``app(environ, start_response)``, the body iterable consumed and closed.

ASGI, one call = a fresh copy of the scenario's scope, ``await app(scope, receive, send)``
inside one event loop (every ASGI app shares it; its lifespan startup ran once before), with
a ``receive`` that returns the whole request body in one ``http.request`` message and, asked
again, waits until the response is complete before it says ``http.disconnect`` (as a server
does for a client that stays), and a ``send`` that records the status and the end of the
body. That is all a server asks of a framework per request, so it is what gets timed; the
socket and HTTP parsing are left out because they cost every framework the same.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from io import BytesIO
from itertools import repeat
from pathlib import Path
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any

from scenarios import Scenario

if TYPE_CHECKING:
    import asyncio

# asyncio is imported only when an ASGI app runs: it brings ssl along (~11 MiB of RSS), which
# bench/memory.py must not count against WSGI frameworks that never load it.

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
App = Any  # a WSGIApp or an ASGIApp, per Framework.interface


@dataclass(frozen=True)
class Framework:
    key: str  # command-line name
    title: str  # display name
    module: str  # module under bench/apps exposing ``app``, ``routes_app`` (``session_app``)
    dists: tuple[str, ...]  # distributions whose versions the report names
    interface: str = "wsgi"  # "wsgi" or "asgi"
    attribute: str = ""  # the callable is this attribute of the module's app (``asgi``)
    skips: tuple[str, ...] = ()  # scenarios that make no sense for it (no async views)

    @property
    def is_asgi(self) -> bool:
        return self.interface == "asgi"


NO_ASYNC = ("async",)  # frameworks without ``async def`` views
NO_TEMPLATES = ("template",)  # frameworks without Jinja templates of their own
NO_SESSIONS = ("session",)  # frameworks without Flask's signed session cookie
NO_STATIC = ("static", "304")  # frameworks without a static-file route of their own

FRAMEWORKS: dict[str, Framework] = {
    f.key: f
    for f in (
        Framework("carafe", "Carafe", "apps.carafe_app", ("carafe",)),
        Framework("flask", "Flask", "apps.flask_app", ("flask", "werkzeug", "asgiref")),
        Framework(
            "falcon",
            "Falcon",
            "apps.falcon_app",
            ("falcon",),
            skips=NO_ASYNC + NO_TEMPLATES + NO_SESSIONS,
        ),
        Framework(
            "bottle",
            "Bottle",
            "apps.bottle_app",
            ("bottle",),
            skips=NO_ASYNC + NO_TEMPLATES + NO_SESSIONS,
        ),
        Framework(
            "raw",
            "raw WSGI",
            "apps.raw_wsgi",
            (),
            skips=NO_ASYNC + NO_TEMPLATES + NO_SESSIONS + NO_STATIC,
        ),
        Framework("carafe-asgi", "Carafe ASGI", "apps.carafe_asgi_app", (), "asgi", "asgi"),
        Framework(
            "carafe-asgi-sync", "Carafe ASGI (sync views)", "apps.carafe_app", (), "asgi", "asgi"
        ),
        Framework(
            "falcon-asgi",
            "Falcon ASGI",
            "apps.falcon_asgi_app",
            (),
            "asgi",
            skips=NO_TEMPLATES + NO_SESSIONS,
        ),
        Framework(
            "starlette",
            "Starlette",
            "apps.starlette_app",
            ("starlette",),
            "asgi",
            skips=NO_SESSIONS,
        ),
        Framework("quart", "Quart", "apps.quart_app", ("quart",), "asgi"),
    )
}

APPS_DIR = Path(__file__).resolve().parent / "apps"


#: The module attributes that are apps: ``app``, the 50-route ``routes_app`` and the
#: ``session_app`` (the one app with a secret key), as the scenarios' ``app`` names them.
APP_NAMES = ("app", "routes_app", "session_app")


def load(framework: Framework, name: str = "app") -> App:
    """Import the framework's app module and return the callable serving ``name`` (one of
    :data:`APP_NAMES`)."""
    app = getattr(importlib.import_module(framework.module), name)
    return getattr(app, framework.attribute) if framework.attribute else app


def port_problems() -> list[str]:
    """carafe_app.py must be flask_app.py with only the import switched (the porting promise)."""
    flask_src = (APPS_DIR / "flask_app.py").read_text()
    carafe_src = (APPS_DIR / "carafe_app.py").read_text()
    if "from carafe import" not in carafe_src:
        return ["carafe_app.py does not import from carafe"]
    if carafe_src.replace("from carafe import", "from flask import") != flask_src:
        return ["carafe_app.py differs from flask_app.py beyond the import line"]
    return []


def _shape(app: Any) -> tuple[list[tuple[str, str, tuple[str, ...]]], list[Any]]:
    """An app's URL rules (rule, endpoint, methods) and its error handlers' codes."""
    rules = sorted((r.rule, r.endpoint, tuple(sorted(r.methods))) for r in app.url_map)
    return rules, sorted(app.error_handler_spec.get(None, {}), key=str)


def async_app_problems() -> list[str]:
    """carafe_asgi_app.py must serve carafe_app.py's routes, endpoints, methods and error
    handlers (so the two cannot drift apart), with every view and handler ``async def``
    but the app's own static view (Flask's ``send_static_file``, which reads a file)."""
    import inspect

    sync = importlib.import_module("apps.carafe_app")
    asyn = importlib.import_module("apps.carafe_asgi_app")
    problems = []
    for name in APP_NAMES:
        ours, theirs = _shape(getattr(asyn, name)), _shape(getattr(sync, name))
        if ours[0] != theirs[0]:
            problems.append(f"carafe_asgi_app.{name} has other URL rules than carafe_app's")
        if ours[1] != theirs[1]:
            problems.append(f"carafe_asgi_app.{name} has other error handlers than carafe_app's")
        app = getattr(asyn, name)
        spec = app.error_handler_spec.get(None, {})
        handlers = [f for by_class in spec.values() for f in by_class.values()]
        views = [f for endpoint, f in app.view_functions.items() if endpoint != "static"]
        plain = [
            getattr(f, "__name__", repr(f))
            for f in [*views, *handlers]
            if not inspect.iscoroutinefunction(f)
        ]
        if plain:
            problems.append(f"carafe_asgi_app.{name} has plain def views: {', '.join(plain)}")
    return problems


#: The source checks run before a framework is timed (its app must keep its promise).
SOURCE_CHECKS: dict[str, Callable[[], list[str]]] = {
    "carafe": port_problems,
    "carafe-asgi-sync": port_problems,
    "carafe-asgi": async_app_problems,
}


# ----------------------------------------------------------------------------- WSGI


def _write(data: bytes) -> None:  # the legacy write() callable; no app here uses it
    pass


def call_once(app: WSGIApp, scenario: Scenario) -> tuple[str, list[tuple[str, str]], bytes]:
    """One request, keeping everything the app answered (for validation)."""
    seen: list[Any] = [None, None]

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen[0], seen[1] = status, list(headers)
        return _write

    environ = scenario.environ()
    body = scenario.request_body
    if body is not None:
        environ["wsgi.input"] = BytesIO(body)
    iterable = app(environ, start_response)
    try:
        data = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    if seen[0] is None:
        raise RuntimeError("the app never called start_response")
    return seen[0], seen[1], data


class Runner:
    """Times ``m`` back-to-back calls of one app on one scenario; the result is in ns."""

    def __init__(self, app: WSGIApp, scenario: Scenario) -> None:
        self.scenario = scenario
        self.status: list[Any] = [None]
        status = self.status

        def start_response(status_line: str, headers: Any, exc_info: Any = None) -> Any:
            status[0] = status_line
            return _write

        template = scenario.environ()
        copy = template.copy
        form = scenario.request_body

        if form is None:

            def run(m: int) -> int:
                t0 = perf_counter_ns()
                for _ in repeat(None, m):
                    iterable = app(copy(), start_response)
                    for _chunk in iterable:
                        pass
                    close = getattr(iterable, "close", None)
                    if close is not None:
                        close()
                return perf_counter_ns() - t0

        else:

            def run(m: int) -> int:
                t0 = perf_counter_ns()
                for _ in repeat(None, m):
                    environ = copy()
                    environ["wsgi.input"] = BytesIO(form)
                    iterable = app(environ, start_response)
                    for _chunk in iterable:
                        pass
                    close = getattr(iterable, "close", None)
                    if close is not None:
                        close()
                return perf_counter_ns() - t0

        self._run = run

    def run(self, m: int) -> int:
        """``m`` calls, untimed checks left out (the memory bench's loop)."""
        return self._run(m)

    def __call__(self, m: int) -> int:
        self.status[0] = None
        elapsed = self._run(m)
        # Validation ran before timing; this catches an app whose answers drift under load.
        line = self.status[0]
        if line is None or str(line).split(" ", 1)[0] != str(self.scenario.status):
            raise RuntimeError(f"{self.scenario.label} answered {line!r} while being timed")
        return elapsed

    def calibrate(self, target_ns: int) -> int:
        """Warm up, then pick the number of calls one timing needs to last ``target_ns``."""
        self(10)
        m = 1
        while True:
            elapsed = self(m)
            if elapsed >= target_ns // 8 or m >= 1 << 24:
                break
            m *= 2
        return max(1, round(m * target_ns / max(elapsed, 1)))


# ----------------------------------------------------------------------------- ASGI

_loop: asyncio.AbstractEventLoop | None = None
_lifespans: dict[int, tuple[Any, asyncio.Future[None], asyncio.Task[None]]] = {}


def event_loop() -> asyncio.AbstractEventLoop:
    """The one event loop every ASGI app runs in (created on first use)."""
    global _loop
    if _loop is None:
        import asyncio

        _loop = asyncio.new_event_loop()
    return _loop


def start_lifespan(app: ASGIApp) -> None:
    """Run the app's lifespan startup once, as a server does before the first request; the
    lifespan task then waits for :func:`close_event_loop` to send the shutdown. An app
    without lifespan support (it raises, or returns) is used as it is."""
    if id(app) in _lifespans:
        return
    loop = event_loop()
    shutdown: asyncio.Future[None] = loop.create_future()
    started: asyncio.Future[str] = loop.create_future()
    sent_startup = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_startup
        if not sent_startup:
            sent_startup = True
            return {"type": "lifespan.startup"}
        await shutdown
        return {"type": "lifespan.shutdown"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup.") and not started.done():
            started.set_result(message["type"])

    async def lifespan() -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        try:
            await app(scope, receive, send)
        except Exception:  # no lifespan support: fine, as for servers
            pass
        finally:
            if not started.done():
                started.set_result("unsupported")

    task = loop.create_task(lifespan())
    outcome = loop.run_until_complete(started)
    if outcome == "lifespan.startup.failed":
        raise RuntimeError("the app's lifespan startup failed")
    _lifespans[id(app)] = (app, shutdown, task)


def close_event_loop() -> None:
    """Send every lifespan its shutdown, then close the loop."""
    global _loop
    if _loop is None:
        return
    loop = _loop
    for _app, shutdown, _task in _lifespans.values():
        shutdown.set_result(None)
    tasks = [task for _app, _shutdown, task in _lifespans.values()]
    if tasks:
        import asyncio

        loop.run_until_complete(asyncio.wait(tasks, timeout=5))
    _lifespans.clear()
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
    _loop = None


_DISCONNECT = {"type": "http.disconnect"}


class _Exchange:
    """One request's ``receive``/``send`` pair. ``receive`` returns the body once; asked
    again, it waits for the response to end and then reports the client gone."""

    __slots__ = ("body", "done", "loop", "status", "waiter")

    def __init__(self, body: bytes, status: list[Any], loop: asyncio.AbstractEventLoop) -> None:
        self.body: bytes | None = body
        self.status = status
        self.loop = loop
        self.done = False
        self.waiter: asyncio.Future[None] | None = None

    async def receive(self) -> dict[str, Any]:
        body = self.body
        if body is not None:
            self.body = None
            return {"type": "http.request", "body": body, "more_body": False}
        if not self.done:
            self.waiter = self.loop.create_future()
            await self.waiter
        return dict(_DISCONNECT)

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.body":
            if not message.get("more_body", False):
                self._finish()
        elif kind == "http.response.start":
            self.status[0] = message["status"]

    def _finish(self) -> None:
        self.done = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class _Recorder(_Exchange):
    """An exchange that keeps every message (for validation)."""

    __slots__ = ("messages",)

    def __init__(self, body: bytes, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(body, [None], loop)
        self.messages: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        if self.done:
            raise RuntimeError(f"{message['type']} sent after the response ended")
        self.messages.append(dict(message))
        await super().send(message)


def asgi_call_once(app: ASGIApp, scenario: Scenario) -> tuple[str, list[tuple[str, str]], bytes]:
    """One ASGI request, keeping everything the app answered (for validation), as the WSGI
    ``call_once`` gives it: a status line, ``str`` headers and the whole body."""
    loop = event_loop()
    start_lifespan(app)
    exchange = _Recorder(scenario.request_body or b"", loop)
    loop.run_until_complete(app(scenario.scope(), exchange.receive, exchange.send))
    messages = exchange.messages
    if not messages or messages[0]["type"] != "http.response.start":
        raise RuntimeError(f"the app sent {[m['type'] for m in messages]}, no response start")
    if any(m["type"] != "http.response.body" for m in messages[1:]):
        raise RuntimeError(f"unexpected messages: {[m['type'] for m in messages]}")
    if not exchange.done:
        raise RuntimeError("the response never ended (no body message without more_body)")
    start = messages[0]
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])]
    body = b"".join(bytes(m.get("body", b"")) for m in messages[1:])
    return f"{start['status']} ", headers, body


class ASGIRunner(Runner):
    """Times ``m`` back-to-back ASGI calls of one app on one scenario, in the shared loop."""

    def __init__(self, app: ASGIApp, scenario: Scenario) -> None:
        self.scenario = scenario
        self.status = [None]
        status = self.status
        loop = event_loop()
        start_lifespan(app)
        copy = scenario.scope().copy
        body = scenario.request_body or b""

        async def batch(m: int) -> int:
            t0 = perf_counter_ns()
            for _ in repeat(None, m):
                exchange = _Exchange(body, status, loop)
                await app(copy(), exchange.receive, exchange.send)
            return perf_counter_ns() - t0

        def run(m: int) -> int:
            return loop.run_until_complete(batch(m))

        self._run = run


def make_runner(framework: Framework, app: App, scenario: Scenario) -> Runner:
    return ASGIRunner(app, scenario) if framework.is_asgi else Runner(app, scenario)


def call_any(framework: Framework, app: App, scenario: Scenario) -> tuple[str, Any, bytes]:
    """One request through whichever interface the framework speaks (for validation)."""
    if framework.is_asgi:
        return asgi_call_once(app, scenario)
    return call_once(app, scenario)


# ----------------------------------------------------------------------------- overhead


def null_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Does nothing useful: its per-call time is the harness's own cost."""
    start_response("200 OK", [("Content-Length", "0")])
    return [b""]


async def null_asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The ASGI app that does nothing useful (it does read the request, as apps must)."""
    if scope["type"] != "http":
        return
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def harness_overhead_ns(
    scenario: Scenario, target_ns: int, rounds: int, interface: str = "wsgi"
) -> float:
    """Median ns per call of the harness around an app that does nothing."""
    plain = replace(scenario, status=200)
    runner = ASGIRunner(null_asgi_app, plain) if interface == "asgi" else Runner(null_app, plain)
    m = runner.calibrate(target_ns)
    samples = []
    for _ in range(rounds):
        gc.collect()
        samples.append(runner(m) / m)
    samples.sort()
    return samples[len(samples) // 2]


# ----------------------------------------------------------------------------- thread hop


def _median_per_op(run: Callable[[int], int], target_ns: int, batches: int) -> float:
    """Median ns per operation of ``run(n)`` (which returns the ns ``n`` operations took)
    over ``batches`` timings of about ``target_ns`` each, after a warm-up."""
    n = 64
    while True:
        elapsed = run(n)
        if elapsed >= target_ns // 8 or n >= 1 << 20:
            break
        n *= 2
    n = max(1, round(n * target_ns / max(elapsed, 1)))
    samples = sorted(run(n) / n for _ in range(batches))
    return samples[len(samples) // 2]


def lock_ping_pong_ns(target_ns: int = 15_000_000, batches: int = 5) -> float:
    """One round trip between two OS threads, the least a hand-off to a pool thread and
    back can cost: the main thread releases lock A, a worker blocked on A wakes up and
    releases lock B, the main thread blocked on B wakes up. Median ns per round trip."""
    import _thread

    def run(n: int) -> int:
        a, b = _thread.allocate_lock(), _thread.allocate_lock()
        a.acquire()
        b.acquire()
        started = _thread.allocate_lock()
        started.acquire()

        def worker() -> None:
            started.release()
            for _ in repeat(None, n):
                a.acquire()
                b.release()

        _thread.start_new_thread(worker, ())
        started.acquire()  # the worker is up: thread start-up is not timed
        release, acquire = a.release, b.acquire
        t0 = perf_counter_ns()
        for _ in repeat(None, n):
            release()
            acquire()
        return perf_counter_ns() - t0

    return _median_per_op(run, target_ns, batches)


def _trivial() -> None:
    pass


def run_in_executor_ns(target_ns: int = 15_000_000, batches: int = 5) -> float:
    """``await loop.run_in_executor(pool, f)`` with a trivial ``f``, on the bench's event
    loop (what a sync view's hop to the thread pool and back costs before any view code
    runs). Median ns per round trip."""
    import concurrent.futures

    loop = event_loop()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="bench-hop")

    async def batch(n: int) -> int:
        run_in_executor = loop.run_in_executor
        t0 = perf_counter_ns()
        for _ in repeat(None, n):
            await run_in_executor(pool, _trivial)
        return perf_counter_ns() - t0

    try:
        return _median_per_op(lambda n: loop.run_until_complete(batch(n)), target_ns, batches)
    finally:
        pool.shutdown(wait=True)


def thread_hop_floor_us() -> dict[str, float]:
    """The OS thread round trip on this machine (~0.2 s): a lock ping-pong between two
    threads, and a bare ``run_in_executor`` round trip on the bench's loop, in µs."""
    return {
        "lock_ping_pong": lock_ping_pong_ns() / 1e3,
        "run_in_executor": run_in_executor_ns() / 1e3,
    }

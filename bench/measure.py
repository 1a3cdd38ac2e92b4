"""Calling a WSGI app the way a server does, and timing it.

One call = a fresh copy of the scenario's environ (and a fresh ``BytesIO`` body for POSTs),
``app(environ, start_response)``, the body iterable consumed and closed. That is all a WSGI
server asks of a framework per request, so it is what gets timed; the socket and HTTP
parsing are left out because they cost every framework the same.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from io import BytesIO
from itertools import repeat
from pathlib import Path
from time import perf_counter_ns
from typing import Any

from scenarios import Scenario

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Framework:
    key: str  # command-line name
    title: str  # display name
    module: str  # module under bench/apps exposing ``app``
    dists: tuple[str, ...]  # distributions whose versions the report names


FRAMEWORKS: dict[str, Framework] = {
    f.key: f
    for f in (
        Framework("carafe", "Carafe", "apps.carafe_app", ("carafe",)),
        Framework("flask", "Flask", "apps.flask_app", ("flask", "werkzeug")),
        Framework("falcon", "Falcon", "apps.falcon_app", ("falcon",)),
        Framework("bottle", "Bottle", "apps.bottle_app", ("bottle",)),
        Framework("raw", "raw WSGI", "apps.raw_wsgi", ()),
    )
}

APPS_DIR = Path(__file__).resolve().parent / "apps"


def load(framework: Framework) -> WSGIApp:
    """Import the framework's app module and return its WSGI callable."""
    return importlib.import_module(framework.module).app  # type: ignore[no-any-return]


def port_problems() -> list[str]:
    """carafe_app.py must be flask_app.py with only the import switched (the porting promise)."""
    flask_src = (APPS_DIR / "flask_app.py").read_text()
    carafe_src = (APPS_DIR / "carafe_app.py").read_text()
    if "from carafe import" not in carafe_src:
        return ["carafe_app.py does not import from carafe"]
    if carafe_src.replace("from carafe import", "from flask import") != flask_src:
        return ["carafe_app.py differs from flask_app.py beyond the import line"]
    return []


def _write(data: bytes) -> None:  # the legacy write() callable; no app here uses it
    pass


def call_once(app: WSGIApp, scenario: Scenario) -> tuple[str, list[tuple[str, str]], bytes]:
    """One request, keeping everything the app answered (for validation)."""
    seen: list[Any] = [None, None]

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen[0], seen[1] = status, list(headers)
        return _write

    environ = scenario.environ()
    if scenario.form is not None:
        environ["wsgi.input"] = BytesIO(scenario.form)
    iterable = app(environ, start_response)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    if seen[0] is None:
        raise RuntimeError("the app never called start_response")
    return seen[0], seen[1], body


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
        form = scenario.form

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

    def __call__(self, m: int) -> int:
        self.status[0] = None
        elapsed = self._run(m)
        # Validation ran before timing; this catches an app whose answers drift under load.
        line = self.status[0]
        if line is None or line.split(" ", 1)[0] != str(self.scenario.status):
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


def null_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Does nothing useful: its per-call time is the harness's own cost."""
    start_response("200 OK", [("Content-Length", "0")])
    return [b""]


def harness_overhead_ns(scenario: Scenario, target_ns: int, rounds: int) -> float:
    """Median ns per call of the harness around an app that does nothing."""
    runner = Runner(null_app, replace(scenario, status=200))
    m = runner.calibrate(target_ns)
    samples = []
    for _ in range(rounds):
        gc.collect()
        samples.append(runner(m) / m)
    samples.sort()
    return samples[len(samples) // 2]

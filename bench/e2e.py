"""End to end: real servers on loopback, driven by wrk, one server at a time.

    .venv/bin/python bench/e2e.py                     # all servers, 8 scenarios (make bench-e2e)
    .venv/bin/python bench/e2e.py --quick             # 5 scenarios, 2 s each: a smoke run
    .venv/bin/python bench/e2e.py --workers 2 --duration 10 --connections 128
    .venv/bin/python bench/e2e.py --servers carafe,falcon-granian --scenarios hello,json
    .venv/bin/python bench/e2e.py --markdown docs/benchmarks.md

Each server serves its framework's app from bench/apps/ (the same apps and scenarios as
bench/run.py) on a free 127.0.0.1 port. It first has to answer every scenario correctly once
(status, body, key headers, checked by scenarios.check); then wrk warms it up and loads each
scenario for --duration seconds, recording requests/s and the 99th percentile latency. The
servers run one after another so that they never compete for the CPUs, and each one is
stopped (its whole process group) before the next starts, on errors and Ctrl-C too.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any

from docs_section import append_section, insert_after, write_section
from measure import FRAMEWORKS, port_problems
from run import machine, markdown_table, pick_scenarios, scenario_number, text_table
from scenarios import FORM, SCENARIOS, Scenario, check

BENCH_DIR = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent  # the venv's scripts: carafe, flask, gunicorn, granian
HOST = "127.0.0.1"
MARK_START = "<!-- e2e:start -->"
MARK_END = "<!-- e2e:end -->"
IN_PROCESS_END = "<!-- bench:results:end -->"  # bench/run.py's section; ours goes after it

# The scenarios --quick runs: the ones the issue names (hello, JSON, int route, 404, POST).
QUICK_SCENARIOS = "hello,json,form-201,int-route,404-json"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
RESULT_TAG = "E2E-RESULT "


# ----------------------------------------------------------------------------- servers


@dataclass(frozen=True)
class Settings:
    workers: int  # processes of every production server
    threads: int | None  # Granian threads per worker (None: carafe run's default)
    carafe_workers_flag: bool  # `carafe run --workers` exists


@dataclass(frozen=True)
class ServerSpec:
    key: str
    title: str
    framework: str  # key in measure.FRAMEWORKS: whose app it serves
    argv: Callable[[int, Settings], list[str]]  # port -> command line
    note: str = ""
    available: Callable[[Settings], str | None] = lambda s: None  # why not, or None


def granian_threads(settings: Settings) -> int:
    # carafe run's default for WSGI (carafe.serving.default_threads): 2 * CPUs + 1. Falcon
    # on Granian gets the same count so the two Granian servers are configured alike.
    return settings.threads or 2 * (os.cpu_count() or 1) + 1


def app_target(framework: str) -> str:
    return FRAMEWORKS[framework].module + ":app"  # importable from bench/ (the cwd)


def carafe_run(workers: Callable[[Settings], int]) -> Callable[[int, Settings], list[str]]:
    def argv(port: int, s: Settings) -> list[str]:
        cmd = [str(BIN / "carafe"), "--app", app_target("carafe"), "run"]
        cmd += ["--host", HOST, "--port", str(port)]
        if s.carafe_workers_flag:
            cmd += ["--workers", str(workers(s))]
            if s.threads:
                cmd += ["--threads", str(s.threads)]
        return cmd

    return argv


def gunicorn(framework: str) -> Callable[[int, Settings], list[str]]:
    def argv(port: int, s: Settings) -> list[str]:
        return [
            *(str(BIN / "gunicorn"), "--bind", f"{HOST}:{port}"),
            *("--workers", str(s.workers), "--worker-class", "sync"),
            *("--log-level", "warning", app_target(framework)),
        ]

    return argv


def flask_run(port: int, s: Settings) -> list[str]:
    # The development server: no debug, no reloader, threaded (Flask's defaults).
    return [str(BIN / "flask"), "--app", app_target("flask"), "run", "--host", HOST,
            "--port", str(port)]  # fmt: skip


def falcon_granian(port: int, s: Settings) -> list[str]:
    return [
        *(str(BIN / "granian"), "--interface", "wsgi", "--host", HOST, "--port", str(port)),
        *("--workers", str(s.workers), "--blocking-threads", str(granian_threads(s))),
        *("--no-ws", "--log-level", "warning", app_target("falcon")),
    ]


def needs_workers_flag(s: Settings) -> str | None:
    return None if s.carafe_workers_flag else "`carafe run` has no --workers option yet"


def one_worker_run(s: Settings) -> str | None:
    if not s.carafe_workers_flag and s.workers != 1:
        return f"`carafe run` has no --workers option yet (asked for {s.workers})"
    return None


def extra_carafe_run(s: Settings) -> str | None:
    if s.workers != 1:
        return "only added when the other servers run 1 worker"
    return needs_workers_flag(s)


def installed(program: str) -> Callable[[Settings], str | None]:
    def check_installed(s: Settings) -> str | None:
        return None if (BIN / program).exists() else f"{BIN / program} is not installed"

    return check_installed


def all_of(*checks: Callable[[Settings], str | None]) -> Callable[[Settings], str | None]:
    def combined(s: Settings) -> str | None:
        return next((why for why in (c(s) for c in checks) if why), None)

    return combined


SERVERS: tuple[ServerSpec, ...] = (
    ServerSpec(
        "carafe",
        "carafe run",
        "carafe",
        carafe_run(lambda s: s.workers),
        "Carafe's own server: Granian over WSGI, Carafe's default threads",
        all_of(installed("carafe"), one_worker_run),
    ),
    ServerSpec(
        "carafe-w2",
        "carafe run -w2",
        "carafe",
        carafe_run(lambda s: 2),
        "the same with a second worker process; only run when the others run one",
        all_of(installed("carafe"), extra_carafe_run),
    ),
    ServerSpec(
        "carafe-gunicorn",
        "Carafe+gunicorn",
        "carafe",
        gunicorn("carafe"),
        "sync workers, which close the connection after each response",
        installed("gunicorn"),
    ),
    ServerSpec(
        "flask-run",
        "flask run",
        "flask",
        flask_run,
        "Werkzeug's development server, threaded, no debug; always one process",
        installed("flask"),
    ),
    ServerSpec(
        "flask-gunicorn",
        "Flask+gunicorn",
        "flask",
        gunicorn("flask"),
        "sync workers, which close the connection after each response",
        installed("gunicorn"),
    ),
    ServerSpec(
        "falcon-granian",
        "Falcon+Granian",
        "falcon",
        falcon_granian,
        "Granian's CLI, WSGI, the same thread count as `carafe run`",
        installed("granian"),
    ),
)
BY_KEY = {s.key: s for s in SERVERS}
BASELINES = ("flask-run", "falcon-granian")  # the ratio tables compare against these


def server_env() -> dict[str, str]:
    """The environment without anything that could reconfigure a server behind our back."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CARAFE_", "FLASK_", "GRANIAN_", "GUNICORN_", "WERKZEUG_"))
        and k not in ("PYTHONPATH", "GUNICORN_CMD_ARGS", "WEB_CONCURRENCY")
    }
    # The bench apps' folder, then the caller's PYTHONPATH: `make bench-e2e` points it at
    # Carafe's compiled build (build/compiled), which the servers then import.
    paths = [str(BENCH_DIR), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env.update(
        PYTHONPATH=os.pathsep.join(paths),
        PYTHONUNBUFFERED="1",
        FLASK_SKIP_DOTENV="1",
        CARAFE_SKIP_DOTENV="1",
    )
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class ServerError(Exception):
    pass


class RunningServer:
    """A server in its own process group (so its workers stop with it), output to a file."""

    def __init__(self, argv: list[str], log: IO[bytes], port: int) -> None:
        self.argv = argv
        self.log = log
        self.port = port
        self.process = subprocess.Popen(
            argv,
            cwd=BENCH_DIR,
            env=server_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self, last: int = 2000) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-last:]

    def wait_until_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"exited with {self.process.returncode}:\n{self.output()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise ServerError(f"did not answer on port {self.port} in {timeout:g} s:\n{self.output()}")

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)  # the group we created: this server only

    def stop(self) -> None:
        """SIGTERM the server's process group; SIGKILL it if it is not gone in time."""
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT)
        # Workers left behind by a main process that died first.
        self._signal_group(signal.SIGKILL)


# ----------------------------------------------------------------------------- requests


def request_once(port: int, scenario: Scenario) -> list[str]:
    """One real request; everything wrong with the answer (empty when it is right)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        headers = {"Content-Type": FORM} if scenario.form is not None else {}
        connection.request(scenario.method, scenario.path, body=scenario.form, headers=headers)
        response = connection.getresponse()
        body = response.read()
        status = f"{response.status} {response.reason}"
        return check(scenario, status, response.getheaders(), body)
    except (OSError, http.client.HTTPException) as exc:
        return [f"request failed: {exc!r}"]
    finally:
        connection.close()


def lua_string(text: str) -> str:
    if not text.isascii() or not text.isprintable():
        raise ValueError(f"not a plain ASCII string: {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lua_script(scenario: Scenario) -> str:
    """wrk's script: the request (method, body, content type) and a parsable summary."""
    lines = [f"wrk.method = {lua_string(scenario.method)}"]
    if scenario.form is not None:
        lines.append(f"wrk.body = {lua_string(scenario.form.decode())}")
        lines.append(f'wrk.headers["Content-Type"] = {lua_string(FORM)}')
    lines += [
        "function done(summary, latency, requests)",
        "  local e = summary.errors",
        f'  io.write(string.format("{RESULT_TAG}%d %d %d %d %d %d %d %.1f %.1f %.1f\\n",',
        "    summary.requests, summary.duration, e.connect, e.read, e.write, e.status,",
        "    e.timeout, latency:percentile(50), latency:percentile(99), latency.max))",
        "end",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Load:
    requests: int
    seconds: float
    socket_errors: int  # connect + read + write + timeout
    status_errors: int  # responses with status >= 400
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True)
class WrkSettings:
    threads: int
    connections: int
    duration: int  # seconds
    timeout: int = 10  # seconds before wrk counts a request as timed out

    def argv(self, duration: int) -> list[str]:
        return [
            *("wrk", f"-t{self.threads}", f"-c{self.connections}", f"-d{duration}s"),
            f"--timeout={self.timeout}s",
        ]

    def describe(self) -> str:
        return f"wrk -t{self.threads} -c{self.connections} -d{self.duration}s"


def run_wrk(wrk: WrkSettings, port: int, scenario: Scenario, script: Path, duration: int) -> Load:
    argv = [*wrk.argv(duration), "-s", str(script), f"http://{HOST}:{port}{scenario.path}"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=False)
    line = next(
        (ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_TAG)),
        None,
    )
    if done.returncode != 0 or line is None:
        raise ServerError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    fields = line[len(RESULT_TAG) :].split()
    requests, duration_us, connect, read, write, status, timeout = map(int, fields[:7])
    p50, p99, worst = map(float, fields[7:])
    return Load(
        requests,
        duration_us / 1e6,
        connect + read + write + timeout,
        status,
        p50 / 1e3,
        p99 / 1e3,
        worst / 1e3,
    )


# ----------------------------------------------------------------------------- the run

Cell = tuple[str, str]  # (server key, scenario name)


@dataclass
class Results:
    servers: list[ServerSpec]
    scenarios: list[Scenario]
    settings: Settings
    wrk: WrkSettings
    warmup: int
    rounds: int = 1
    commands: dict[str, str] = field(default_factory=dict)
    samples: dict[Cell, list[Load]] = field(default_factory=dict)  # one Load per round
    loads: dict[Cell, Load] = field(default_factory=dict)  # the rounds combined
    invalid: dict[Cell, list[str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # server key -> why it did not run
    skipped: dict[str, str] = field(default_factory=dict)  # server key -> why not in the run
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def rps(self, server: str, scenario: str) -> float | None:
        load = self.loads.get((server, scenario))
        return load.rps if load else None

    @property
    def common(self) -> list[Scenario]:
        return [
            s for s in self.scenarios if all((v.key, s.name) in self.loads for v in self.servers)
        ]

    def geomean_rps(self, server: str) -> float:
        values = [self.loads[server, s.name].rps for s in self.common]
        return math.exp(statistics.fmean(math.log(v) for v in values)) if values else math.nan


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def shown(arg: str) -> str:
    """A program from the venv as ``.venv/bin/NAME`` when it is under the working directory."""
    if arg.startswith(str(BIN)):
        try:
            return str(Path(arg).relative_to(Path.cwd()))
        except ValueError:
            pass
    return arg


def bench_server(spec: ServerSpec, results: Results, scripts: dict[str, Path]) -> None:
    port = free_port()
    argv = spec.argv(port, results.settings)
    # The port is chosen per run; the report shows PORT in its place.
    results.commands[spec.key] = shlex.join(shown(a).replace(str(port), "PORT") for a in argv)
    log(f"== {spec.title} on port {port}: {results.commands[spec.key]}  (cwd bench/)")
    if spec.framework == "carafe" and port_problems():
        results.failed[spec.key] = "; ".join(port_problems())
        return
    with tempfile.TemporaryFile() as output:
        server = RunningServer(argv, output, port)
        try:
            server.wait_until_ready()
            for scenario in results.scenarios:
                problems = request_once(port, scenario)
                if problems:
                    results.invalid[spec.key, scenario.name] = problems
                    log(f"   WRONG RESPONSE to {scenario.label}, not loaded: {problems}")
            valid = [s for s in results.scenarios if (spec.key, s.name) not in results.invalid]
            if valid and results.warmup:
                run_wrk(results.wrk, port, valid[0], scripts[valid[0].name], results.warmup)
            for scenario in valid:
                load = run_wrk(
                    results.wrk, port, scenario, scripts[scenario.name], results.wrk.duration
                )
                results.samples.setdefault((spec.key, scenario.name), []).append(load)
                expected_status_errors = load.requests if scenario.status >= 400 else 0
                if load.status_errors != expected_status_errors:
                    results.warnings.append(
                        f"{spec.title} / {scenario.label}: {load.status_errors} of"
                        f" {load.requests} responses had an unexpected status class"
                    )
                if load.socket_errors:
                    results.warnings.append(
                        f"{spec.title} / {scenario.label}: {load.socket_errors} socket errors"
                        " (connect/read/write/timeout)"
                    )
                log(
                    f"   {scenario.label:<22} {load.rps:>10,.0f} req/s   p99 {load.p99_ms:8.2f} ms"
                    + (f"   {load.socket_errors} socket errors" if load.socket_errors else "")
                )
                if server.process.poll() is not None:
                    raise ServerError(f"exited with {server.process.returncode} under load")
        except ServerError as exc:
            results.failed[spec.key] = str(exc)
            log(f"   FAILED: {exc}")
        finally:
            server.stop()


def combine(loads: list[Load]) -> Load:
    """Several rounds of one cell: requests/s over all of them, the median p99."""
    return Load(
        sum(x.requests for x in loads),
        sum(x.seconds for x in loads),
        sum(x.socket_errors for x in loads),
        sum(x.status_errors for x in loads),
        statistics.median(x.p50_ms for x in loads),
        statistics.median(x.p99_ms for x in loads),
        max(x.max_ms for x in loads),
    )


def run_all(results: Results) -> None:
    with tempfile.TemporaryDirectory(prefix="carafe-e2e-") as tmp:
        scripts = {}
        for scenario in results.scenarios:
            scripts[scenario.name] = Path(tmp, f"{scenario.name}.lua")
            scripts[scenario.name].write_text(lua_script(scenario))
        for round_no in range(results.rounds):
            if results.rounds > 1:
                log(f"-- round {round_no + 1}/{results.rounds}")
            # Every other round runs the servers in reverse, so drift hits them all alike.
            order = results.servers if round_no % 2 == 0 else results.servers[::-1]
            for spec in order:
                if spec.key not in results.failed:
                    bench_server(spec, results, scripts)
    results.loads = {
        cell: combine(loads)
        for cell, loads in results.samples.items()
        if cell[0] not in results.failed and cell not in results.invalid
    }


# ----------------------------------------------------------------------------- reporting


def _rps(value: float | None) -> str:
    return "FAIL" if value is None else f"{value:,.0f}"


def _ms(value: float | None) -> str:
    if value is None:
        return "FAIL"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _ratio(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


def row_label(scenario: Scenario) -> str:
    return f"{scenario_number(scenario)}. {scenario.label}"


def geo_label(results: Results) -> str:
    label = "geometric mean"
    if len(results.common) != len(results.scenarios):
        label += f" ({len(results.common)} common scenarios)"
    return label


def tables(results: Results) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Title -> (header, rows); the last row of each table is a summary row."""
    header = ["scenario"] + [v.title for v in results.servers]
    out: dict[str, tuple[list[str], list[list[str]]]] = {}

    rows = [
        [row_label(s)] + [_rps(results.rps(v.key, s.name)) for v in results.servers]
        for s in results.scenarios
    ]
    rows.append([geo_label(results)] + [_rps(results.geomean_rps(v.key)) for v in results.servers])
    out["Requests per second (higher is better)"] = (header, rows)

    rows = []
    for s in results.scenarios:
        cells = [results.loads.get((v.key, s.name)) for v in results.servers]
        rows.append([row_label(s)] + [_ms(c.p99_ms if c else None) for c in cells])
    worst = []
    for v in results.servers:
        p99s = [results.loads[v.key, s.name].p99_ms for s in results.common]
        worst.append(_ms(max(p99s)) if p99s else "-")
    rows.append(["worst p99", *worst])
    out["p99 latency in ms (lower is better)"] = (header, rows)

    for base_key in BASELINES:
        base = BY_KEY[base_key]
        if base not in results.servers:
            continue
        rows = []
        for s in results.scenarios:
            base_rps = results.rps(base_key, s.name)
            row = [row_label(s)]
            for v in results.servers:
                value = results.rps(v.key, s.name)
                ok = value is not None and base_rps is not None
                row.append(_ratio(value / base_rps if ok else None))  # type: ignore[operator]
            rows.append(row)
        base_geo = results.geomean_rps(base_key)
        rows.append(
            [geo_label(results)]
            + [_ratio(results.geomean_rps(v.key) / base_geo) for v in results.servers]
        )
        out[f"Requests/s relative to {base.title} (above 1 = more requests/s)"] = (header, rows)
    return out


def targets(results: Results) -> list[str]:
    """The issue's end-to-end targets for `carafe run`, against what was measured."""
    keys = [v.key for v in results.servers]
    if "carafe" not in keys:
        return []
    carafe = results.geomean_rps("carafe")
    lines = []
    for key, target in (("flask-run", 15.0), ("falcon-granian", 1.0)):
        if key not in keys:
            continue
        ratio = carafe / results.geomean_rps(key)
        if math.isnan(ratio):
            continue
        verdict = "met" if ratio >= target else "NOT met"
        lines.append(
            f"carafe run vs {BY_KEY[key].title}: {_ratio(ratio)} the requests/s"
            f" (geometric mean; target >= {target:g}x: {verdict})"
        )
    return lines


def wrk_version() -> str:
    try:
        done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    except OSError:
        return "wrk (unknown version)"
    first = (done.stdout or done.stderr).splitlines()
    return " ".join(first[0].split()[:2]) if first else "wrk"


def versions() -> str:
    parts = []
    for dist in ("carafe", "flask", "werkzeug", "falcon", "granian", "gunicorn"):
        try:
            parts.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts) + ", " + wrk_version()


def command() -> str:
    return shlex.join([".venv/bin/python", "bench/e2e.py", *sys.argv[1:]])


def load_line(results: Results) -> str:
    s = results.settings
    return (
        f"Load: `{results.wrk.describe()} --timeout {results.wrk.timeout}s` per scenario on"
        f" {HOST}, after a {results.warmup} s warm-up per server; servers one at a time,"
        + (
            f" {results.rounds} rounds in alternating order (requests/s over all rounds,"
            " median p99),"
            if results.rounds > 1
            else ""
        )
        + f" {s.workers} worker process{'es' if s.workers != 1 else ''} each for the production"
        " servers (`flask run` is always one process); wrk shares the"
        f" {os.cpu_count()} CPUs with the server."
    )


def print_report(results: Results) -> None:
    print()
    print(load_line(results).replace("`", ""))
    for title, (header, rows) in tables(results).items():
        print(f"\n{title}")
        print(text_table(header, rows))
    print()
    for line in targets(results):
        print(line)
    for line in results.warnings:
        print(f"warning: {line}")
    for key, why in results.skipped.items():
        print(f"not run: {key}: {why}")
    for key, why in results.failed.items():
        print(f"FAILED: {BY_KEY[key].title}: {why.splitlines()[0] if why else ''}")
    for (key, name), problems in sorted(results.invalid.items()):
        print(f"WRONG RESPONSE (not loaded): {BY_KEY[key].title} / {name}: {problems}")
    print(f"\n{os.cpu_count()} CPUs; {machine()}; {versions()}; {results.seconds:.0f} s")


def command_cell(results: Results, key: str) -> str:
    if key in results.commands:
        return f"`{results.commands[key]}`"
    return f"not run: {results.skipped[key]}" if key in results.skipped else "not run"


def markdown_section(results: Results) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        MARK_START,
        "<!-- Written by bench/e2e.py --markdown; edits between these markers are replaced. -->",
        "",
        "## End to end: real servers under wrk",
        "",
        "`bench/e2e.py` (`make bench-e2e`) serves the same apps (`bench/apps/`) on real servers"
        " on loopback and loads them with [wrk](https://github.com/wg/wrk), one server at a"
        " time so they never compete for the CPUs. Each server must first answer every"
        " scenario correctly once (the checks of `bench/run.py`); then wrk warms it up and"
        " loads each scenario in turn (POSTs send the form body and content type from a Lua"
        " script), recording requests/s and the 99th percentile latency. Every server is"
        " stopped (its whole process group) before the next one starts, on errors and Ctrl-C"
        " too. This section holds end-to-end numbers only; the per-request costs above are"
        " `bench/run.py`'s.",
        "",
        "```",
        "make bench-e2e                                   # = .venv/bin/python bench/e2e.py"
        " (installs wrk if missing)",
        ".venv/bin/python bench/e2e.py --quick            # 5 scenarios x 2 s: a smoke run",
        ".venv/bin/python bench/e2e.py --workers 2 --duration 10 --connections 128",
        ".venv/bin/python bench/e2e.py --servers carafe,flask-run --scenarios hello,json",
        ".venv/bin/python bench/e2e.py --markdown docs/benchmarks.md   # refresh this section",
        "```",
        "",
        "Servers, chosen with `--servers` (the commands run from `bench/`, on a free port):",
        "",
        "| `--servers` | server | what it is | command |",
        "|---|---|---|---|",
        *(
            f"| `{v.key}` | {v.title} | {v.note} | {command_cell(results, v.key)} |"
            for v in SERVERS
        ),
        "",
        "`--workers N` sets the processes of every production server (`flask run` is always"
        " one), `--threads N` Granian's threads per worker. `carafe run -w2` shows what a"
        " second process buys on this machine; it is not a like-for-like comparison with"
        " one-process servers (run `--workers 2` for that). The exit status is 1 when a server"
        " failed or answered a scenario wrongly.",
        "",
        "Read the numbers with the machine in mind: wrk runs on the same CPUs as the server,"
        " gunicorn's sync workers close the connection after every response (wrk reconnects"
        " each time), and only ratios within one run are worth comparing, not absolute"
        " requests/s. One round is noisy on a small shared machine (on the 2-CPU machine"
        " below, single cells moved by up to ~20% between consecutive runs): before reading"
        " anything into a ratio near 1, use `--rounds 3` (the servers run again in"
        " alternating order; requests/s are pooled over the rounds, p99 is the median).",
        "",
        "### Latest end-to-end results",
        "",
        f"Measured {stamp} with `{command()}`.",
        f"Machine: {os.cpu_count()} CPUs, {machine()}.",
        f"Versions: {versions()}.",
        load_line(results),
        "",
    ]
    for title, (header, rows) in tables(results).items():
        parts += [f"{title}:", "", markdown_table(header, rows), ""]
    parts += [f"- {line}" for line in targets(results)]
    parts += [f"- Warning: {line}" for line in results.warnings]
    parts += [f"- Not run: `{key}`: {why}" for key, why in results.skipped.items()]
    parts += [
        f"- FAILED: {BY_KEY[key].title}: {why.splitlines()[0] if why else ''}"
        for key, why in results.failed.items()
    ]
    parts += [
        f"- Wrong response, not loaded: {BY_KEY[key].title} / {name}: {'; '.join(problems)}"
        for (key, name), problems in sorted(results.invalid.items())
    ]
    parts.append(MARK_END)
    return "\n".join(parts) + "\n"


def write_markdown(path: Path, section: str) -> None:
    """Replace our section; else put it after bench/run.py's, else at the end."""

    def fallback(text: str) -> str:
        return insert_after(text, IN_PROCESS_END, section) or append_section(text, section)

    write_section(path, MARK_START, MARK_END, section, fallback)


def write_json(path: Path, results: Results) -> None:
    data: dict[str, Any] = {
        "command": command(),
        "machine": machine(),
        "cpus": os.cpu_count(),
        "versions": versions(),
        "wrk": results.wrk.describe(),
        "workers": results.settings.workers,
        "servers": {v.key: results.commands.get(v.key) for v in results.servers},
        "results": {
            f"{key}/{name}": {
                "rps": load.rps,
                "p50_ms": load.p50_ms,
                "p99_ms": load.p99_ms,
                "max_ms": load.max_ms,
                "requests": load.requests,
                "socket_errors": load.socket_errors,
            }
            for (key, name), load in results.loads.items()
        },
        "failed": results.failed,
        "invalid": {f"{k}/{n}": p for (k, n), p in results.invalid.items()},
        "warnings": results.warnings,
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


# ----------------------------------------------------------------------------- main


def carafe_has_workers_flag() -> bool:
    try:
        done = subprocess.run(
            [str(BIN / "carafe"), "run", "--help"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=server_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--workers" in done.stdout


def pick_servers(
    spec: str | None, settings: Settings, results_skipped: dict[str, str]
) -> list[ServerSpec]:
    explicit = bool(spec)
    keys = [k.strip() for k in spec.split(",") if k.strip()] if spec else list(BY_KEY)
    picked: list[ServerSpec] = []
    for key in keys:
        server = BY_KEY.get(key)
        if server is None:
            raise SystemExit(f"unknown server {key!r}; known: {', '.join(BY_KEY)}")
        why = server.available(settings)
        if why:
            if explicit and key != "carafe-w2":
                raise SystemExit(f"{server.title}: {why}")
            results_skipped[key] = why
            continue
        picked.append(server)
    if not picked:
        raise SystemExit("no server to run")
    return picked


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # unwinds through every server's stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"scenarios {QUICK_SCENARIOS}, 2 s each, 1 s warm-up"
    )
    parser.add_argument("--servers", help=f"comma-separated, from: {','.join(BY_KEY)}")
    parser.add_argument(
        "--scenarios",
        help="comma-separated numbers (1-8) or names: "
        + ",".join(s.name for s in SCENARIOS)
        + " (default: all; --quick: "
        + QUICK_SCENARIOS
        + ")",
    )
    parser.add_argument("--duration", type=int, help="seconds of load per scenario (default 5)")
    parser.add_argument("--connections", type=int, default=64, help="wrk -c (default 64)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every server this many times, alternating the order (default 1)",
    )
    parser.add_argument("--warmup", type=int, help="seconds of warm-up per server (default 2)")
    parser.add_argument(
        "--workers", type=int, default=1, help="processes per production server (default 1)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="Granian threads per worker, carafe run and Falcon alike (default 2 * CPUs + 1)",
    )
    parser.add_argument("--markdown", type=Path, help="write the e2e section of this file")
    parser.add_argument("--json", type=Path, help="write the results as JSON to this file")
    args = parser.parse_args(argv)

    if shutil.which("wrk") is None:
        raise SystemExit(
            "error: wrk is not installed (the load generator this benchmark drives).\n"
            "  Debian/Ubuntu: apt-get install -y wrk   (`make bench-e2e` installs it)"
        )
    duration = args.duration or (2 if args.quick else 5)
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 2)
    if duration < 1 or warmup < 0 or args.connections < 1 or args.wrk_threads < 1:
        parser.error("--duration, --connections and --wrk-threads must be positive")
    if args.rounds < 1 or args.workers < 1 or (args.threads is not None and args.threads < 1):
        parser.error("--rounds, --workers and --threads must be positive")
    if args.connections < args.wrk_threads:
        parser.error("--connections must be at least --wrk-threads")

    scenarios = pick_scenarios(args.scenarios or (QUICK_SCENARIOS if args.quick else None))
    settings = Settings(args.workers, args.threads, carafe_has_workers_flag())
    skipped: dict[str, str] = {}
    servers = pick_servers(args.servers, settings, skipped)
    wrk = WrkSettings(args.wrk_threads, args.connections, duration)
    results = Results(servers, scenarios, settings, wrk, warmup, args.rounds, skipped=skipped)

    per_server = warmup + len(scenarios) * (duration + 0.3) + 3
    log(
        f"{len(servers)} servers x {len(scenarios)} scenarios x {args.rounds} round(s),"
        f" {wrk.describe()}: about {args.rounds * len(servers) * per_server / 60:.1f} min"
    )
    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, _terminate) for sig in stop_signals}
    started = time.perf_counter()
    try:
        run_all(results)
    except KeyboardInterrupt:
        log("interrupted; every server started has been stopped")
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    results.seconds = time.perf_counter() - started

    print_report(results)
    if args.markdown:
        write_markdown(args.markdown, markdown_section(results))
        print(f"results written to {args.markdown}")
    if args.json:
        write_json(args.json, results)
        print(f"results written to {args.json}")
    return 1 if results.failed or results.invalid else 0


if __name__ == "__main__":
    sys.exit(main())

"""``carafe run`` for real: graceful shutdown, options, environment, debug page, reloading."""

from __future__ import annotations

import contextlib
import signal
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from .serverproc import (
    PROJECT_ROOT,
    RunningServer,
    carafe_run_command,
    free_port,
    start_server,
    worker_pids,
)

pytestmark = pytest.mark.e2e

StartServer = Callable[..., RunningServer]

LIFECYCLE_APP = "tests/e2e/apps/lifecycle.py:app"
# The slow view sleeps this long; the signal is sent while it is in flight.
SLOW_SECONDS = 1.5


@pytest.fixture(scope="module")
def lifecycle_server() -> RunningServer:
    """The lifecycle app on ``carafe run`` with default options, for read-only checks."""
    port = free_port()
    server = start_server(carafe_run_command(port, LIFECYCLE_APP), port)
    yield server  # type: ignore[misc]
    server.stop()
    server.log.close()


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_in_flight_request_completes_on_shutdown(
    start_extra_server: StartServer, sig: signal.Signals, interface: str
) -> None:
    port = free_port()
    command = carafe_run_command(port, LIFECYCLE_APP, ["--interface", interface])
    server = start_extra_server(command, port)
    answer: dict[str, httpx.Response | BaseException] = {}

    def slow_request() -> None:
        try:
            answer["response"] = httpx.get(f"{server.url}/slow", timeout=15)
        except BaseException as exc:
            answer["error"] = exc

    # The worker must be up, so the slow request is being handled when the signal lands.
    assert httpx.get(server.url, timeout=10).text == "lifecycle"
    client = threading.Thread(target=slow_request)
    client.start()
    time.sleep(SLOW_SECONDS / 3)
    signalled = time.monotonic()
    status = server.stop(sig, timeout=SLOW_SECONDS + 5)
    stopped_after = time.monotonic() - signalled
    client.join(15)
    assert "error" not in answer, f"{answer['error']!r}\n{server.output()}"
    response = answer["response"]
    assert isinstance(response, httpx.Response)
    assert (response.status_code, response.text) == (200, "slow done")
    assert status == 0, server.output()
    assert stopped_after < SLOW_SECONDS + 4
    # Nothing accepts connections any more.
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url, timeout=2)


def test_default_run_banner(lifecycle_server: RunningServer) -> None:
    assert httpx.get(lifecycle_server.url, timeout=10).text == "lifecycle"
    output = lifecycle_server.output()
    assert " * Interface: WSGI (1 worker, " in output
    assert " * Debug mode: off" in output
    assert "Reloading" not in output


def test_unhandled_error_without_debug_is_a_plain_500(lifecycle_server: RunningServer) -> None:
    response = httpx.get(f"{lifecycle_server.url}/boom", timeout=10)
    assert response.status_code == 500
    assert "<title>500 Internal Server Error</title>" in response.text
    # No traceback, no source, no message leaks without debug mode.
    assert "Traceback" not in response.text
    assert "boom" not in response.text


@pytest.mark.skipif(sys.platform != "linux", reason="reads worker processes from /proc")
def test_workers_threads_and_access_log(start_extra_server: StartServer) -> None:
    port = free_port()
    options = ["--workers", "2", "--threads", "3", "--access-log"]
    server = start_extra_server(carafe_run_command(port, LIFECYCLE_APP, options), port)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.get("/").text == "lifecycle"
    assert len(worker_pids(server)) == 2
    assert " * Interface: WSGI (2 workers, 3 threads each)" in server.output()
    deadline = time.monotonic() + 5
    while '"GET / HTTP/1.1" 200' not in server.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert '"GET / HTTP/1.1" 200' in server.output()
    assert server.stop() == 0, server.output()


def test_settings_from_environment_variables(start_extra_server: StartServer) -> None:
    port = free_port()
    env = {
        "CARAFE_APP": LIFECYCLE_APP,
        "CARAFE_RUN_PORT": str(port),
        "CARAFE_RUN_HOST": "127.0.0.1",
        "CARAFE_RUN_WORKERS": "1",
        "CARAFE_RUN_THREADS": "2",
        "CARAFE_RUN_INTERFACE": "wsgi",
        "CARAFE_DEBUG": "1",
        "CARAFE_RUN_RELOAD": "0",
        "CARAFE_RUN_ACCESS_LOG": "1",
    }
    command = [sys.executable, "-m", "carafe", "run"]
    server = start_extra_server(command, port, env=env)
    settings = httpx.get(f"{server.url}/settings", timeout=10).json()
    assert settings["debug"] is True
    output = server.output()
    assert " * Interface: WSGI (1 worker, 2 threads each)" in output
    assert " * Debug mode: on" in output
    assert "Reloading" not in output
    assert server.stop() == 0, output


def test_dotenv_files_are_loaded(start_extra_server: StartServer, tmp_path: Path) -> None:
    port = free_port()
    app_path = PROJECT_ROOT / LIFECYCLE_APP.partition(":")[0]
    (tmp_path / ".env").write_text(
        f"CARAFE_APP={app_path}:app\nCARAFE_E2E_GREETING=from .env\n", encoding="utf-8"
    )
    (tmp_path / ".carafeenv").write_text(
        f"CARAFE_RUN_PORT={port}\nCARAFE_E2E_GREETING=from .carafeenv\n", encoding="utf-8"
    )
    command = [sys.executable, "-m", "carafe", "run"]
    env = {"PYTHONPATH": str(PROJECT_ROOT / "src")}
    server = start_extra_server(command, port, env=env, cwd=tmp_path)
    settings = httpx.get(f"{server.url}/settings", timeout=10).json()
    # .env takes precedence over .carafeenv, as Flask's .env over .flaskenv.
    assert settings["greeting"] == "from .env"
    assert server.stop() == 0, server.output()


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_debug_serves_the_traceback_page(start_extra_server: StartServer, interface: str) -> None:
    port = free_port()
    options = ["--debug", "--no-reload", "--interface", interface]
    command = carafe_run_command(port, LIFECYCLE_APP, options)
    server = start_extra_server(command, port)
    html = httpx.get(f"{server.url}/boom", timeout=10)
    assert html.status_code == 500
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert "ValueError" in html.text
    assert "lifecycle.py" in html.text
    assert "&lt;script&gt;alert(&#39;boom&#39;)&lt;/script&gt;" in html.text
    assert "<script>alert" not in html.text
    plain = httpx.get(f"{server.url}/boom", headers={"Accept": "text/plain"}, timeout=10)
    assert plain.status_code == 500
    assert plain.headers["content-type"] == "text/plain; charset=utf-8"
    assert plain.text.startswith("Traceback (most recent call last):")
    assert plain.text.rstrip().endswith("ValueError: <script>alert('boom')</script>")
    assert httpx.get(f"{server.url}/settings", timeout=10).json()["debug"] is True
    assert " * Traceback page for unhandled errors: on" in server.output()
    assert server.stop() == 0, server.output()


RELOAD_APP = """
from carafe import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return {version!r}
"""


def test_reload_restarts_on_source_changes(
    start_extra_server: StartServer, tmp_path: Path
) -> None:
    source = tmp_path / "reloading_app.py"
    source.write_text(textwrap.dedent(RELOAD_APP.format(version="one")), encoding="utf-8")
    port = free_port()
    command = carafe_run_command(port, f"{source}:app", ["--reload"])
    server = start_extra_server(command, port)
    assert httpx.get(server.url, timeout=10).text == "one"
    assert " * Reloading on changes in: " in server.output()
    assert str(tmp_path.resolve()) in server.output()
    source.write_text(textwrap.dedent(RELOAD_APP.format(version="two")), encoding="utf-8")
    deadline = time.monotonic() + 15
    text = "one"
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            text = httpx.get(server.url, timeout=5).text
        if text == "two":
            break
        time.sleep(0.1)
    assert text == "two", server.output()
    assert server.stop() == 0, server.output()


ASYNC_APP = """
import asyncio

from carafe import Flask

app = Flask(__name__)


@app.route("/")
async def index():
    await asyncio.sleep(0)
    return "async hello"
"""


def test_auto_interface_serves_an_async_app_over_asgi(
    start_extra_server: StartServer, tmp_path: Path
) -> None:
    source = tmp_path / "async_app.py"
    source.write_text(textwrap.dedent(ASYNC_APP), encoding="utf-8")
    port = free_port()
    server = start_extra_server(carafe_run_command(port, f"{source}:app"), port)
    assert httpx.get(server.url, timeout=10).text == "async hello"
    assert " * Interface: ASGI (1 worker)" in server.output()
    assert server.stop() == 0, server.output()


def test_asgi_interface_serves_the_seed_app(start_extra_server: StartServer) -> None:
    port = free_port()
    options = ["--interface", "asgi", "--threads", "3"]
    server = start_extra_server(carafe_run_command(port, options=options), port)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.get("/").text == "Hello, World!"
        assert client.get("/no/such/page").json() == {"error": "Resource not found"}
    assert " * Interface: ASGI (1 worker, 3 threads each for sync views)" in server.output()
    assert server.stop() == 0, server.output()

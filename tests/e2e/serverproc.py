"""Starting, probing and stopping a real ``carafe run`` server in a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SEED_APP = "examples.seeds.app"
STARTUP_TIMEOUT = 15.0
SHUTDOWN_TIMEOUT = 5.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class RunningServer:
    """A server subprocess; its stderr is captured to a file for failure messages."""

    process: subprocess.Popen[bytes]
    port: int
    log: IO[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def wait_until_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"server exited with {self.process.returncode} before answering:\n"
                    + self.output()
                )
            if port_answers(self.port):
                return
            time.sleep(0.05)
        self.kill()
        pytest.fail(f"server did not answer on port {self.port} in {timeout} s:\n{self.output()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = SHUTDOWN_TIMEOUT) -> int:
        """Send ``sig`` and return the exit status; fail if it takes over ``timeout`` s."""
        if self.process.poll() is None:
            if sig == signal.SIGINT:
                # CTRL+C in a terminal signals the whole process group, workers included.
                os.killpg(self.process.pid, sig)
            else:
                self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                pytest.fail(
                    f"server did not exit within {timeout} s of {signal.Signals(sig).name}:\n"
                    + self.output()
                )
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start_server(
    command: Sequence[str],
    port: int,
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> RunningServer:
    """Start ``command`` in its own process group and wait until ``port`` answers.

    :param env: variables added to this process's environment for the server.
    :param cwd: the working directory; the project root by default.
    """
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server.
    process = subprocess.Popen(
        list(command),
        cwd=PROJECT_ROOT if cwd is None else cwd,
        env=None if env is None else {**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = RunningServer(process, port, log)
    try:
        server.wait_until_ready()
    except BaseException:
        server.kill()
        log.close()
        raise
    return server


def carafe_run_command(
    port: int, app: str | None = SEED_APP, options: Sequence[str] = ()
) -> list[str]:
    """``python -m carafe --app APP run --port PORT [OPTIONS]`` with this interpreter.

    :param app: ``None`` leaves ``--app`` out (the app then comes from the environment).
    :param options: more ``run`` options, such as ``["--workers", "2"]``.
    """
    app_option = [] if app is None else ["--app", app]
    return [
        sys.executable,
        "-m",
        "carafe",
        *app_option,
        "run",
        "--port",
        str(port),
        *options,
    ]


def python_module_command(module: str, *args: str) -> list[str]:
    """``python -m MODULE ARGS`` with this interpreter, for other servers (gunicorn, ...)."""
    return [sys.executable, "-m", module, *args]


@contextmanager
def serving(
    command: Sequence[str], port: int, *, no_traceback: bool = False
) -> Iterator[RunningServer]:
    """A server for a ``with`` block (a module's fixture): started, then stopped with
    SIGTERM; it must exit with status 0 (and, with ``no_traceback``, have logged none)."""
    server = start_server(command, port)
    try:
        yield server
    finally:
        status = server.stop()
        output = server.output()
        server.log.close()
    assert status == 0, f"server exited with {status} after SIGTERM:\n{output}"
    if no_traceback:
        assert "Traceback" not in output, output


def worker_pids(server: RunningServer) -> set[int]:
    """The pids of a server's worker processes (the children of its main process).

    Read from every process's parent pid: ``/proc/<pid>/task/*/children`` lists a
    child under the thread that forked it, and misses it for a moment when that
    thread ends and the child moves to another.
    """
    parent = server.process.pid
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses. A worker
        # that died but is not yet reaped (state Z) is gone.
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if int(ppid) == parent and state != "Z":
            found.add(int(entry.name))
    return found


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` seconds pass (its last value)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()

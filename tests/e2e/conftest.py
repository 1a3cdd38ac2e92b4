"""Fixtures: a real ``carafe run`` server in a subprocess, reached over loopback."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence

import pytest

from .serverproc import RunningServer, carafe_run_command, free_port, serving, start_server


@pytest.fixture(scope="session")
def seed_server() -> Iterator[RunningServer]:
    """The seed app served by ``carafe run`` for the whole session."""
    port = free_port()
    with serving(carafe_run_command(port), port) as server:
        yield server


@pytest.fixture
def start_extra_server() -> Iterator[Callable[..., RunningServer]]:
    """Start more servers within one test; any still running afterwards are killed.

    Called as ``start(command, port, env=None, cwd=None)``, like ``start_server``.
    """
    servers: list[RunningServer] = []

    def start(
        command: Sequence[str],
        port: int,
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> RunningServer:
        server = start_server(command, port, env=env, cwd=cwd)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.kill()
        server.log.close()

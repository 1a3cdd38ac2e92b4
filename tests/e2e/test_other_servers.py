"""The seed app under other servers, each a real subprocess on a loopback port.

gunicorn and waitress serve the WSGI app; uvicorn and hypercorn serve ``app.asgi``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from .serverproc import RunningServer, free_port, python_module_command, start_server
from .test_seed_server import assert_cookie

pytestmark = pytest.mark.e2e

WSGI_TARGET = "examples.seeds.app:app"
ASGI_TARGET = "examples.seeds.app:app.asgi"

# How to start each server on a port, run with this interpreter as ``python -m``.
SERVERS: dict[str, Callable[[int], list[str]]] = {
    "gunicorn": lambda port: python_module_command(
        "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", WSGI_TARGET
    ),
    "waitress": lambda port: python_module_command(
        "waitress", f"--listen=127.0.0.1:{port}", WSGI_TARGET
    ),
    "uvicorn": lambda port: python_module_command(
        "uvicorn", "--host", "127.0.0.1", "--port", str(port), ASGI_TARGET
    ),
    "hypercorn": lambda port: python_module_command(
        "hypercorn", "--bind", f"127.0.0.1:{port}", ASGI_TARGET
    ),
}


@pytest.fixture(scope="module", params=sorted(SERVERS))
def other_server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    """The seed app served by one of the other servers, for all the tests of this module."""
    port = free_port()
    server = start_server(SERVERS[request.param](port), port)
    try:
        yield server
    finally:
        # Not all of them exit 0 on SIGTERM (waitress leaves it to the default action).
        server.stop()
        server.log.close()


@pytest.fixture
def client(other_server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=other_server.url, timeout=10) as http_client:
        yield http_client


def test_index(client: httpx.Client, other_server: RunningServer) -> None:
    response = client.get("/")
    assert response.status_code == 200, other_server.output()
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == "Hello, World!"


def test_set_cookie_attributes(client: httpx.Client) -> None:
    response = client.get("/set-cookie")
    assert response.status_code == 200
    assert response.text == "Cookie has been set!"
    assert_cookie(response.headers["set-cookie"], "user_id", "12345", max_age=3600)


def test_form_post_is_created(client: httpx.Client) -> None:
    response = client.post(
        "/userDetails", data={"username": "sam", "firstname": "john", "lastname": "king"}
    )
    assert (response.status_code, response.text) == (201, "Success")


def test_unknown_path_is_a_json_404(client: httpx.Client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "Resource not found"}


def test_get_on_post_only_route_is_405_with_allow(client: httpx.Client) -> None:
    response = client.get("/userSignUp")
    assert response.status_code == 405
    assert sorted(response.headers["allow"].split(", ")) == ["OPTIONS", "POST"]

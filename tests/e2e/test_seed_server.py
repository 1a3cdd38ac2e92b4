"""The tutorials' requests, sent with curl and httpx to a real ``carafe run`` server."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from .serverproc import PROJECT_ROOT, RunningServer, carafe_run_command, free_port

pytestmark = pytest.mark.e2e

StartServer = Callable[[Sequence[str], int], RunningServer]

# The tutorials' commands, exactly as typed there; port 5000 is swapped for the test's.
TUTORIAL_B_USER_DETAILS = (
    "curl -X POST http://localhost:5000/userDetails"
    ' -H "Content-Type: application/x-www-form-urlencoded"'
    ' -d "username=sam&firstname=john&lastname=king"'
)
TUTORIAL_B_USER_SIGN_UP = (
    "curl -X POST http://localhost:5000/userSignUp"
    ' -H "Content-Type: application/x-www-form-urlencoded"'
    ' -d "username=sam&firstname=john"'
)
JSON_404 = b'{"error":"Resource not found"}\n'
HTML = "text/html; charset=utf-8"


@dataclass
class WireAnswer:
    """A response as curl printed it with ``-i``."""

    version: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        assert len(values) <= 1, f"{name} sent {len(values)} times"
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


def parse_curl_output(raw: bytes) -> WireAnswer:
    """Parse ``curl -i`` output; with ``-L`` only the last response is kept."""
    while True:
        head, _, rest = raw.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        if not rest.startswith(b"HTTP/"):
            break
        raw = rest
    version, status, *_ = status_line.split(" ", 2)
    headers = []
    for line in header_lines:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return WireAnswer(version, int(status), headers, rest)


def curl(command: str, port: int) -> WireAnswer:
    """Run a tutorial's curl command against ``port``, adding ``-sS -i``."""
    args = shlex.split(command.replace("localhost:5000", f"localhost:{port}"))
    assert args[0] == "curl"
    result = subprocess.run(
        ["curl", "-sS", "-i", "--max-time", "10", *args[1:]],
        capture_output=True,
        timeout=15,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return parse_curl_output(result.stdout)


def assert_cookie(set_cookie: str, name: str, value: str, max_age: int | None = None) -> None:
    """Check a ``Set-Cookie`` value, with ``Expires`` near now + ``max_age``."""
    pair, *attributes = set_cookie.split("; ")
    assert pair == f"{name}={value}"
    named = dict(attribute.partition("=")[::2] for attribute in attributes)
    assert named.get("Path") == "/"
    if max_age is None:
        assert "Expires" not in named
        assert "Max-Age" not in named
        return
    assert named["Max-Age"] == str(max_age)
    assert re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT", named["Expires"])
    expires = parsedate_to_datetime(named["Expires"]).timestamp()
    assert abs(expires - (time.time() + max_age)) < 10


@pytest.mark.parametrize(
    ("command", "status", "content_type", "body"),
    [
        ("curl http://localhost:5000/", 200, HTML, b"Hello, World!"),
        (
            "curl http://localhost:5000/custom-header",
            200,
            "text/plain",
            b"Content with custom header",
        ),
        ("curl http://localhost:5000/set-cookie", 200, HTML, b"Cookie has been set!"),
        ("curl http://localhost:5000/not-found", 404, HTML, b"Resource not found"),
        (
            "curl http://localhost:5000/api/data",
            200,
            "application/json",
            b'{"age":30,"name":"John"}\n',
        ),
        ("curl http://localhost:5000/no/such/page", 404, "application/json", JSON_404),
        ("curl -L http://localhost:5000/redirect", 200, HTML, b"Hello, World!"),
        (TUTORIAL_B_USER_DETAILS, 201, HTML, b"Success"),
        (TUTORIAL_B_USER_SIGN_UP, 200, HTML, b"Success"),
    ],
)
def test_tutorial_curl_commands(
    seed_server: RunningServer, command: str, status: int, content_type: str, body: bytes
) -> None:
    answer = curl(command, seed_server.port)
    assert answer.version == "HTTP/1.1"
    assert answer.status == status
    assert answer.header("Content-Type") == content_type
    assert answer.header("Content-Length") == str(len(body))
    assert answer.body == body


def test_custom_header(seed_server: RunningServer) -> None:
    answer = curl("curl http://localhost:5000/custom-header", seed_server.port)
    assert answer.header("Custom-Header") == "Special-Value"


def test_set_cookie_attributes(seed_server: RunningServer) -> None:
    answer = curl("curl http://localhost:5000/set-cookie", seed_server.port)
    assert_cookie(answer.header("Set-Cookie") or "", "user_id", "12345", max_age=3600)


def test_redirect_carries_added_header_and_cookie(seed_server: RunningServer) -> None:
    answer = curl("curl http://localhost:5000/redirect", seed_server.port)
    assert answer.status == 302
    assert answer.header("Location") == "/"
    assert answer.header("X-Redirected-From") == "/redirect"
    assert_cookie(answer.header("Set-Cookie") or "", "redirected", "yes")
    assert b"Redirecting..." in answer.body


def test_user_sign_up_allows_any_origin(seed_server: RunningServer) -> None:
    answer = curl(TUTORIAL_B_USER_SIGN_UP, seed_server.port)
    assert answer.header("Access-Control-Allow-Origin") == "*"


def test_missing_lastname_is_bad_request(seed_server: RunningServer) -> None:
    answer = curl(TUTORIAL_B_USER_DETAILS.replace("&lastname=king", ""), seed_server.port)
    assert answer.status == 400
    assert answer.header("Content-Type") == HTML
    assert b"<title>400 Bad Request</title>" in answer.body


def test_get_on_post_only_route_is_method_not_allowed(seed_server: RunningServer) -> None:
    answer = curl("curl http://localhost:5000/userSignUp", seed_server.port)
    assert answer.status == 405
    assert sorted((answer.header("Allow") or "").split(", ")) == ["OPTIONS", "POST"]
    assert b"<title>405 Method Not Allowed</title>" in answer.body


def test_head_is_answered_without_a_body(seed_server: RunningServer) -> None:
    answer = curl("curl -I http://localhost:5000/", seed_server.port)
    assert answer.status == 200
    assert answer.header("Content-Length") == "13"
    assert answer.body == b""


def test_options_lists_allowed_methods(seed_server: RunningServer) -> None:
    answer = curl("curl -X OPTIONS http://localhost:5000/userDetails", seed_server.port)
    assert answer.status == 200
    allowed = sorted((answer.header("Allow") or "").split(", "))
    assert allowed == ["GET", "HEAD", "OPTIONS", "POST"]
    assert answer.body == b""


def test_keep_alive_serves_many_requests_on_one_connection(seed_server: RunningServer) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    local_addresses = set()
    with httpx.Client(base_url=seed_server.url, limits=limits, timeout=10) as client:
        for _ in range(3):
            responses = [
                client.get("/"),
                client.get("/api/data"),
                client.post(
                    "/userDetails",
                    data={"username": "sam", "firstname": "john", "lastname": "king"},
                ),
                client.post("/userSignUp", data={"username": "sam", "password": "x"}),
                client.get("/no/such/page"),
            ]
            for response in responses:
                assert response.http_version == "HTTP/1.1"
                assert response.headers.get("connection", "").lower() != "close"
                stream = response.extensions["network_stream"]
                local_addresses.add(stream.get_extra_info("socket").getsockname())
            assert [response.status_code for response in responses] == [200, 200, 201, 200, 404]
            assert responses[0].text == "Hello, World!"
            assert responses[1].json() == {"name": "John", "age": 30}
            assert responses[2].text == "Success"
            assert responses[3].headers["access-control-allow-origin"] == "*"
            assert responses[4].json() == {"error": "Resource not found"}
    assert len(local_addresses) == 1, "the server closed a keep-alive connection"


def test_httpx_sees_the_cookie(seed_server: RunningServer) -> None:
    with httpx.Client(base_url=seed_server.url, timeout=10) as client:
        response = client.get("/set-cookie")
        assert response.text == "Cookie has been set!"
        assert client.cookies.get("user_id") == "12345"
        assert_cookie(response.headers["set-cookie"], "user_id", "12345", max_age=3600)


def test_startup_banner(seed_server: RunningServer) -> None:
    output = seed_server.output()
    assert " * Serving Carafe app 'examples.seeds.app'" in output
    assert f" * Running on http://127.0.0.1:{seed_server.port}" in output
    assert "Traceback" not in output


def test_busy_port_is_a_clean_error(seed_server: RunningServer) -> None:
    result = subprocess.run(
        carafe_run_command(seed_server.port),
        cwd=PROJECT_ROOT,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert b"Address already in use" in result.stderr


def test_unknown_app_is_a_usage_error() -> None:
    result = subprocess.run(
        carafe_run_command(free_port(), app="examples.seeds.no_such_module"),
        cwd=PROJECT_ROOT,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert b"Could not import 'examples.seeds.no_such_module'." in result.stderr


def make_run_command(port: int) -> tuple[list[str], dict[str, str]]:
    """The command line of the Makefile's ``run`` target, on ``port``, and the
    environment variables the recipe sets before it."""
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^run:.*\n\t(.+)$", makefile, re.MULTILINE)
    assert recipe is not None, "the Makefile has no run target"
    variables = dict(re.findall(r"^(\w+) :?= *(.*)$", makefile, re.MULTILINE))
    variables.update(BIN=str(Path(sys.executable).parent), CURDIR=str(PROJECT_ROOT))
    line = re.sub(r"\$\((\w+)\)", lambda found: variables[found.group(1)], recipe.group(1))
    words = shlex.split(line.replace("--port 5000", f"--port {port}"))
    env = {}
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return words, env


def test_make_run_command_line_serves_and_stops_on_ctrl_c(
    start_extra_server: StartServer,
) -> None:
    port = free_port()
    command, env = make_run_command(port)
    for path in env.get("PYTHONPATH", "").split(os.pathsep):
        if path and not Path(path).is_dir():
            pytest.skip(f"make run serves {path}, which is not built (make compiled)")
    server = start_extra_server(command, port, env=env)
    answer = curl("curl http://localhost:5000/", port)
    assert (answer.status, answer.body) == (200, b"Hello, World!")
    started = time.monotonic()
    assert server.stop(signal.SIGINT) == 0, server.output()
    assert time.monotonic() - started < 5


def test_make_response_variant_from_a_file_path(start_extra_server: StartServer) -> None:
    port = free_port()
    command = carafe_run_command(port, app="examples/seeds/app_make_response.py:app")
    server = start_extra_server(command, port)
    details = curl(TUTORIAL_B_USER_DETAILS, port)
    assert (details.status, details.body) == (201, b"<h1>Success</h1>")
    sign_up = curl(TUTORIAL_B_USER_SIGN_UP, port)
    assert (sign_up.status, sign_up.body) == (200, b"<h1>Success</h1>")
    assert sign_up.header("Access-Control-Allow-Origin") is None
    assert server.stop(signal.SIGTERM) == 0, server.output()

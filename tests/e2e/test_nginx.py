"""nginx in front of two ``carafe run`` processes (round-robin), and of Granian's ASGI
mode, with ProxyFix trusting exactly one hop: what the app sees is the client's
address, and the scheme and host nginx forwards."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from .serverproc import (
    SHUTDOWN_TIMEOUT,
    RunningServer,
    carafe_run_command,
    free_port,
    port_answers,
    start_server,
)

pytestmark = pytest.mark.e2e

NGINX = Path("/usr/sbin/nginx")
APP = "tests.e2e.apps.proxied_app"
STARTUP_TIMEOUT = 10.0
# Three loopback addresses (all of 127/8 is loopback on Linux) keep the parties
# apart: the client connects from CLIENT_ADDR, nginx reaches the apps from
# PROXY_ADDR, so the app can only report the client's address through ProxyFix.
CLIENT_ADDR = "127.0.0.3"
PROXY_ADDR = "127.0.0.2"

# One process, in the foreground, with every file under the test's tmp directory
# (without a master process nginx also keeps the current user, even as root).
# Two locations for one upstream of two processes: "/" forwards what the client
# used; "/secure/" plays a TLS-terminating proxy for www.example.com mounted at
# /secure. "/asgi/" reaches the same app over ASGI, with ProxyFixASGI.
NGINX_CONF = """\
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;

    upstream carafe {{
        server 127.0.0.1:{port_a};
        server 127.0.0.1:{port_b};
    }}
    upstream carafe_asgi {{
        server 127.0.0.1:{port_asgi};
    }}

    proxy_bind {proxy_addr};
    # A client that half-closes after its request still gets the answer (Granian
    # alone drops such a request; see test_half_closing_client_is_answered...).
    proxy_ignore_client_abort on;

    server {{
        listen 127.0.0.1:{port};

        location / {{
            proxy_pass http://carafe;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
        }}
        location /secure/ {{
            proxy_pass http://carafe/;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-Host www.example.com;
            proxy_set_header X-Forwarded-Prefix /secure;
        }}
        location /asgi/ {{
            proxy_pass http://carafe_asgi/;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-Host www.example.com;
            proxy_set_header X-Forwarded-Prefix /asgi;
        }}
    }}
}}
"""


@dataclass
class Nginx:
    process: subprocess.Popen[bytes]
    port: int
    tmp: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def errors(self) -> str:
        """What nginx wrote to its stderr and its error log."""
        logs = (self.tmp / "stderr.log", self.tmp / "error.log")
        return "\n".join(log.read_text(errors="replace") for log in logs if log.exists())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # nginx's graceful shutdown
            try:
                self.process.wait(3)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_nginx(tmp: Path, upstream_ports: tuple[int, int, int]) -> Nginx:
    port = free_port()
    port_a, port_b, port_asgi = upstream_ports
    conf = tmp / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            tmp=tmp,
            proxy_addr=PROXY_ADDR,
            port=port,
            port_a=port_a,
            port_b=port_b,
            port_asgi=port_asgi,
        )
    )
    # -e: the startup error log too goes to tmp, not /var/log/nginx.
    command = [str(NGINX), "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")]
    check = subprocess.run([*command, "-t"], capture_output=True, check=False)
    if check.returncode != 0:
        pytest.fail(f"nginx refused the config:\n{check.stderr.decode(errors='replace')}")
    with (tmp / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
        )
    nginx = Nginx(process, port, tmp)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not port_answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            nginx.stop()
            pytest.fail(f"nginx did not start:\n{nginx.errors()}")
        time.sleep(0.05)
    return nginx


def granian_asgi_command(port: int) -> list[str]:
    """Granian serving the ASGI side of the app, wrapped in ProxyFixASGI."""
    granian = Path(sys.executable).with_name("granian")
    return [
        str(granian),
        "--interface",
        "asgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        f"{APP}:asgi_app",
    ]


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    """nginx on a free port in front of two ``carafe run`` servers and one Granian ASGI."""
    if not NGINX.exists():
        pytest.skip(
            f"nginx is not installed: {NGINX} is missing (Debian: apt-get install nginx;"
            " make test installs it)"
        )
    servers: list[RunningServer] = []
    proxy: Nginx | None = None
    try:
        for _ in range(2):
            port = free_port()
            servers.append(start_server(carafe_run_command(port, app=APP), port))
        port = free_port()
        servers.append(start_server(granian_asgi_command(port), port))
        ports = (servers[0].port, servers[1].port, servers[2].port)
        proxy = start_nginx(tmp_path_factory.mktemp("nginx"), ports)
        yield proxy
    finally:
        if proxy is not None:
            proxy.stop()
        for server in servers:
            server.process.send_signal(signal.SIGTERM)
        for server in servers:
            # Graceful first, so workers exit with their server; then nothing is left.
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.process.wait(SHUTDOWN_TIMEOUT)
            server.kill()
            server.log.close()


def fetch(nginx: Nginx, path: str, count: int = 1, **kwargs: Any) -> list[dict[str, Any]]:
    transport = httpx.HTTPTransport(local_address=CLIENT_ADDR)
    with httpx.Client(base_url=nginx.url, transport=transport, timeout=5) as client:
        answers = []
        for _ in range(count):
            response = client.get(path, **kwargs)
            assert response.status_code == 200, f"{response.status_code}: {nginx.errors()}"
            answers.append(response.json())
    return answers


def test_round_robin_answers_from_both_processes(nginx: Nginx) -> None:
    answers = fetch(nginx, "/whoami", count=10)
    pids = {answer["pid"] for answer in answers}
    assert len(pids) == 2, f"expected two server processes, saw pids {pids}"
    for answer in answers:
        assert answer["remote_addr"] == CLIENT_ADDR
        assert answer["forwarded_for"] == CLIENT_ADDR
        assert answer["scheme"] == "http"
        # nginx sends "Host: carafe" (its upstream's name); the app sees the client's.
        assert answer["host"] == f"127.0.0.1:{nginx.port}"
        assert answer["url"] == f"{nginx.url}/whoami"


def test_forged_forwarded_for_is_not_trusted(nginx: Nginx) -> None:
    forged = {"X-Forwarded-For": "6.6.6.6, 10.9.8.7"}
    for answer in fetch(nginx, "/whoami", count=4, headers=forged):
        # nginx appended the address the connection really came from.
        assert answer["forwarded_for"] == f"6.6.6.6, 10.9.8.7, {CLIENT_ADDR}"
        assert answer["remote_addr"] == CLIENT_ADDR


def test_forged_forwarded_host_is_replaced_by_nginx(nginx: Nginx) -> None:
    (answer,) = fetch(nginx, "/whoami", headers={"X-Forwarded-Host": "evil.example"})
    assert answer["host"] == f"127.0.0.1:{nginx.port}"


def test_scheme_host_and_prefix_follow_the_proxy(nginx: Nginx) -> None:
    answers = fetch(nginx, "/secure/whoami", count=4, headers={"X-Forwarded-Proto": "http"})
    assert len({answer["pid"] for answer in answers}) == 2
    for answer in answers:
        assert answer["scheme"] == "https"
        assert answer["host"] == "www.example.com"
        assert answer["url"] == "https://www.example.com/secure/whoami"
        assert answer["remote_addr"] == CLIENT_ADDR


def test_asgi_behind_nginx_sees_the_same(nginx: Nginx) -> None:
    (answer,) = fetch(nginx, "/asgi/whoami", headers={"X-Forwarded-For": "6.6.6.6"})
    assert answer["remote_addr"] == CLIENT_ADDR
    assert answer["forwarded_for"] == f"6.6.6.6, {CLIENT_ADDR}"
    assert answer["scheme"] == "https"
    assert answer["host"] == "www.example.com"
    assert answer["url"] == "https://www.example.com/asgi/whoami"


def raw_exchange(nginx: Nginx, raw: bytes, *, shutdown_write: bool = False) -> bytes:
    """Send ``raw`` to nginx on one connection; all it answers until it closes."""
    with socket.create_connection(("127.0.0.1", nginx.port), timeout=5) as sock:
        sock.sendall(raw)
        if shutdown_write:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


CHUNKED_HEAD = (
    b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)


@pytest.mark.parametrize(
    ("body", "shutdown_write"),
    [
        (b"5\r\nhello\r\nZZ\r\nworld\r\n0\r\n\r\n", False),
        (b"XYZ\r\nhello\r\n0\r\n\r\n", False),
        (b"5\r\nhello\r\n", True),
    ],
    ids=["bad-size-after-a-good-chunk", "non-hex-size", "cut-by-half-close"],
)
def test_nginx_refuses_a_broken_chunked_body_before_the_wsgi_app(
    nginx: Nginx, body: bytes, shutdown_write: bool
) -> None:
    # The way around Granian's WSGI mode taking a broken chunked body for a complete
    # one (tests/e2e/test_malformed_http.py): nginx reads the body first and refuses
    # bad framing itself, so the app behind it never answers such a request.
    answer = raw_exchange(nginx, CHUNKED_HEAD + body, shutdown_write=shutdown_write)
    assert b'"length"' not in answer, answer
    if answer:
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:300]


def test_nginx_passes_a_good_chunked_body_to_the_wsgi_app_whole(nginx: Nginx) -> None:
    answer = raw_exchange(nginx, CHUNKED_HEAD + b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]
    report = json.loads(answer.partition(b"\r\n\r\n")[2])
    # nginx buffered the body and sent it on with its length.
    assert report == {"length": 11, "content_length": "11", "transfer_encoding": None}


def test_half_closing_client_is_answered_through_nginx(nginx: Nginx) -> None:
    # Granian alone drops a request whose client half-closes after sending it
    # (tests/e2e/test_malformed_http.py); nginx in front answers it.
    raw = b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    answer = raw_exchange(nginx, raw, shutdown_write=True)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]
    assert answer.endswith(b"\r\n\r\nslow")

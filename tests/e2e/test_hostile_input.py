"""Hostile and malformed requests against the real server: clean 4xx, no hang, no 500.

Raw sockets, so the requests can be exactly as broken as an attacker sends them.
"""

from __future__ import annotations

import socket
import time

import pytest

from .serverproc import RunningServer

pytestmark = pytest.mark.e2e

FORM = "application/x-www-form-urlencoded"


def exchange(
    port: int, raw: bytes, *, shutdown_write: bool = False, timeout: float = 5.0
) -> bytes:
    """Send ``raw`` bytes, read the whole answer (the connection is closed after it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        if shutdown_write:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        started = time.monotonic()
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and time.monotonic() - started > 0.5:
                break
        return b"".join(chunks)


def status_of(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer.split(b" ", 2)[1])


def request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def test_missing_form_key_is_400_not_500(seed_server: RunningServer) -> None:
    body = b"username=sam&firstname=john"
    raw = request(
        "POST", "/userDetails", {"Content-Type": FORM, "Content-Length": str(len(body))}, body
    )
    assert status_of(exchange(seed_server.port, raw)) == 400


def test_body_shorter_than_its_length_does_not_hang(seed_server: RunningServer) -> None:
    # The client announces 100 bytes, sends 10 and stops writing: a clean 4xx (or the
    # server closing the connection), never a hang and never a 500.
    raw = request(
        "POST", "/userDetails", {"Content-Type": FORM, "Content-Length": "100"}, b"username=x"
    )
    started = time.monotonic()
    answer = exchange(seed_server.port, raw, shutdown_write=True, timeout=10)
    assert time.monotonic() - started < 10
    if answer:
        assert 400 <= status_of(answer) < 500


def test_invalid_utf8_and_percent_escapes_are_not_500(seed_server: RunningServer) -> None:
    body = b"username=%ff%zz&firstname=\xff\xfe&lastname=%"
    raw = request(
        "POST", "/userDetails", {"Content-Type": FORM, "Content-Length": str(len(body))}, body
    )
    assert status_of(exchange(seed_server.port, raw)) == 201
    raw = request("GET", "/%ff%fe?x=%zz&y=\xff".replace("\xff", "%FF"), {})
    assert status_of(exchange(seed_server.port, raw)) == 404


def test_malformed_multipart_is_400(seed_server: RunningServer) -> None:
    body = b'--abc\r\nContent-Disposition: form-data; name="username"\r\n\r\nsam'  # no end
    raw = request(
        "POST",
        "/userDetails",
        {"Content-Type": "multipart/form-data; boundary=abc", "Content-Length": str(len(body))},
        body,
    )
    assert status_of(exchange(seed_server.port, raw)) == 400


def test_multipart_without_boundary_is_400(seed_server: RunningServer) -> None:
    body = b"whatever"
    raw = request(
        "POST",
        "/userDetails",
        {"Content-Type": "multipart/form-data", "Content-Length": str(len(body))},
        body,
    )
    assert status_of(exchange(seed_server.port, raw)) == 400


def test_oversized_form_field_is_413(seed_server: RunningServer) -> None:
    body = b"username=" + b"x" * 600_000
    raw = request(
        "POST", "/userDetails", {"Content-Type": FORM, "Content-Length": str(len(body))}, body
    )
    assert status_of(exchange(seed_server.port, raw)) == 413


def test_header_injection_through_the_url_stays_in_the_url(seed_server: RunningServer) -> None:
    # An encoded CRLF in the path is data, never a header line of the answer.
    raw = request("GET", "/nothing%0d%0aX-Injected:%20yes", {})
    answer = exchange(seed_server.port, raw)
    assert status_of(answer) == 404
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert b"\r\nx-injected" not in head


def test_garbage_request_line_gets_a_4xx_or_a_closed_connection(
    seed_server: RunningServer,
) -> None:
    answer = exchange(seed_server.port, b"\x16\x03\x01\x02\x00garbage\r\n\r\n", timeout=5)
    if answer:
        assert 400 <= status_of(answer) < 500
    # The server still serves afterwards.
    assert status_of(exchange(seed_server.port, request("GET", "/", {}))) == 200

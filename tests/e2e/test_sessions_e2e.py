"""Sessions on a real ``carafe run`` server, over WSGI and over ASGI (the app is
``tests/e2e/apps/session_app.py``): a client logs in, then reads its session back on a
new connection; a tampered, foreign or oversized cookie gets a 200 with an empty
session, never a 500; logging out deletes the cookie.

Every request goes over a new connection (``httpx.Client`` per request), so nothing but
the cookie carries the session from one request to the next.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer

from .apps.session_app import SECRET_KEY
from .serverproc import RunningServer, carafe_run_command, free_port, serving

pytestmark = pytest.mark.e2e

APP = "tests/e2e/apps/session_app.py:app"
TIMEOUT = 10.0


@pytest.fixture(scope="module", params=["wsgi", "asgi"])
def server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    """The session app on ``carafe run --interface wsgi|asgi`` for this module."""
    port = free_port()
    command = carafe_run_command(port, APP, ["--interface", request.param])
    with serving(command, port, no_traceback=True) as running:
        yield running


def send(
    server: RunningServer, method: str, path: str, cookie: str | None = None, **kwargs: Any
) -> httpx.Response:
    """One request on a connection of its own, with ``cookie`` as the session cookie."""
    headers = {} if cookie is None else {"Cookie": f"session={cookie}"}
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        return client.request(method, path, headers=headers, **kwargs)


def session_cookie(response: httpx.Response) -> tuple[str, dict[str, str]]:
    """The value and attributes (by lower-cased name) of the session Set-Cookie."""
    (header,) = [
        value for value in response.headers.get_list("set-cookie") if value.startswith("session=")
    ]
    first, *parts = header.split(";")
    attributes = {}
    for part in parts:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return first.partition("=")[2], attributes


def login(server: RunningServer, user: str = "ann") -> str:
    response = send(server, "POST", "/login", data={"user": user})
    assert response.status_code == 302
    assert response.headers["location"].endswith("/me")
    assert "Cookie" in response.headers["vary"]
    value, attributes = session_cookie(response)
    assert attributes["path"] == "/"
    assert "httponly" in attributes
    assert "expires" in attributes  # (a permanent session)
    return value


@pytest.mark.parametrize("path", ["/me", "/async/me"])
def test_login_then_read_the_session_on_a_new_connection(server: RunningServer, path: str) -> None:
    cookie = login(server)
    response = send(server, "GET", path, cookie)
    assert response.status_code == 200
    assert response.json() == {
        "user": "ann",
        "keys": ["_flashes", "_permanent", "user"],
        "flashes": [["info", "welcome ann"]],
    }
    assert "Cookie" in response.headers["vary"]
    # The flash was taken out of the session: the answer carries the session
    # without it, and a request with that cookie sees no message again.
    cookie, _ = session_cookie(response)
    again = send(server, "GET", path, cookie)
    assert again.json() == {"user": "ann", "keys": ["_permanent", "user"], "flashes": []}
    # A permanent session's cookie is sent again with every response.
    refreshed, attributes = session_cookie(again)
    assert "expires" in attributes
    assert send(server, "GET", path, refreshed).json()["user"] == "ann"


def test_two_clients_keep_their_own_sessions(server: RunningServer) -> None:
    ann, bob = login(server, "ann"), login(server, "bob")
    assert send(server, "GET", "/me", bob).json()["user"] == "bob"
    assert send(server, "GET", "/me", ann).json()["user"] == "ann"


def _tampered(value: str) -> str:
    """``value`` with one character of its signature changed. (Not the last: the last
    base64 character of a SHA-1 signature holds 2 bits, and some changes to it decode
    to the same signature.)"""
    index = len(value) - 5
    return value[:index] + ("A" if value[index] != "A" else "B") + value[index + 1 :]


def _other_timestamp(value: str) -> str:
    payload, timestamp, signature = value.rsplit(".", 2)
    changed = timestamp[:-1] + ("A" if timestamp[-1] != "A" else "B")
    return f"{payload}.{changed}.{signature}"


def _signed(secret: str, data: Any) -> str:
    return URLSafeTimedSerializer(
        secret,
        salt="cookie-session",
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    ).dumps(data)


@pytest.mark.parametrize(
    "make_cookie",
    [
        _tampered,
        _other_timestamp,
        lambda value: value[: len(value) // 2],
        lambda value: "!!garbage!!",
        lambda value: _signed("another secret", {"user": "eve"}),
        # Near the server's 32 KiB limit on a request's head.
        lambda value: value + "A" * 31_000,
        lambda value: "",
    ],
    ids=["tampered", "timestamp", "truncated", "garbage", "another secret", "oversized", "empty"],
)
def test_bad_cookie_gets_an_empty_session(server: RunningServer, make_cookie: Any) -> None:
    cookie = make_cookie(login(server))
    for path in ("/me", "/async/me"):
        response = send(server, "GET", path, cookie)
        assert response.status_code == 200
        assert response.json() == {"user": None, "keys": [], "flashes": []}
        assert response.headers.get_list("set-cookie") == []


def test_cookie_signed_elsewhere_with_the_secret_loads(server: RunningServer) -> None:
    # Signed as Flask signs it, by itsdangerous directly, with tagged values.
    cookie = _signed(SECRET_KEY, {"user": "zoé", "_flashes": [{" t": ["error", "hi"]}]})
    response = send(server, "GET", "/me", cookie)
    assert response.json() == {
        "user": "zoé",
        "keys": ["_flashes", "user"],
        "flashes": [["error", "hi"]],
    }


def test_logout_deletes_the_cookie(server: RunningServer) -> None:
    response = send(server, "POST", "/logout", login(server))
    assert response.status_code == 204
    value, attributes = session_cookie(response)
    assert value == ""
    assert attributes["max-age"] == "0"
    assert attributes["path"] == "/"


def test_server_still_answers(server: RunningServer) -> None:
    assert send(server, "GET", "/health").text == "ok"

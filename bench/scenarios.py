"""The eight seed scenarios: the request each one sends and the response each app must give.

A scenario is one WSGI environ (built once, copied per call) plus what a correct answer looks
like: status code, body (JSON compared as data, so key order and spacing are free) and the
headers that make the scenario what it is.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

HTML = "text/html; charset=utf-8"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    status: int
    body: bytes | None = None  # expected body when it is text
    json: Any = None  # expected body when it is JSON (compared as data)
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)  # exact values
    cookie: tuple[str, ...] = ()  # Set-Cookie parts, in any order; "Name=" means any value
    form: bytes | None = None  # urlencoded request body (POST)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def environ(self) -> dict[str, Any]:
        """The environ a WSGI server would pass for this request (copy it per call)."""
        env: dict[str, Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": self.path,
            "QUERY_STRING": "",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "5000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": "54321",
            "HTTP_HOST": "localhost:5000",
            "HTTP_USER_AGENT": "curl/8.5.0",
            "HTTP_ACCEPT": "*/*",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if self.form is not None:
            env["CONTENT_TYPE"] = FORM
            env["CONTENT_LENGTH"] = str(len(self.form))
        return env


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("hello", "GET", "/", 200, body=b"Hello, World!"),
    Scenario(
        "custom-header",
        "GET",
        "/custom-header",
        200,
        body=b"Content with custom header",
        content_type="text/plain",
        headers={"Custom-Header": "Special-Value"},
    ),
    Scenario(
        "set-cookie",
        "GET",
        "/set-cookie",
        200,
        body=b"Cookie has been set!",
        cookie=("user_id=12345", "Expires=", "Max-Age=3600", "Path=/"),
    ),
    Scenario("json", "GET", "/api/data", 200, json={"name": "John", "age": 30}, content_type=JSON),
    Scenario(
        "form-201",
        "POST",
        "/userDetails",
        201,
        body=b"Success",
        form=b"username=sam&firstname=john&lastname=king",
    ),
    Scenario(
        "int-route",
        "GET",
        "/users/42",
        200,
        json={"id": 42, "name": "John"},
        content_type=JSON,
    ),
    Scenario(
        "form-cors",
        "POST",
        "/userSignUp",
        200,
        body=b"Success",
        headers={"Access-Control-Allow-Origin": "*"},
        form=b"username=sam&firstname=john",
    ),
    Scenario(
        "404-json",
        "GET",
        "/missing",
        404,
        json={"error": "Resource not found"},
        content_type=JSON,
    ),
)

BY_NAME = {s.name: s for s in SCENARIOS}


def _norm(value: str) -> str:
    return value.replace(" ", "").lower()


def check(
    scenario: Scenario, status: str, headers: list[tuple[str, str]], body: bytes
) -> list[str]:
    """Everything wrong with one response to ``scenario``; empty when it is right."""
    problems = []
    code = status.split(" ", 1)[0]
    if code != str(scenario.status):
        problems.append(f"status {status!r}, expected {scenario.status}")
    if scenario.json is not None:
        try:
            data = json.loads(body)
        except ValueError:
            problems.append(f"body {body[:80]!r} is not JSON")
        else:
            if data != scenario.json:
                problems.append(f"JSON body {data!r}, expected {scenario.json!r}")
    elif body != scenario.body:
        problems.append(f"body {body[:80]!r}, expected {scenario.body!r}")

    found: dict[str, list[str]] = {}
    for name, value in headers:
        found.setdefault(name.lower(), []).append(value)

    def one(name: str) -> str | None:
        values = found.get(name.lower(), [])
        if len(values) != 1:
            problems.append(f"{len(values)} {name} headers, expected one")
            return None
        return values[0]

    content_type = one("Content-Type")
    if content_type is not None and _norm(content_type) != _norm(scenario.content_type):
        problems.append(f"Content-Type {content_type!r}, expected {scenario.content_type!r}")
    length = one("Content-Length")
    if length is not None and length != str(len(body)):
        problems.append(f"Content-Length {length}, body is {len(body)} bytes")
    for name, expected in scenario.headers.items():
        value = one(name)
        if value is not None and value != expected:
            problems.append(f"{name} {value!r}, expected {expected!r}")
    if scenario.cookie:
        cookie = one("Set-Cookie")
        if cookie is not None:
            parts = [p.strip() for p in cookie.split(";")]
            if parts[0] != scenario.cookie[0]:
                problems.append(f"Set-Cookie {cookie!r} does not set {scenario.cookie[0]!r}")
            lowered = [p.lower() for p in parts[1:]]
            missing = [
                want
                for want in scenario.cookie[1:]
                if not any(
                    p.startswith(want.lower()) if want.endswith("=") else p == want.lower()
                    for p in lowered
                )
            ]
            if missing:
                problems.append(f"Set-Cookie {cookie!r} lacks {missing}")
    return problems

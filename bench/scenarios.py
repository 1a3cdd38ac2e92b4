"""The scenarios: the request each one sends and the response each app must give.

``SCENARIOS`` are the eight seed scenarios (the headline numbers and the targets are on
them); ``EXTRAS`` are the further ones of issue 4 (query string, cookie, 50 routes, an
``async def`` view, a 1 MiB upload, a 10 MiB streamed response) and of issue 14 (a
rendered template with a loop, a session round trip, a static file, and the same file
answered 304 Not Modified). A scenario is one WSGI environ or one ASGI scope (built once,
copied per call) plus what a correct answer looks like: status code, body (JSON compared as
data, so key order and spacing are free) and the headers that make the scenario what it is.

The session scenario's cookie is signed here, at import, as Flask signs it, with the secret
key of the apps' ``session_app``; the 304 scenario's ``If-Modified-Since`` is the static
file's modification time, read at import (a fresh checkout changes it).
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from itsdangerous import URLSafeTimedSerializer

HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
OCTETS = "application/octet-stream"
BOUNDARY = "----CarafeBenchBoundary7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"

UPLOAD_SIZE = 1024 * 1024  # the 1 MiB file of the upload scenario
TEMPLATE_ITEMS = 20  # the rendered template: a page listing this many items (apps' ITEMS)
STREAM_CHUNK = 64 * 1024  # the streamed response: 160 chunks of 64 KiB = 10 MiB
STREAM_CHUNKS = 160

# The session scenario: the secret key of every app module's ``session_app`` (each says it
# too; a cookie signed with another key would start a new session and answer visits=1).
SECRET_KEY = "carafe-bench-secret-key"
# The static file of both static scenarios: every app with a static route serves apps/static/.
STATIC_FILE = Path(__file__).resolve().parent / "apps" / "static" / "hello.txt"


def session_cookie(data: dict[str, Any]) -> str:
    """``data`` signed as Flask's ``SecureCookieSessionInterface`` signs a session (Carafe's
    is wire-compatible): itsdangerous's URL-safe timed serializer, salt ``cookie-session``,
    an HMAC-derived key, SHA-1, compact JSON (tagged JSON of plain ints and strings is
    plain JSON)."""
    serializer = URLSafeTimedSerializer(
        SECRET_KEY,
        salt="cookie-session",
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    return serializer.dumps(data)


def last_modified(path: Path) -> str:
    """The ``Last-Modified`` a file is served with: its mtime as an HTTP date."""
    return formatdate(path.stat().st_mtime, usegmt=True)


@cache
def multipart_body(size: int) -> bytes:
    """A multipart/form-data body carrying one file field ``file`` of ``size`` bytes."""
    return b"".join(
        [
            f"--{BOUNDARY}\r\n".encode(),
            b'Content-Disposition: form-data; name="file"; filename="upload.bin"\r\n',
            f"Content-Type: {OCTETS}\r\n\r\n".encode(),
            bytes(range(256)) * (size // 256) + bytes(size % 256),
            f"\r\n--{BOUNDARY}--\r\n".encode(),
        ]
    )


def template_body() -> bytes:
    """What bench/apps/templates/items.html renders to with the apps' ``ITEMS``: the
    title autoescaped, one list item per item."""
    items = "".join(
        f'\n<li id="item-{number}">Item {number}: {number * 1.5:.2f}</li>'
        for number in range(TEMPLATE_ITEMS)
    )
    return f"<!doctype html>\n<title>Items &amp; prices</title>\n<ul>{items}\n</ul>".encode()


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    status: int
    body: bytes | None = None  # expected body when it is text
    json: Any = None  # expected body when it is JSON (compared as data)
    content_type: str | None = HTML  # None: not checked (a 304 has no body to type)
    headers: dict[str, str] = field(default_factory=dict)  # exact values
    # Set-Cookie parts: the cookie first, then attributes in any order; "Name=" means any
    # value (for the cookie itself: any value but none)
    cookie: tuple[str, ...] = ()
    form: bytes | None = None  # urlencoded request body (POST)
    query: str = ""  # the query string, without "?"
    request_headers: tuple[tuple[str, str], ...] = ()  # extra request headers (Cookie, ...)
    upload: int = 0  # > 0: a multipart body with one file of this many bytes (POST)
    body_size: int | None = None  # a streamed body: its expected size (no exact body kept)
    app: str = "app"  # the attribute of the framework's module that serves it
    seed: bool = True  # one of the eight seed scenarios (the headline geometric mean)
    note: str = ""  # what tells it from another scenario on the same path, in its label

    @property
    def label(self) -> str:
        query = f"?{self.query}" if self.query else ""
        return f"{self.method} {self.path}{query}" + (f" ({self.note})" if self.note else "")

    @property
    def request_body(self) -> bytes | None:
        """The request body (a urlencoded form or a multipart upload), if any."""
        if self.upload:
            return multipart_body(self.upload)
        return self.form

    @property
    def request_type(self) -> str:
        return MULTIPART if self.upload else FORM

    def environ(self) -> dict[str, Any]:
        """The environ a WSGI server would pass for this request (copy it per call)."""
        env: dict[str, Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": self.path,
            "QUERY_STRING": self.query,
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
        for name, value in self.request_headers:
            env["HTTP_" + name.upper().replace("-", "_")] = value
        body = self.request_body
        if body is not None:
            env["CONTENT_TYPE"] = self.request_type
            env["CONTENT_LENGTH"] = str(len(body))
        return env

    def scope(self) -> dict[str, Any]:
        """The scope an ASGI server (uvicorn's fields) would pass for this request."""
        headers = [
            (b"host", b"localhost:5000"),
            (b"user-agent", b"curl/8.5.0"),
            (b"accept", b"*/*"),
        ]
        headers += [(k.lower().encode(), v.encode("latin-1")) for k, v in self.request_headers]
        body = self.request_body
        if body is not None:
            headers.append((b"content-type", self.request_type.encode()))
            headers.append((b"content-length", str(len(body)).encode()))
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "server": ("localhost", 5000),
            "client": ("127.0.0.1", 54321),
            "scheme": "http",
            "method": self.method,
            "root_path": "",
            "path": self.path,
            "raw_path": self.path.encode(),
            "query_string": self.query.encode(),
            "headers": headers,
        }


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

# The further scenarios of issues 4 and 14: their own table, not in the seed geometric mean.
EXTRAS: tuple[Scenario, ...] = (
    Scenario(
        "query",
        "GET",
        "/search",
        200,
        json={"q": "python web", "page": 2},
        content_type=JSON,
        query="q=python+web&page=2",
        seed=False,
    ),
    Scenario(
        "cookie",
        "GET",
        "/read-cookie",
        200,
        body=b"user_id=12345",
        request_headers=(("Cookie", "user_id=12345"),),
        seed=False,
    ),
    Scenario(
        "routes-50",
        "GET",
        "/api/items24/7",
        200,
        json={"collection": "items24", "id": 7},
        content_type=JSON,
        app="routes_app",
        seed=False,
    ),
    # The same view as scenario 1 (hello), written ``async def``: async/sync is its cost ratio.
    Scenario("async", "GET", "/async", 200, body=b"Hello, World!", seed=False),
    Scenario(
        "upload-1m",
        "POST",
        "/upload",
        200,
        json={"filename": "upload.bin", "size": UPLOAD_SIZE},
        content_type=JSON,
        upload=UPLOAD_SIZE,
        seed=False,
    ),
    Scenario(
        "stream-10m",
        "GET",
        "/stream",
        200,
        content_type=OCTETS,
        body_size=STREAM_CHUNK * STREAM_CHUNKS,
        seed=False,
    ),
    # Issue 14: a template (bench/apps/templates/items.html) rendered with a loop.
    Scenario("template", "GET", "/template", 200, body=template_body(), seed=False),
    # Issue 14: a session read and written back (the apps' ``session_app``, which has a
    # secret key: ``app`` has none, so the other scenarios do no session work).
    Scenario(
        "session",
        "GET",
        "/session",
        200,
        body=b"visits=2",
        headers={"Vary": "Cookie"},
        cookie=("session=", "HttpOnly", "Path=/"),
        request_headers=(("Cookie", f"session={session_cookie({'visits': 1})}"),),
        app="session_app",
        seed=False,
    ),
    # Issue 14: bench/apps/static/hello.txt through the framework's static route, then the
    # same file asked for with If-Modified-Since equal to its Last-Modified.
    Scenario(
        "static",
        "GET",
        "/static/hello.txt",
        200,
        body=STATIC_FILE.read_bytes(),
        content_type=TEXT,
        headers={"Last-Modified": last_modified(STATIC_FILE)},
        seed=False,
    ),
    Scenario(
        "304",
        "GET",
        "/static/hello.txt",
        304,
        body=b"",
        content_type=None,
        request_headers=(("If-Modified-Since", last_modified(STATIC_FILE)),),
        note="If-Modified-Since",
        seed=False,
    ),
)

ALL: tuple[Scenario, ...] = SCENARIOS + EXTRAS
BY_NAME = {s.name: s for s in ALL}
# How the command lines' --help numbers them: "1-8 seed, 9-18 extra".
NUMBERING = f"1-{len(SCENARIOS)} seed, {len(SCENARIOS) + 1}-{len(ALL)} extra"


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
    elif scenario.body_size is not None:
        if len(body) != scenario.body_size:
            problems.append(f"body of {len(body)} bytes, expected {scenario.body_size}")
        elif body.count(b"x") != len(body):
            problems.append(f"body {body[:40]!r}... is not all b'x'")
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

    if scenario.content_type is not None:
        content_type = one("Content-Type")
        if content_type is not None and _norm(content_type) != _norm(scenario.content_type):
            problems.append(f"Content-Type {content_type!r}, expected {scenario.content_type!r}")
    length: str | None
    if scenario.status == 304:  # no body: a Content-Length may be left out, or be the 200's
        length = None
    elif scenario.body_size is None:
        length = one("Content-Length")
    else:  # a streamed body may come without Content-Length (chunked), or with a right one
        lengths = found.get("content-length")
        length = lengths[0] if lengths else None
    if length is not None and length != str(len(body)):
        problems.append(f"Content-Length {length}, body is {len(body)} bytes")
    for name, expected in scenario.headers.items():
        got = one(name)
        if got is not None and got != expected:
            problems.append(f"{name} {got!r}, expected {expected!r}")
    if scenario.cookie:
        cookie = one("Set-Cookie")
        if cookie is not None:
            parts = [p.strip() for p in cookie.split(";")]
            first = scenario.cookie[0]
            if not (
                len(parts[0]) > len(first) and parts[0].startswith(first)
                if first.endswith("=")
                else parts[0] == first
            ):
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

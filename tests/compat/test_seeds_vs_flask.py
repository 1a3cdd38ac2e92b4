"""The one-line port, proven: the seed apps answer the same on Carafe and on Flask.

Each seed app is loaded twice from its source: once as written (``from carafe import``)
and once with that single import line switched to ``from flask import``. Every request
of the tutorials (SEEDS.md) is sent to both, through their test clients and as a bare
WSGI call, and the answers must agree: the status line, the headers (a multiset; names
case-insensitive; ``Date``/``Server`` skipped; ``Allow`` as a set of methods; cookie
``Expires`` within a few seconds)
and the body bytes.
"""

from __future__ import annotations

import io
import re
import sys
import types
from collections import Counter
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

SEEDS_DIR = Path(__file__).resolve().parents[2] / "examples" / "seeds"
CARAFE_IMPORT = "from carafe import"
FLASK_IMPORT = "from flask import"
FORM = "application/x-www-form-urlencoded"
# Headers that legitimately differ between two runs of the same app.
SKIPPED_HEADERS = {"date", "server"}
EXPIRES_TOLERANCE_SECONDS = 5
EXPIRES_RE = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")


@dataclass(frozen=True)
class SeedRequest:
    """One request of the tutorials."""

    name: str
    method: str
    path: str
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)


# Tutorial B's curl commands, with their bodies and headers exactly as typed.
USER_DETAILS_CURL = SeedRequest(
    "curl POST /userDetails",
    "POST",
    "/userDetails",
    "username=sam&firstname=john&lastname=king",
    {"Content-Type": FORM},
)
USER_SIGN_UP_CURL = SeedRequest(
    "curl POST /userSignUp",
    "POST",
    "/userSignUp",
    "username=sam&firstname=john",
    {"Content-Type": FORM},
)
TUTORIAL_B_REQUESTS = [
    USER_DETAILS_CURL,
    USER_SIGN_UP_CURL,
    SeedRequest(
        "POST /userDetails without lastname -> 400",
        "POST",
        "/userDetails",
        "username=sam&firstname=john",
        {"Content-Type": FORM},
    ),
    SeedRequest("POST /userDetails without a body -> 400", "POST", "/userDetails"),
    SeedRequest("GET /userDetails", "GET", "/userDetails"),
    SeedRequest("GET /userSignUp -> 405", "GET", "/userSignUp"),
    SeedRequest("PUT /userDetails -> 405", "PUT", "/userDetails"),
    SeedRequest("HEAD /userDetails", "HEAD", "/userDetails"),
    SeedRequest("OPTIONS /userDetails", "OPTIONS", "/userDetails"),
    SeedRequest("OPTIONS /userSignUp", "OPTIONS", "/userSignUp"),
    SeedRequest(
        "POST /userSignUp with a query string",
        "POST",
        "/userSignUp?source=curl",
        "username=sam&password=secret",
        {"Content-Type": FORM},
    ),
]
TUTORIAL_A_REQUESTS = [
    SeedRequest("GET /", "GET", "/"),
    SeedRequest("GET /custom-header", "GET", "/custom-header"),
    SeedRequest("GET /set-cookie", "GET", "/set-cookie"),
    SeedRequest("GET /not-found", "GET", "/not-found"),
    SeedRequest("GET /api/data", "GET", "/api/data"),
    SeedRequest("GET /redirect", "GET", "/redirect"),
    SeedRequest("GET unknown path -> JSON 404", "GET", "/no/such/page"),
    SeedRequest("GET /api/data/ (trailing slash) -> JSON 404", "GET", "/api/data/"),
    SeedRequest("POST / -> 405", "POST", "/"),
    SeedRequest("HEAD /", "HEAD", "/"),
    SeedRequest("HEAD /api/data", "HEAD", "/api/data"),
    SeedRequest("HEAD /set-cookie", "HEAD", "/set-cookie"),
    SeedRequest("OPTIONS /", "OPTIONS", "/"),
    SeedRequest("GET / with a query string", "GET", "/?page=2&sort=name"),
]
CASES = [("app.py", request) for request in TUTORIAL_A_REQUESTS + TUTORIAL_B_REQUESTS] + [
    ("app_make_response.py", request)
    for request in [*TUTORIAL_B_REQUESTS, SeedRequest("GET unknown path -> 404", "GET", "/nope")]
]


@dataclass
class Answer:
    """What an app answered: the status line, the header list and the body bytes."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes

    def describe(self) -> str:
        lines = [self.status, *(f"{name}: {value}" for name, value in self.headers)]
        return "\n".join(lines) + "\n\n" + repr(self.body)


def load_seed(filename: str, framework: str) -> types.ModuleType:
    """Execute the seed app's source in a fresh module, on Carafe or on Flask."""
    path = SEEDS_DIR / filename
    source = path.read_text(encoding="utf-8")
    assert source.count(CARAFE_IMPORT) == 1, f"{filename} must have one carafe import line"
    if framework == "flask":
        source = source.replace(CARAFE_IMPORT, FLASK_IMPORT)
    module_name = f"_seed_{path.stem}_on_{framework}"
    module = types.ModuleType(module_name)
    module.__file__ = str(path)
    sys.modules[module_name] = module
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


@pytest.fixture(scope="module")
def seed_apps() -> Any:
    apps: dict[tuple[str, str], Any] = {}

    def get(filename: str, framework: str) -> Any:
        key = (filename, framework)
        if key not in apps:
            apps[key] = load_seed(filename, framework).app
        return apps[key]

    yield get
    for filename, framework in apps:
        sys.modules.pop(f"_seed_{Path(filename).stem}_on_{framework}", None)


def call_with_test_client(app: Any, request: SeedRequest) -> Answer:
    """Send ``request`` through the framework's own test client."""
    client = app.test_client()
    response = client.open(
        request.path,
        method=request.method,
        data=request.body.encode(),
        headers=request.headers,
    )
    try:
        return Answer(response.status, list(response.headers.items()), response.get_data())
    finally:
        response.close()


def build_environ(request: SeedRequest) -> dict[str, Any]:
    """A WSGI environ like a server builds for ``request`` on localhost:5000."""
    path, _, query = request.path.partition("?")
    body = request.body.encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost:5000",
        "HTTP_USER_AGENT": "curl/7.88.1",
        "HTTP_ACCEPT": "*/*",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            environ[f"HTTP_{key}"] = value
    return environ


def call_wsgi(app: Any, request: SeedRequest) -> Answer:
    """Call the app as a WSGI server would, and collect what it hands the server."""
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append((status, list(headers)))
        return lambda data: pytest.fail("the write() callable is not expected")

    chunks = app(build_environ(request), start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    assert len(started) == 1, "start_response must be called exactly once"
    status, headers = started[0]
    return Answer(status, headers, body)


def normalized_headers(answer: Answer) -> tuple[Counter[tuple[str, str]], list[str]]:
    """The header multiset to compare, and the cookie expiry dates taken out of it."""
    headers: Counter[tuple[str, str]] = Counter()
    expiries: list[str] = []
    for name, value in answer.headers:
        name = name.lower()
        if name in SKIPPED_HEADERS:
            continue
        if name == "allow":
            # Flask lists the methods in set order, which changes with the hash seed.
            value = ", ".join(sorted(value.split(", ")))
        if name == "set-cookie":
            attributes = []
            for attribute in value.split("; "):
                if attribute.lower().startswith("expires="):
                    expiries.append(attribute.partition("=")[2])
                    attribute = "Expires=<date>"
                attributes.append(attribute)
            value = "; ".join(attributes)
        headers[(name, value)] += 1
    return headers, expiries


def assert_same_answer(carafe: Answer, flask: Answer) -> None:
    context = f"\n--- Carafe ---\n{carafe.describe()}\n--- Flask ---\n{flask.describe()}"
    assert carafe.status == flask.status, "status line differs" + context
    carafe_headers, carafe_expiries = normalized_headers(carafe)
    flask_headers, flask_expiries = normalized_headers(flask)
    assert carafe_headers == flask_headers, "headers differ" + context
    assert len(carafe_expiries) == len(flask_expiries)
    for carafe_expires, flask_expires in zip(carafe_expiries, flask_expiries):
        assert EXPIRES_RE.match(carafe_expires), f"bad Expires date {carafe_expires!r}"
        drift = parsedate_to_datetime(carafe_expires) - parsedate_to_datetime(flask_expires)
        assert abs(drift.total_seconds()) <= EXPIRES_TOLERANCE_SECONDS, context
    assert carafe.body == flask.body, "body differs" + context


DRIVERS = {"test_client": call_with_test_client, "wsgi": call_wsgi}


@pytest.mark.parametrize("driver", sorted(DRIVERS))
@pytest.mark.parametrize(
    ("filename", "request_"),
    CASES,
    ids=[f"{filename}:{request.name}" for filename, request in CASES],
)
def test_seed_request_matches_flask(
    seed_apps: Any, filename: str, request_: SeedRequest, driver: str
) -> None:
    call = DRIVERS[driver]
    flask_answer = call(seed_apps(filename, "flask"), request_)
    carafe_answer = call(seed_apps(filename, "carafe"), request_)
    assert_same_answer(carafe_answer, flask_answer)


@pytest.mark.parametrize("filename", ["app.py", "app_make_response.py"])
def test_port_is_one_import_line(filename: str) -> None:
    """The seed source differs from its Flask version by exactly one line."""
    source = (SEEDS_DIR / filename).read_text(encoding="utf-8").splitlines()
    changed = [line for line in source if line.startswith(CARAFE_IMPORT)]
    assert len(changed) == 1
    assert "flask" not in "\n".join(source).replace("Flask", "")


def test_flask_reference_answers_match_the_tutorials(seed_apps: Any) -> None:
    """Pin Flask's own answers to SEEDS.md, so the reference itself is checked."""
    flask_app = seed_apps("app.py", "flask")
    index = call_wsgi(flask_app, SeedRequest("", "GET", "/"))
    assert index.status == "200 OK"
    assert ("Content-Type", "text/html; charset=utf-8") in index.headers
    assert index.body == b"Hello, World!"
    cookie = call_wsgi(flask_app, SeedRequest("", "GET", "/set-cookie"))
    set_cookie = next(value for name, value in cookie.headers if name == "Set-Cookie")
    assert set_cookie.startswith("user_id=12345; Expires=")
    missing = call_wsgi(flask_app, SeedRequest("", "GET", "/nowhere"))
    assert missing.status == "404 NOT FOUND"
    assert missing.body == b'{"error":"Resource not found"}\n'
    signup = call_wsgi(flask_app, USER_SIGN_UP_CURL)
    assert ("Access-Control-Allow-Origin", "*") in signup.headers
    not_allowed = call_wsgi(flask_app, SeedRequest("", "GET", "/userSignUp"))
    assert not_allowed.status == "405 METHOD NOT ALLOWED"
    allow = next(value for name, value in not_allowed.headers if name == "Allow")
    assert sorted(allow.split(", ")) == ["OPTIONS", "POST"]

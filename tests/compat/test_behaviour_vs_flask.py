"""Side by side: the same app on Flask and on Carafe must answer the same bytes.

Each case is a setup function taking the framework module (``flask`` or
``carafe``) and a fresh app built from it, and one request. Both apps get the
same WSGI environ; the answers must agree on the status line, the headers (a
multiset with case-insensitive names; ``Date``/``Server`` skipped; ``Allow``
as a set of methods; cookie ``Expires`` within a few seconds) and the body.

Deliberate differences are left out of the table and tested in test_security.py:
a malformed or truncated multipart body is a 400 on Carafe (Werkzeug silently
drops the parts), and Carafe also bounds the number of urlencoded fields.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from types import ModuleType
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest

import carafe

flask = pytest.importorskip("flask")

SKIPPED_HEADERS = {"date", "server"}
EXPIRES_TOLERANCE_SECONDS = 5
EXPIRES_RE = re.compile(r"Expires=([^;]+)")
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Req:
    """One request: sent as the same WSGI environ to both apps."""

    method: str = "GET"
    path: str = "/"
    query: str = ""
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Environ overrides; a None value removes the key.
    environ: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    name: str
    setup: Callable[[ModuleType, Any], None]
    request: Req


CASES: list[Case] = []


def case(name: str, *args: Any, **kwargs: Any) -> Callable[[Callable[..., None]], Any]:
    """Register ``setup`` with one request; stack the decorator for more requests."""

    def decorator(setup: Callable[..., None]) -> Callable[..., None]:
        CASES.append(Case(name, setup, Req(*args, **kwargs)))
        return setup

    return decorator


def build(fw: ModuleType, setup: Callable[[ModuleType, Any], None]) -> Any:
    app = fw.Flask("compat_app")
    app.logger.disabled = True
    setup(fw, app)
    return app


def make_environ(req: Req) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": req.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(req.path).decode("latin-1"),
        "QUERY_STRING": req.query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "HTTP_USER_AGENT": "compat-test/1.0",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(req.body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if req.body or req.method in ("POST", "PUT", "PATCH"):
        environ["CONTENT_LENGTH"] = str(len(req.body))
    if req.content_type is not None:
        environ["CONTENT_TYPE"] = req.content_type
    for name, value in req.headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    for key, value in req.environ.items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    return environ


@dataclass
class Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes

    def describe(self) -> str:
        lines = [self.status, *(f"{name}: {value}" for name, value in self.headers)]
        return "\n".join(lines) + "\n\n" + repr(self.body)


def ask(app: Any, req: Req) -> Answer:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"] = status
        captured["headers"] = list(headers)
        return lambda data: None

    iterable = app(make_environ(req), start_response)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return Answer(captured["status"], captured["headers"], body)


def normalise_headers(headers: list[tuple[str, str]]) -> tuple[Counter[Any], list[datetime]]:
    """The comparable multiset of headers, and the cookie expiry times taken out of it."""
    counted: Counter[Any] = Counter()
    expiries: list[datetime] = []
    for name, value in headers:
        key = name.lower()
        if key in SKIPPED_HEADERS:
            continue
        if key == "allow":
            counted[(key, frozenset(part.strip() for part in value.split(",")))] += 1
        elif key == "set-cookie":
            match = EXPIRES_RE.search(value)
            if match:
                expiries.append(parsedate_to_datetime(match.group(1)))
                value = EXPIRES_RE.sub("Expires=<when>", value)
            counted[(key, value)] += 1
        else:
            counted[(key, value)] += 1
    return counted, sorted(expiries)


def assert_same(flask_answer: Answer, carafe_answer: Answer) -> None:
    detail = (
        f"\n--- Flask ---\n{flask_answer.describe()}\n--- Carafe ---\n{carafe_answer.describe()}"
    )
    assert carafe_answer.status == flask_answer.status, detail
    flask_headers, flask_expiries = normalise_headers(flask_answer.headers)
    carafe_headers, carafe_expiries = normalise_headers(carafe_answer.headers)
    assert carafe_headers == flask_headers, detail
    assert len(carafe_expiries) == len(flask_expiries), detail
    for expected, got in zip(flask_expiries, carafe_expiries):
        assert abs((got - expected).total_seconds()) <= EXPIRES_TOLERANCE_SECONDS, detail
    assert carafe_answer.body == flask_answer.body, detail


# ---------------------------------------------------------------------------
# Return values


@case("str body")
def _str_body(fw, app):
    @app.route("/")
    def index():
        return "Hello, World! caf\u00e9"


@case("bytes body")
def _bytes_body(fw, app):
    @app.route("/")
    def index():
        return b"\x00\x01raw"


@case("empty body")
def _empty_body(fw, app):
    @app.route("/")
    def index():
        return ""


@case("dict body")
def _dict_body(fw, app):
    @app.route("/")
    def index():
        return {"b": [1, 2.5, None, True], "a": {"z": "caf\u00e9", "y": "\u2603"}}


@case("list body")
def _list_body(fw, app):
    @app.route("/")
    def index():
        return [3, "two", {"one": 1}]


@case("generator body")
def _generator_body(fw, app):
    @app.route("/")
    def index():
        return (part for part in ["one ", "two ", "three"])


@case("Response object with mimetype and headers")
def _response_object(fw, app):
    @app.route("/")
    def index():
        return fw.Response("made", status=202, headers={"X-Made": "1"}, mimetype="text/plain")


@case("WSGI callable")
def _wsgi_callable(fw, app):
    def wsgi_app(environ, start_response):
        start_response("201 CREATED", [("Content-Type", "text/plain"), ("X-Wsgi", "1")])
        return [b"from wsgi"]

    @app.route("/")
    def index():
        return wsgi_app


@case("(body, int status)")
def _tuple_int(fw, app):
    @app.route("/")
    def index():
        return "created", 201


@case("(body, '201 CREATED')")
def _tuple_string_status(fw, app):
    @app.route("/")
    def index():
        return "created", "201 CREATED"


@case("(body, '299 Custom Reason')")
def _tuple_custom_reason(fw, app):
    @app.route("/")
    def index():
        return "custom", "299 Custom Reason"


@case("(body, unknown int status 299)")
def _tuple_unknown_status(fw, app):
    @app.route("/")
    def index():
        return "unknown", 299


@case("(body, '404') digits only")
def _tuple_digit_status(fw, app):
    @app.route("/")
    def index():
        return "missing", "404"


@case("(body, HTTPStatus)")
def _tuple_http_status(fw, app):
    from http import HTTPStatus

    @app.route("/")
    def index():
        return "accepted", HTTPStatus.ACCEPTED


@case("(body, headers dict)")
def _tuple_headers(fw, app):
    @app.route("/")
    def index():
        return "x", {"X-A": "1", "Content-Type": "text/plain"}


@case("(body, status, headers list with repeats)")
def _tuple_three(fw, app):
    @app.route("/")
    def index():
        return "x", 202, [("X-Multi", "1"), ("X-Multi", "2")]


@case("(dict, status, headers)")
def _tuple_dict(fw, app):
    @app.route("/")
    def index():
        return {"created": True}, 201, {"Location": "/things/1"}


@case("(Response, status, headers) applied to the response")
def _tuple_response(fw, app):
    @app.route("/")
    def index():
        response = fw.make_response("inner")
        response.headers["X-Inner"] = "1"
        response.headers["X-Replaced"] = "old"
        return response, 201, {"X-Outer": "2", "X-Replaced": "new"}


@case("make_response with header and Content-Type override")
def _make_response_headers(fw, app):
    @app.route("/")
    def index():
        response = fw.make_response("Content with custom header")
        response.headers["Custom-Header"] = "Special-Value"
        response.headers["Content-Type"] = "text/plain"
        return response


@case("make_response(body, 404, headers)")
def _make_response_tuple(fw, app):
    @app.route("/")
    def index():
        return fw.make_response("Resource not found", 404, {"X-Why": "gone"})


@case("make_response() then set_data and status_code")
def _make_response_empty(fw, app):
    @app.route("/")
    def index():
        response = fw.make_response()
        response.set_data("later")
        response.status_code = 203
        return response


@case("make_response(jsonify(...)) with status")
def _make_response_jsonify(fw, app):
    @app.route("/")
    def index():
        response = fw.make_response(fw.jsonify({"name": "John", "age": 30}), 201)
        response.headers["Content-Type"] = "application/json"
        return response


@case("jsonify positional list")
def _jsonify_list(fw, app):
    @app.route("/")
    def index():
        return fw.jsonify(1, "two", None)


@case("jsonify non-ASCII and indented (compact=False)")
def _jsonify_pretty(fw, app):
    app.json.compact = False

    @app.route("/")
    def index():
        return fw.jsonify(text="caf\u00e9 \u2603 <b>", nested={"b": [1, 2], "a": {}})


@case("jsonify ensure_ascii=False, sort_keys=False")
def _jsonify_settings(fw, app):
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    @app.route("/")
    def index():
        return fw.jsonify({"z": "caf\u00e9", "a": 1})


@case("jsonify dates, uuid, decimal")
def _jsonify_types(fw, app):
    import uuid
    from decimal import Decimal

    @app.route("/")
    def index():
        return fw.jsonify(
            when=datetime(2024, 2, 3, 4, 5, 6, tzinfo=timezone.utc),
            day=datetime(2024, 2, 3).date(),
            ident=uuid.UUID("12345678-1234-5678-1234-567812345678"),
            price=Decimal("1.50"),
        )


@case("set_cookie with max_age (Expires computed)")
def _cookie_max_age(fw, app):
    @app.route("/")
    def index():
        response = fw.make_response("Cookie has been set!")
        response.set_cookie("user_id", "12345", max_age=3600)
        return response


@case("set_cookie with every attribute")
def _cookie_everything(fw, app):
    @app.route("/")
    def index():
        response = fw.make_response("c")
        response.set_cookie(
            "full",
            "v",
            max_age=timedelta(days=1),
            expires=datetime(2099, 1, 1, tzinfo=timezone.utc),
            path="/app",
            domain="example.com",
            secure=True,
            httponly=True,
            samesite="Strict",
            partitioned=True,
        )
        response.set_cookie("quoted", 'a b;c"d\\e')
        response.set_cookie("lax", "1", samesite="lax", path=None)
        return response


@case("delete_cookie")
def _delete_cookie(fw, app):
    @app.route("/")
    def index():
        response = fw.make_response("bye")
        response.delete_cookie("gone")
        response.delete_cookie("scoped", path="/x", domain="example.com", secure=True)
        return response


@case("204 No Content")
def _no_content(fw, app):
    @app.route("/")
    def index():
        return "ignored", 204


@case("304 Not Modified keeps ETag, drops entity headers")
def _not_modified(fw, app):
    @app.route("/")
    def index():
        return "ignored", 304, {"ETag": '"abc"', "Cache-Control": "max-age=60"}


@case("HEAD of a text view", "HEAD")
def _head(fw, app):
    @app.route("/")
    def index():
        return "twelve bytes", 200, {"X-Head": "1"}


@case("HEAD of a streamed view", "HEAD")
def _head_streamed(fw, app):
    @app.route("/")
    def index():
        return iter(["streamed"])


@case("after_this_request and after_request order")
def _after_hooks(fw, app):
    @app.after_request
    def first(response):
        response.headers.add("X-Order", "first-registered")
        return response

    @app.after_request
    def second(response):
        response.headers.add("X-Order", "second-registered")
        return response

    @app.route("/")
    def index():
        @fw.after_this_request
        def local(response):
            response.headers.add("X-Order", "this-request")
            return response

        return "x"


@case("before_request short-circuit, after_request still runs")
def _before_short_circuit(fw, app):
    @app.before_request
    def gate():
        return "blocked", 403

    @app.after_request
    def after(response):
        response.headers["X-After"] = "ran"
        return response

    @app.route("/")
    def index():
        return "never"


# ---------------------------------------------------------------------------
# Redirects


@case("redirect with a space and a quote in the location")
def _redirect_quoting(fw, app):
    @app.route("/")
    def index():
        return fw.redirect('/a b/"c"')


@case("redirect default 302")
def _redirect(fw, app):
    @app.route("/")
    def index():
        return fw.redirect("/target?a=1&b=<2>")


@case("redirect 301 absolute")
def _redirect_301(fw, app):
    @app.route("/")
    def index():
        return fw.redirect("https://example.com/x", code=301)


@case("redirect 307 with extra cookie")
def _redirect_cookie(fw, app):
    @app.route("/")
    def index():
        response = fw.make_response(fw.redirect("/next", 307))
        response.set_cookie("seen", "yes")
        return response


@case("redirect with non-ASCII location")
def _redirect_unicode(fw, app):
    @app.route("/")
    def index():
        return fw.redirect("/caf\u00e9?q=\u2603")


@case("url_for external in a view", query="x=1")
def _url_for(fw, app):
    @app.route("/user/<name>")
    def user(name):
        return name

    @app.route("/")
    def index():
        return fw.jsonify(
            plain=fw.url_for("user", name="a b"),
            external=fw.url_for("user", name="x", _external=True),
            query=fw.url_for("user", name="x", page=2, tag=["a", "b"]),
            anchor=fw.url_for("index", _anchor="top part"),
        )


# ---------------------------------------------------------------------------
# Errors


@case("404 default page", path="/no/such/page")
def _not_found(fw, app):
    @app.route("/")
    def index():
        return "x"


@case("abort(404)")
def _abort_404(fw, app):
    @app.route("/")
    def index():
        fw.abort(404)


@case("abort(403, description with HTML)")
def _abort_description(fw, app):
    @app.route("/")
    def index():
        fw.abort(403, "No access for <you> & 'them'")


@case("abort(401)")
def _abort_401(fw, app):
    @app.route("/")
    def index():
        fw.abort(401)


@case("abort(418)")
def _abort_418(fw, app):
    @app.route("/")
    def index():
        fw.abort(418)


@case("abort(response)")
def _abort_response(fw, app):
    @app.route("/")
    def index():
        fw.abort(fw.make_response("custom", 409, {"X-Abort": "1"}))


@case("unhandled exception -> 500 page")
def _unhandled(fw, app):
    @app.route("/")
    def index():
        raise RuntimeError("boom")


@case("500 handler with original_exception")
def _handler_500(fw, app):
    @app.errorhandler(500)
    def server_error(error):
        return fw.jsonify(original=type(error.original_exception).__name__), 500

    @app.route("/")
    def index():
        raise KeyError("inner")


@case("errorhandler(404) returning JSON", path="/missing")
def _handler_404(fw, app):
    @app.errorhandler(404)
    def not_found(error):
        return fw.make_response(fw.jsonify({"error": "Resource not found"}), 404)


@case("errorhandler returning a bare string keeps 200", path="/missing")
def _handler_bare(fw, app):
    @app.errorhandler(404)
    def not_found(error):
        return "handled without status"


@case("errorhandler(Exception) catches HTTP errors too", path="/missing")
def _handler_exception(fw, app):
    @app.errorhandler(Exception)
    def everything(error):
        return f"caught {type(error).__name__}", 599


@case("missing form key -> 400", "POST", body=b"username=sam", content_type=FORM)
def _missing_form_key(fw, app):
    @app.route("/", methods=["POST"])
    def index():
        return fw.request.form["lastname"]


@case("missing query key -> 400")
def _missing_arg(fw, app):
    @app.route("/")
    def index():
        return fw.request.args["page"]


@case("malformed JSON -> 400", "POST", body=b"{bad", content_type="application/json")
def _bad_json(fw, app):
    @app.route("/", methods=["POST"])
    def index():
        return fw.jsonify(fw.request.json)


@case("JSON of text/plain -> 415", "POST", body=b'{"a": 1}', content_type="text/plain")
def _json_415(fw, app):
    @app.route("/", methods=["POST"])
    def index():
        return fw.jsonify(fw.request.get_json())


@case("MAX_CONTENT_LENGTH -> 413", "POST", body=b"x" * 100, content_type="text/plain")
def _too_large(fw, app):
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.route("/", methods=["POST"])
    def index():
        return fw.request.get_data()


@case(
    "MAX_FORM_PARTS -> 413 (multipart)",
    "POST",
    body=b"".join(
        b'--B\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % n for n in range(20)
    )
    + b"--B--\r\n",
    content_type="multipart/form-data; boundary=B",
)
@case(
    "MAX_FORM_PARTS within the limit (multipart)",
    "POST",
    body=b"".join(
        b'--B\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % n for n in range(3)
    )
    + b"--B--\r\n",
    content_type="multipart/form-data; boundary=B",
)
def _too_many_parts(fw, app):
    app.config["MAX_FORM_PARTS"] = 5

    @app.route("/", methods=["POST"])
    def index():
        return str(len(fw.request.form))


@case(
    "MAX_FORM_MEMORY_SIZE -> 413 (multipart field)",
    "POST",
    body=b'--B\r\nContent-Disposition: form-data; name="big"\r\n\r\n'
    + b"x" * 2000
    + b"\r\n--B--\r\n",
    content_type="multipart/form-data; boundary=B",
)
def _form_memory(fw, app):
    app.config["MAX_FORM_MEMORY_SIZE"] = 1000

    @app.route("/", methods=["POST"])
    def index():
        return str(len(fw.request.form))


# ---------------------------------------------------------------------------
# Routing


@case("405 with Allow", "GET", "/only-post")
@case("405 with Allow, PUT", "PUT", "/only-post")
def _method_not_allowed(fw, app):
    @app.route("/only-post", methods=["POST"])
    def only_post():
        return "posted"


@case("automatic OPTIONS", "OPTIONS", "/both")
@case("HEAD on a 404", "HEAD", "/nothing")
def _options(fw, app):
    @app.route("/both", methods=["GET", "POST"])
    def both():
        return "x"


@case("strict slashes 308 keeps the query", "GET", "/folder", query="a=1&b=two")
@case("strict slashes 308 for POST", "POST", "/folder", body=b"k=v", content_type=FORM)
@case("no-slash rule with slash -> 404", "GET", "/file/")
def _slashes(fw, app):
    @app.route("/folder/", methods=["GET", "POST"])
    def folder():
        return "folder"

    @app.route("/file")
    def file():
        return "file"


@case("static path beats dynamic", "GET", "/user/me")
@case("dynamic path", "GET", "/user/caf%C3%A9")
def _static_vs_dynamic(fw, app):
    @app.route("/user/<name>")
    def user(name):
        return f"dynamic {name}"

    @app.route("/user/me")
    def me():
        return "static me"


@case("int converter beats string", "GET", "/x/12")
@case("string when not an int", "GET", "/x/-12")
@case("float converter", "GET", "/f/1.5")
@case("float converter refuses ints", "GET", "/f/2")
@case("path converter", "GET", "/files/a/b/c.txt")
@case("uuid converter", "GET", "/u/12345678-1234-5678-1234-567812345678")
@case("any converter", "GET", "/page/help")
def _converters(fw, app):
    @app.route("/x/<name>")
    def by_name(name):
        return f"name {name}"

    @app.route("/x/<int:ident>")
    def by_id(ident):
        return f"id {ident!r}"

    @app.route("/f/<float:value>")
    def by_float(value):
        return repr(value)

    @app.route("/files/<path:sub>")
    def files(sub):
        return sub

    @app.route("/u/<uuid:ident>")
    def by_uuid(ident):
        return repr(ident)

    @app.route("/page/<any(about, help):page>")
    def page(page):
        return page


@case("defaults on the rule", "GET", "/page/")
@case("explicit value", "GET", "/page/4")
@case("default value in the URL redirects to the defaults rule", "GET", "/page/1")
def _defaults(fw, app):
    @app.route("/page/", defaults={"number": 1})
    @app.route("/page/<int:number>")
    def page(number):
        return f"page {number}"


# ---------------------------------------------------------------------------
# Request parsing echoes


def _echo_view(fw, app, methods=("GET", "POST", "PUT")):
    @app.route("/echo", methods=list(methods))
    @app.route("/echo/<path:rest>", methods=list(methods))
    def echo(rest=None):
        request = fw.request
        return fw.jsonify(
            method=request.method,
            path=request.path,
            full_path=request.full_path,
            url=request.url,
            base_url=request.base_url,
            url_root=request.url_root,
            host_url=request.host_url,
            host=request.host,
            script_root=request.script_root,
            args=request.args.to_dict(flat=False),
            form=request.form.to_dict(flat=False),
            values=request.values.to_dict(flat=False),
            json=request.get_json(silent=True),
            cookies=request.cookies.to_dict(),
            mimetype=request.mimetype,
            content_type=request.content_type,
            content_length=request.content_length,
            is_json=request.is_json,
            view_args=request.view_args,
            endpoint=request.endpoint,
            user_agent=str(request.user_agent),
            x_header=request.headers.get("X-Custom"),
            files={
                name: [storage.filename, storage.mimetype, storage.read().decode()]
                for name, storage in request.files.items()
            },
        )


@case("echo GET args", "GET", "/echo", query="a=1&b=x&b=y&empty=&plus=a+b%2Bc")
@case("echo invalid UTF-8 percent escapes", "GET", "/echo", query="a=%FF&b=caf%C3%A9&c=%zz")
@case("echo unicode path", "GET", "/echo/caf%C3%A9/x")
@case(
    "echo form",
    "POST",
    "/echo",
    query="q=1",
    body=b"username=sam&firstname=john&lastname=king&x=a+b%26",
    content_type=FORM,
)
@case(
    "echo JSON", "POST", "/echo", body=b'{"a": [1, 2], "b": null}', content_type="application/json"
)
@case("echo raw text", "PUT", "/echo", body=b"just text", content_type="text/plain; charset=utf-8")
@case(
    "echo cookies and headers",
    "GET",
    "/echo",
    headers={"Cookie": 'a=1; b="quoted value"; c=caf%C3%A9', "X-Custom": "custom"},
)
@case(
    "echo multipart upload",
    "POST",
    "/echo",
    body=(
        b"--BOUNDARY\r\n"
        b'Content-Disposition: form-data; name="title"\r\n\r\n'
        b"A title\r\n"
        b"--BOUNDARY\r\n"
        b'Content-Disposition: form-data; name="doc"; filename="notes.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n"
        b"file contents\r\n"
        b"--BOUNDARY--\r\n"
    ),
    content_type="multipart/form-data; boundary=BOUNDARY",
)
@case(
    "echo under a script root over https",
    "GET",
    "/echo/x",
    query="q=caf%C3%A9",
    environ={
        "SCRIPT_NAME": "/mount",
        "wsgi.url_scheme": "https",
        "HTTP_HOST": "example.com:8443",
        "SERVER_PORT": "8443",
    },
)
@case(
    "echo without a Host header (HTTP/1.0)",
    "GET",
    "/echo",
    environ={"HTTP_HOST": None, "SERVER_PROTOCOL": "HTTP/1.0"},
)
@case(
    "echo without a Host header (HTTP/1.0), odd port",
    "GET",
    "/echo",
    environ={
        "HTTP_HOST": None,
        "SERVER_NAME": "internal",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.0",
    },
)
def _echo(fw, app):
    _echo_view(fw, app)


@case(
    "missing form key in debug names the key",
    "POST",
    body=b"username=sam",
    content_type=FORM,
)
def _debug_key_error(fw, app):
    app.debug = True
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.config["TRAP_BAD_REQUEST_ERRORS"] = False

    @app.route("/", methods=["POST"])
    def index():
        return fw.request.form["lastname"]


@case("g set in before_request, cookie set in after_request")
def _g_and_hooks(fw, app):
    @app.before_request
    def load():
        fw.g.user = "alice"

    @app.after_request
    def remember(response):
        response.set_cookie("user", fw.g.user, httponly=True, samesite="Lax")
        return response

    @app.route("/")
    def index():
        return f"hello {fw.g.user}"


@case("error handler for abort with description", path="/item/0")
def _handler_description(fw, app):
    @app.errorhandler(404)
    def not_found(error):
        return fw.jsonify(error=error.description, code=error.code, name=error.name), 404

    @app.route("/item/<int:ident>")
    def item(ident):
        fw.abort(404, description=f"No item {ident}")


@pytest.mark.parametrize("item", CASES, ids=[item.name for item in CASES])
def test_same_answer_as_flask(item: Case) -> None:
    flask_app = build(flask, item.setup)
    carafe_app = build(carafe, item.setup)
    assert_same(ask(flask_app, item.request), ask(carafe_app, item.request))


def test_enough_cases() -> None:
    assert len(CASES) >= 40

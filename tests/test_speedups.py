"""The compiled helpers (carafe._speedups) against their pure-Python references.

These tests import the extension directly, so they run in both passes of
``make test``: the usual one, and the one with ``CARAFE_NO_SPEEDUPS=1``, where
the rest of Carafe runs in pure Python.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

import pytest

import carafe._speedups as native
from carafe import Flask, request
from carafe import response as response_module
from carafe.ctx import _NO_REQUEST, _PROXY_OWN, _cv_ctx, _RequestProxy
from carafe.http import headers as headers_module
from carafe.http.forms import FormTooLarge, _parse_lists, parse_urlencoded_lists
from carafe.http.headers import _VALID_VALUES, KNOWN_NAMES, Headers
from carafe.http.status import STATUS_LINES
from carafe.response import _FOR_MIMETYPE, _LENGTH_TEXTS, Response

# The query strings tests/http/test_forms.py checks against Werkzeug, and more.
QUERIES = [
    "", "a=1", "a=1&a=2", "a=1&b=2&a=3", "%zz", "%", "%e9", "a=%e9%41", "&&&", "=x", "=",
    "a", "a&b=&=c", "a;b=1", "a+b=c+d", "a=%2B+%20", "a=%C3%A9", "%C3", "%41%4", "a=b=c",
    "%f0%9f%98%80x%f0%9f", "%00=%0d%0a", "k=" + "v" * 1000, "caf\xe9=\xe9t\xe9",
    "%E2%82=%E2%82%AC%E2%82", "%ZZ%4", "+++", "%%%41", "a=%C3%A9%E9%C3",
]  # fmt: skip

# The random differential tests' rounds: `make fuzz` runs many more (and a new seed).
ROUNDS = int(os.environ.get("CARAFE_FUZZ_ROUNDS", "1"))
SEED = int(os.environ.get("CARAFE_FUZZ_SEED", "0"))

# -- the build ------------------------------------------------------------------------


def test_the_extension_is_built_and_used() -> None:
    # The development install compiles it (setup.py); an install without a C
    # compiler runs in pure Python, which the CARAFE_NO_SPEEDUPS pass checks.
    import carafe._compiled

    if os.environ.get("CARAFE_NO_SPEEDUPS"):
        assert carafe._compiled.speedups is None
        assert type(request).__getattribute__ is _RequestProxy.__getattribute__
    else:
        # A stale build (another interface version) would not be used: rebuild.
        assert native.VERSION == carafe._compiled.VERSION
        assert carafe._compiled.speedups is native
        assert type(Headers.__dict__["__setitem__"]).__name__ == "method_descriptor"


def test_carafe_no_speedups_runs_in_pure_python() -> None:
    script = (
        "import carafe._compiled, carafe.http.headers as h\n"
        "from carafe import Flask, request\n"
        "assert carafe._compiled.speedups is None\n"
        "assert h.Headers.__dict__['__setitem__'] is h._setitem_python\n"
        "app = Flask('x')\n"
        "@app.post('/')\n"
        "def view():\n"
        "    return request.form['a'], 201, {'X-A': request.form['a']}\n"
        "r = app.test_client().post('/', data={'a': 'b c'})\n"
        "print(r.status_code, r.headers['X-A'], r.get_data(as_text=True))\n"
    )
    env = {**os.environ, "CARAFE_NO_SPEEDUPS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout == "201 b c b c\n"


# -- urlencoded -------------------------------------------------------------------------


def python_lists(body: bytes, max_fields: int | None) -> dict[str, list[str]] | int:
    try:
        return _parse_lists(body, max_fields)
    except FormTooLarge as exc:
        return int(str(exc).split()[3])  # "The form has N fields, ..."


@pytest.mark.parametrize("max_fields", [None, 0, 1, 2, 1000])
@pytest.mark.parametrize("query", QUERIES)
def test_urlencoded_examples_match_python(query: str, max_fields: int | None) -> None:
    for body in (query.encode("latin-1"), query.encode()):
        assert native.urlencoded_lists(body, max_fields) == python_lists(body, max_fields)


def test_urlencoded_fuzz_matches_python() -> None:
    # Raw bytes that are not UTF-8, escapes of every kind, separators in a row.
    alphabet = [
        b"a", b"B", b"=", b"&", b"+", b"%", b"%2", b"%2B", b"%e9", b"%C3", b"%A9", b"%zz",
        b"\xe9", b"\xc3", b"\xa9", b"\xc3\xa9", b"\xf0\x9f\x98\x80", b"\x00", b" ", b";", b"9",
    ]  # fmt: skip
    rng = random.Random(11 + SEED)
    for _ in range(4000 * ROUNDS):
        body = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 20)))
        for limit in (None, 3):
            assert native.urlencoded_lists(body, limit) == python_lists(body, limit), body


def test_urlencoded_reports_a_count_over_the_limit() -> None:
    assert native.urlencoded_lists(b"a&&b&c&", 2) == 3
    assert native.urlencoded_lists(b"a&&b&c&", 3) == {"a": [""], "b": [""], "c": [""]}
    with pytest.raises(FormTooLarge, match="3 fields, more than the limit of 2"):
        parse_urlencoded_lists(b"a&&b&c&", max_fields=2)


def test_urlencoded_takes_bytes_only() -> None:
    with pytest.raises(TypeError, match="needs bytes"):
        native.urlencoded_lists("a=1", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        native.urlencoded_lists(b"a=1", "10")  # type: ignore[arg-type]
    # The public function takes other byte types through the Python parser.
    assert parse_urlencoded_lists(bytearray(b"a=1&a=%41"), max_fields=None) == {"a": ["1", "A"]}


# -- headers ----------------------------------------------------------------------------


@pytest.fixture
def configured() -> Iterator[None]:
    # headers.py shares its caches only when the speedups are active.
    native.configure_headers(KNOWN_NAMES, _VALID_VALUES)
    yield


def python_set(items: list[tuple[str, str]], name: Any, value: Any) -> None:
    headers_module._setitem_python(Headers._trusted(items), name, value)


def remember(names: list[str], values: str | list[str]) -> None:
    # What validating them does (headers._check_name/_check_value), even when an
    # earlier test has filled the capped caches.
    KNOWN_NAMES.update((name, name.lower()) for name in names)
    _VALID_VALUES.update(values)


NAMES = ["Content-Type", "content-type", "CONTENT-TYPE", "X-One", "x-one", "Location", "X-New"]


def test_set_known_header_matches_python(configured: None) -> None:
    remember(NAMES, "vab")
    rng = random.Random(5 + SEED)
    for _ in range(3000 * ROUNDS):
        layout = [(rng.choice(NAMES), rng.choice("abc")) for _ in range(rng.randrange(0, 5))]
        name, value = rng.choice(NAMES), rng.choice(["v", "a", "b"])
        compiled, reference = list(layout), list(layout)
        done = native.set_known_header(compiled, name, value)
        python_set(reference, name, value)
        if done:
            assert compiled == reference, (layout, name, value)
        else:
            # Declined (a repeated name): nothing was changed.
            assert compiled == layout
            assert len([n for n, _ in layout if n.lower() == name.lower()]) > 1


def test_setitem_method_matches_python(configured: None) -> None:
    setitem = native.setitem_method(Headers, headers_module._setitem_python)
    remember(NAMES, "vab")
    rng = random.Random(9 + SEED)
    keys: list[Any] = [*NAMES, "X-Unseen-Name", 0, -1, slice(0, 1), 3.5, "Bad Name"]
    values: list[Any] = ["v", "a", 7, "new value", "x\r\ny", ("N", "v"), [("N", "v")]]
    KNOWN_NAMES.pop("X-Unseen-Name", None)
    for _ in range(2000 * ROUNDS):
        layout = [(rng.choice(NAMES), rng.choice("abc")) for _ in range(rng.randrange(0, 4))]
        key, value = rng.choice(keys), rng.choice(values)
        compiled, reference = Headers._trusted(list(layout)), Headers._trusted(list(layout))
        outcomes = []
        for target, call in ((compiled, setitem), (reference, headers_module._setitem_python)):
            try:
                call(target, key, value)
                outcomes.append(None)
            except Exception as exc:
                outcomes.append(type(exc))
        assert outcomes[0] == outcomes[1], (layout, key, value)
        assert compiled.to_wsgi_list() == reference.to_wsgi_list(), (layout, key, value)
    assert setitem.__name__ == "__setitem__"
    with pytest.raises(TypeError):
        setitem(Headers(), "X-A")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        setitem(object(), "X-A", "v")  # not a Headers


def test_set_known_header_declines_what_it_does_not_know(configured: None) -> None:
    remember(["X-Known"], ["ok"])
    items = [("X-Known", "1")]
    cases: list[tuple[Any, Any, Any]] = [
        (items, "X-Never-Seen-Name", "ok"),  # name not validated yet
        (items, "X-Known", "not checked yet \u2603"),  # value not checked yet
        (items, "X-Known", 12),  # not a str
        (items, 0, "ok"),  # an index
        ([("X-Unvalidated", "1")], "X-Known", "ok"),  # a name in the list never validated
        ([["X-Known", "1"]], "X-Known", "ok"),  # not a tuple
        ([("X-Known", "1"), ("x-known", "2")], "X-Known", "ok"),  # a repeat
        (tuple(items), "X-Known", "ok"),  # not a list
    ]
    for target, name, value in cases:
        before = list(target)
        assert native.set_known_header(target, name, value) is False
        assert list(target) == before
    # The Python path then validates, and refuses an injection.
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        Headers()["X-Known"] = "a\r\nSet-Cookie: x=1"
    with pytest.raises(ValueError, match="RFC 9110 tokens"):
        Headers()["Bad Name"] = "ok"


def test_set_known_header_replaces_in_place_and_appends(configured: None) -> None:
    remember(["X-Known", "Content-Type", "content-type", "Location"], ["ok", "text/plain"])
    items = [("Content-Type", "text/html"), ("X-Known", "1")]
    assert native.set_known_header(items, "content-type", "text/plain") is True
    assert items == [("content-type", "text/plain"), ("X-Known", "1")]
    assert native.set_known_header(items, "X-Known", "ok") is True
    assert native.set_known_header(items, "Location", "ok") is True
    assert items == [("content-type", "text/plain"), ("X-Known", "ok"), ("Location", "ok")]


# -- responses --------------------------------------------------------------------------


@pytest.fixture
def responses() -> Iterator[None]:
    # response.py shares its caches only when the speedups are active.
    native.configure_headers(KNOWN_NAMES, _VALID_VALUES)
    native.configure_response(
        STATUS_LINES, _FOR_MIMETYPE, _LENGTH_TEXTS, response_module._length_text, Headers, Response
    )
    yield


class NoLength(Response):
    automatically_set_content_length = False


class Plain(Response):
    default_mimetype = "text/plain"
    default_status = 201


class NoType(Response):
    default_mimetype = None


class OddStatus(Response):
    default_status = 299


def state(response: Response) -> tuple[Any, ...]:
    return (
        response.status,
        response.status_code,
        response.headers.to_wsgi_list(),
        response.response,
        response.direct_passthrough,
        response._on_close,
        type(response.headers),
    )


def python_response(cls: type[Response], *args: Any) -> tuple[Any, ...] | type[BaseException]:
    saved, response_module._init_text = response_module._init_text, None
    try:
        return state(cls(*args))
    except Exception as exc:
        return type(exc)
    finally:
        response_module._init_text = saved


BODIES: list[Any] = [
    "Hello",
    "",
    "h\u00e9 \u2603",
    b"raw\xff",
    "\ud800",
    bytearray(b"x"),
    None,
    ["a"],
]
STATUSES: list[Any] = [None, 200, 201, 404, 299, 600, 99, True, HTTPStatus.CREATED, "201 X"]
MIMETYPES: list[Any] = [None, "text/html", "application/json", "text/x-never-seen", 5]


def accepted(cls: type[Response], *args: Any) -> bool:
    """What init_text takes on: all it needs is known, nothing to check or word."""
    body, status, headers, mimetype, content_type, passthrough = args
    if type(body) not in (str, bytes) or (content_type, passthrough) != (None, False):
        return False
    if headers is not None and not (
        type(headers) is dict
        and all(
            type(name) is str
            and KNOWN_NAMES.get(name) not in (None, "content-type", "content-length")
            and type(value) is str
            and value in _VALID_VALUES
            for name, value in headers.items()
        )
    ):
        return False
    if body == "\ud800":
        return False  # not UTF-8: the Python code raises
    code = cls.default_status if status is None else status
    mimetype = cls.default_mimetype if mimetype is None else mimetype
    return (
        type(code) is int
        and code in STATUS_LINES
        and (mimetype is None or (type(mimetype) is str and mimetype in _FOR_MIMETYPE))
    )


def test_init_text_matches_python(responses: None) -> None:
    rests: list[tuple[Any, Any, Any]] = [(None, None, False), (None, "text/csv", False)]
    rests.append((None, None, True))
    for headers in ({}, {"X-A": "1", "X-B": "2"}, {"Content-Type": "text/x"}, {"X-A": 5},
                    {"x-a": ["1", "2"]}, {"Content-Length": "1"}, [("X-A", "1")]):  # fmt: skip
        rests.append((headers, None, False))
    for cls in (Response, NoLength, Plain, NoType, OddStatus):
        for body in BODIES:
            for status in STATUSES:
                for mimetype in MIMETYPES:
                    for headers, content_type, passthrough in rests:
                        args = (body, status, headers, mimetype, content_type, passthrough)
                        # First: it checks and caches a new mimetype, as the first use does.
                        reference = python_response(cls, *args)
                        response = cls.__new__(cls)
                        assert native.init_text(response, *args) is accepted(cls, *args), args
                        if accepted(cls, *args):
                            assert state(response) == reference, (cls, args)


def test_init_text_takes_a_dict_of_known_headers(responses: None) -> None:
    remember(["X-A"], ["1"])
    Response("", mimetype="text/html")  # its content type checked and cached
    response = Response.__new__(Response)
    assert native.init_text(response, "Success", 201, {"X-A": "1"}, None, None, False) is True
    assert response.status == "201 CREATED"
    assert response.headers.to_wsgi_list() == [
        ("X-A", "1"),
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", "7"),
    ]
    assert response.response == [b"Success"]


def test_init_text_declines_what_it_does_not_know(responses: None) -> None:
    response = Response.__new__(Response)
    for args in [
        ("x", 600, None, None, None, False),  # an unknown code: status_line words it
        ("x", None, None, "text/x-unseen-type", None, False),  # not checked yet
        ("\ud800", None, None, None, None, False),  # not UTF-8: Python raises
        ("x", HTTPStatus.OK, None, None, None, False),
        (bytearray(b"x"), None, None, None, None, False),
        ("x", None, None, None, None, 0),
    ]:
        assert native.init_text(response, *args) is False
        with pytest.raises(AttributeError):
            response.status  # nothing was set
    with pytest.raises(UnicodeEncodeError):
        Response("\ud800")


def test_text_response_matches_make_response(responses: None, monkeypatch: Any) -> None:
    from carafe import app as app_module

    app = Flask(__name__)
    remember(["X-A", "X-B"], ["1", "2"])
    Response("")  # the default mimetype checked and cached
    bodies: list[Any] = ["Success", "", "\u2603", "\ud800", b"bytes", None, ["a"], {"a": 1}]
    seconds: list[Any] = [201, 404, 600, None, "201 X", HTTPStatus.CREATED, True, {"X-A": "1"},
                          {"X-New-Name": "v"}, [("X-A", "1")], Headers({"X-A": "1"})]  # fmt: skip
    shapes: list[Any] = []
    for body in bodies:
        shapes.append(body)
        for second in seconds:
            shapes.append((body, second))
            shapes.append((body, second, {"X-B": "2"}))
            shapes.append((body, second, None))
    shapes += [(), ("a",), ("a", 200, {}, 1)]

    def python_make(rv: Any) -> Any:
        with monkeypatch.context() as patch:
            patch.setattr(app_module, "text_response", None)
            try:
                return state(app.make_response(rv))
            except Exception as exc:
                return type(exc)

    with app.test_request_context():
        for rv in shapes:
            reference = python_make(rv)
            response = native.text_response(rv)
            if response is not None:
                assert type(response) is Response
                assert state(response) == reference, rv
        # What views return most: taken on (the rest may go to the Python steps).
        for rv in ["Success", ("Success", 201), ("Success", {"X-A": "1"}),
                   ("Success", 201, {"X-A": "1", "X-B": "2"}), ("", 404, {})]:  # fmt: skip
            assert native.text_response(rv) is not None, rv
        assert native.text_response(("Made", 201, {"X-A": "1"})) is not None
        made = app.make_response(("Made", 201, {"X-A": "1"}))
        assert made.status == "201 CREATED"
        assert made.headers["X-A"] == "1"


class Sub(Response):
    pass


def check_asgi_messages(response: Response, method: str) -> None:
    """asgi_messages gives what the ASGI app's Python fast path sends, or declines."""
    from carafe import asgi

    asgi._encode_headers(response.headers.to_wsgi_list())  # every name known
    messages = native.asgi_messages(response, method, asgi._ASGI_NAMES)
    if messages is None:
        return
    assert type(response) is Response and method != "HEAD"
    assert messages == (
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": asgi._encode_headers(response.wsgi_headers()),
        },
        {"type": "http.response.body", "body": response.response[0], "more_body": False},
    )


def test_wsgi_respond_matches_wsgi_headers_and_body(responses: None) -> None:
    remember(["Content-Type", "Content-Length", "Location", "X-A"], ["1"])
    KNOWN_NAMES.pop("X-Unseen-Name", None)

    def variants() -> Iterator[Response]:
        for status in (200, 201, 204, 304, 101, 199, 404, 599):
            yield Response(b"body", status)
        yield Response("text")
        yield Response([b"a", b"b"])
        yield Response(iter([b"a"]))
        yield Response([b"a"], headers={"Content-Length": "1"})
        yield Response(b"x", headers={"X-A": "1"})
        yield Response(b"x", headers={"Location": "/caf\u00e9"})
        yield Response(b"x", headers={"X-Unseen-Name": "v"})
        yield Sub(b"x")
        closing = Response(b"x")
        closing.call_on_close(lambda: None)
        yield closing
        emptied = Response(b"x")
        emptied._on_close = []
        yield emptied
        chunk_str = Response(b"x")
        chunk_str.response = ["x"]
        yield chunk_str
        odd = Response(b"x")
        odd._status_code = True  # type: ignore[assignment]
        yield odd

    for method in ("GET", "POST", "HEAD"):
        for response in variants():
            check_asgi_messages(response, method)
            calls: list[tuple[str, list[tuple[str, str]]]] = []
            body = native.wsgi_respond(response, lambda s, h: calls.append((s, h)), method)
            if body is None:
                assert calls == []  # nothing sent: the Python methods answer
                continue
            assert type(response) is Response and method != "HEAD"
            assert calls == [(response._status, response.wsgi_headers())]
            assert body is response.response
            assert list(body) == list(response.wsgi_body(method))
    # The usual answer is taken on.
    sent: list[Any] = []
    assert native.wsgi_respond(Response("Hi"), lambda *a: sent.append(a), "GET") == [b"Hi"]
    assert sent == [
        ("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "2")])
    ]

    def failing(status: str, headers: list[tuple[str, str]]) -> None:
        raise RuntimeError("the server refused")

    with pytest.raises(RuntimeError, match="the server refused"):
        native.wsgi_respond(Response("Hi"), failing, "GET")
    # ASGI: the usual answer is taken on; a value that is not latin-1 is an error.
    from carafe import asgi

    asgi._encode_headers([("Content-Type", ""), ("Content-Length", ""), ("X-A", "")])
    assert native.asgi_messages(Response("Hi"), "GET", asgi._ASGI_NAMES) is not None
    snowman = Response("Hi", headers={"X-A": "\u2603"})
    with pytest.raises(UnicodeEncodeError):
        native.asgi_messages(snowman, "GET", asgi._ASGI_NAMES)
    with pytest.raises(TypeError):
        native.asgi_messages(Response("Hi"), "GET", [])  # type: ignore[arg-type]


def test_make_response_matches_python(responses: None) -> None:
    from carafe.helpers import _make_response_python

    native.configure_proxy(_cv_ctx, _PROXY_OWN, _NO_REQUEST)
    native.configure_make_response(_make_response_python)

    class Custom(Flask):
        response_class = Sub

    class OwnMake(Flask):
        def make_response(self, rv: Any) -> Response:
            response = super().make_response(rv)
            response.headers["X-Own"] = "1"
            return response

    def outcome(call: Callable[..., Any], *args: Any) -> Any:
        try:
            response = call(*args)
        except Exception as exc:
            return type(exc)
        return type(response), state(response)

    argument_lists: list[tuple[Any, ...]] = [
        ("Hello",), ("",), ("\ud800",), (b"raw",), ({"a": 1},), (["a"],), (None,),
        ("Hi", 201), ("Hi", {"X-A": "1"}), (), ("a", 1, 2, 3), (Response("made"),),
        (Sub("sub"),),
    ]  # fmt: skip
    assert outcome(native.make_response, "x") is RuntimeError  # no app context
    for app in (Flask(__name__), Custom(__name__), OwnMake(__name__)):
        with app.test_request_context():
            for args in argument_lists:
                assert outcome(native.make_response, *args) == outcome(
                    _make_response_python, *args
                ), (type(app).__name__, args)
            made = Response("made")
            if type(app) is Flask:
                assert native.make_response(made) is made
    with pytest.raises(TypeError):
        native.make_response("x", status=201)  # type: ignore[call-arg]


def test_headers_ready_matches_wsgi_headers(responses: None) -> None:
    remember(["Content-Type", "Content-Length", "Location", "X-A"], [])
    KNOWN_NAMES.pop("X-Unseen-Name", None)  # in case another test set it
    cases = [
        ([("Content-Type", "a"), ("Content-Length", "1")], True),
        ([("Content-Length", "1")], True),
        ([("Content-Type", "a")], False),  # the length is computed
        ([("Content-Length", "1"), ("Location", "/x")], False),  # the URI is checked
        ([("Content-Length", "1"), ("X-Unseen-Name", "v")], False),
        ([("Content-Length", "1"), ["X-A", "v"]], False),
        ([], False),
    ]
    for items, ready in cases:
        assert native.headers_ready(items) is ready, items
        if ready:
            response = Response(b"x")
            response.headers._list = list(items)
            assert response.wsgi_headers() == items
    assert native.headers_ready(tuple(cases[0][0])) is False  # type: ignore[arg-type]


def test_asgi_headers_matches_python(responses: None) -> None:
    names = {"Content-Type": b"content-type", "Content-Length": b"content-length", "X-A": b"x-a",
             "Location": b"location"}  # fmt: skip
    ok = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("X-A", "caf\u00e9"),
        ("Content-Length", "1"),
    ]
    assert native.asgi_headers(ok, names) == [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"x-a", b"caf\xe9"),
        (b"content-length", b"1"),
    ]
    for declined in (
        ok[:2],  # no length
        [*ok, ("Location", "/x")],
        [*ok, ("X-Unseen", "v")],
        [*ok, ("X-A", 5)],
        [*ok, ["X-A", "v"]],
    ):
        assert native.asgi_headers(declined, names) is None
    with pytest.raises(UnicodeEncodeError):
        native.asgi_headers([("X-A", "\u2603"), ("Content-Length", "1")], names)
    with pytest.raises(TypeError):
        native.asgi_headers(ok, list(names))  # type: ignore[arg-type]


# -- requests -------------------------------------------------------------------------


def request_state(request: Any) -> dict[str, Any]:
    from carafe.request import Request

    return {name: getattr(request, name, "<unset>") for name in Request.__slots__}


def test_request_init_matches_python() -> None:
    from carafe.options import DEFAULT_OPTIONS
    from carafe.request import UPPER_METHODS, Request, _init_python

    native.configure_request(Request, UPPER_METHODS, _init_python)
    init = native.init_method(Request)
    app = Flask(__name__)
    methods: list[Any] = ["GET", "POST", "get", "PATCH", "FOO", "", None, 5, "<missing>"]
    paths: list[Any] = ["/", "", "/a/b", "//a", "a", "/caf\xc3\xa9", "/\u2603", None, 7,
                        "<missing>", "///"]  # fmt: skip
    for method in methods:
        for path in paths:
            environ: dict[str, Any] = {"QUERY_STRING": ""}
            if method != "<missing>":
                environ["REQUEST_METHOD"] = method
            if path != "<missing>":
                environ["PATH_INFO"] = path
            for owner in (app.request_options, None):
                compiled, reference = Request.__new__(Request), Request.__new__(Request)
                outcomes = []
                for target, call in ((compiled, init), (reference, _init_python)):
                    try:
                        call(target, environ, owner)
                        outcomes.append(None)
                    except Exception as exc:
                        outcomes.append(type(exc))
                assert outcomes[0] == outcomes[1], (method, path)
                assert request_state(compiled) == request_state(reference), (method, path)
    # Keywords, a missing argument and a subclass go to the Python method.
    request = Request.__new__(Request)
    init(request, environ={"REQUEST_METHOD": "GET", "PATH_INFO": "/k"})
    assert (request.method, request.path) == ("GET", "/k")
    assert request.options is DEFAULT_OPTIONS
    with pytest.raises(TypeError):
        init(Request.__new__(Request))

    class Custom(Request):
        __slots__ = ("extra",)

        def __init__(self, environ: dict[str, Any], app: Any = None) -> None:
            super().__init__(environ, app)
            self.extra = self.path.upper()

    custom = Custom({"REQUEST_METHOD": "GET", "PATH_INFO": "/x"})
    assert (custom.method, custom.path, custom.extra) == ("GET", "/x", "/X")
    with pytest.raises(TypeError):
        native.configure_request(dict, {}, _init_python)  # no such slots


def test_asgi_request_init_matches_python() -> None:
    from carafe.asgi_request import ASGIRequest
    from carafe.asgi_request import _init_python as asgi_python
    from carafe.request import UPPER_METHODS, Request
    from carafe.request import _init_python as wsgi_python

    native.configure_request(Request, UPPER_METHODS, wsgi_python)
    native.configure_asgi_request(ASGIRequest, asgi_python)
    init = native.init_method(ASGIRequest)
    app = Flask(__name__)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    header_sets: list[Any] = [
        [], [(b"host", b"x"), (b"content-length", b"3")],
        [(b"cookie", b"a=1"), (b"cookie", b"b=2")],
        [[b"host", b"x"]], ((b"host", b"x"),), [("host", b"x")], "<missing>",
    ]  # fmt: skip
    rng = random.Random(13 + SEED)
    for _ in range(400 * ROUNDS):
        scope: dict[str, Any] = {"type": "http"}
        for key, choices in (
            ("method", ["GET", "post", "PATCH", "BREW", 5, "<missing>"]),
            ("path", ["/", "", "/a/b", "//a", "a", "/caf\u00e9", None, "<missing>", "/app/x"]),
            ("root_path", ["", None, "/app", "/other", 0, "<missing>"]),
            ("headers", header_sets),
        ):
            value = rng.choice(choices)
            if value != "<missing>":
                scope[key] = value
        compiled, reference = ASGIRequest.__new__(ASGIRequest), ASGIRequest.__new__(ASGIRequest)
        outcomes = []
        for target, call in ((compiled, init), (reference, asgi_python)):
            try:
                call(target, scope, receive, app.request_options)
                outcomes.append(None)
            except Exception as exc:
                outcomes.append(type(exc))
        assert outcomes[0] == outcomes[1], scope
        if outcomes[0] is None:
            for name in [*Request.__slots__, *ASGIRequest.__slots__]:
                if name != "environ":
                    assert getattr(compiled, name, "<unset>") == getattr(
                        reference, name, "<unset>"
                    ), (name, scope)
    # The usual scope is taken on: nothing but the slots, no environ built.
    usual = ASGIRequest.__new__(ASGIRequest)
    scope = {"method": "GET", "path": "/u", "headers": [(b"host", b"h")]}
    init(usual, scope, receive, app.request_options)
    assert (usual.method, usual.path, usual._raw_headers) == ("GET", "/u", {b"host": b"h"})
    assert usual._lazy_environ is None
    with pytest.raises(TypeError):
        native.configure_asgi_request(dict, asgi_python)


def test_context_init_matches_python() -> None:
    from carafe.ctx import AppContext, RequestContext
    from carafe.ctx import _init_python as context_python
    from carafe.runner import run_coroutine

    native.configure_context(RequestContext, AppContext, run_coroutine, context_python)
    init = native.init_method(RequestContext)
    app = Flask(__name__)
    names = [*AppContext.__slots__, *RequestContext.__slots__]
    with app.test_request_context("/x"):
        request_object = request._get_current_object()  # type: ignore[attr-defined]
    compiled = RequestContext.__new__(RequestContext)
    reference = RequestContext.__new__(RequestContext)
    init(compiled, app, request_object)
    context_python(reference, app, request_object)
    for name in names:
        assert getattr(compiled, name) == getattr(reference, name), name
    assert compiled._tokens is not compiled._after_request_functions  # two new lists
    # A context made this way works: pushed, read through the proxies, popped.
    compiled.push()
    try:
        assert request.path == "/x"
    finally:
        compiled.pop()

    class Sub(RequestContext):
        __slots__ = ()

    sub = Sub.__new__(Sub)
    init(sub, app, request_object)  # the Python method, for a subclass
    assert sub.app is app and sub._tokens == []
    with pytest.raises(TypeError):
        init(RequestContext.__new__(RequestContext), app)
    with pytest.raises(TypeError):
        native.configure_context(AppContext, RequestContext, run_coroutine, context_python)


# -- coroutines -------------------------------------------------------------------------


def test_run_step_is_context_run_send() -> None:
    import contextvars
    import types

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="outer")

    async def finishes() -> str:
        var.set("inner")
        return "done " + var.get()

    @types.coroutine
    def bare_yield() -> Any:
        yield "waiting"

    async def waits() -> str:
        await bare_yield()
        return "resumed"

    async def raises() -> None:
        raise ValueError("from the view")

    context = contextvars.copy_context()
    assert native.run_step(context, finishes()) == (True, "done inner")
    assert var.get() == "outer" and context[var] == "inner"  # set in the copy only
    coroutine = waits()
    assert native.run_step(contextvars.copy_context(), coroutine) == (False, "waiting")
    assert native.run_step(contextvars.copy_context(), coroutine) == (True, "resumed")
    with pytest.raises(ValueError, match="from the view"):
        native.run_step(contextvars.copy_context(), raises())
    unstarted = finishes()
    with pytest.raises(TypeError):
        native.run_step({}, unstarted)  # type: ignore[arg-type]
    unstarted.close()
    # Entered once at a time, as Context.run: a context already entered is refused.
    inner = contextvars.copy_context()

    async def nested() -> None:
        again = finishes()
        try:
            native.run_step(inner, again)
        finally:
            again.close()

    with pytest.raises(RuntimeError):
        native.run_step(inner, nested())


# -- JSON -------------------------------------------------------------------------------


class Text(str):
    pass


class Number(int):
    pass


def test_json_plain_matches_python() -> None:
    from decimal import Decimal
    from uuid import UUID

    from carafe.json import _is_plain

    scalars: list[Any] = [
        "s", Text("t"), 1, Number(2), True, None, 0.0, -0.0, 0.0001, 0.00009999, 1e16,
        9999999999999998.0, -1.5, float("nan"), float("inf"), -float("inf"), Decimal(1),
        UUID(int=1), b"x", 2**70, HTTPStatus.OK,
    ]  # fmt: skip
    rng = random.Random(3 + SEED)
    for _ in range(3000 * ROUNDS):
        value: Any = rng.choice(scalars)
        for _ in range(rng.randrange(0, 4)):
            kind = rng.randrange(4)
            if kind == 0:
                value = {"k": value, "n": rng.choice(scalars[:6])}
            elif kind == 1:
                value = [rng.choice(scalars[:6]), value]
            elif kind == 2:
                value = (value,)
            else:
                value = {"only": [value]}
        assert native.json_plain(value) is _is_plain(value), value
    deep: Any = 1
    for _ in range(2000):
        deep = [deep]
    assert native.json_plain(deep) is False  # past the depth guard: not plain


# -- the request proxy ------------------------------------------------------------------


class CompiledProxy(native.RequestProxy, _RequestProxy):
    __slots__ = ()


@pytest.fixture
def proxy() -> Any:
    native.configure_proxy(_cv_ctx, _PROXY_OWN, _NO_REQUEST)
    from carafe.ctx import _current_request

    return CompiledProxy(_current_request, "request")


def test_proxy_reads_the_current_request(proxy: Any) -> None:
    app = Flask(__name__)
    with app.test_request_context("/a?x=1", method="POST", data={"f": "v"}):
        current = request._get_current_object()  # type: ignore[attr-defined]
        assert proxy.method == "POST"
        assert proxy.args["x"] == "1"
        assert proxy.form["f"] == "v"
        assert proxy._get_current_object() is current
        assert proxy.__class__ is type(current)
        with pytest.raises(AttributeError):
            proxy.no_such_attribute
        with app.test_request_context("/inner"):
            assert proxy.path == "/inner"
        assert proxy.path == "/a"


def test_proxy_outside_a_request(proxy: Any) -> None:
    with pytest.raises(RuntimeError, match="Working outside of request context"):
        proxy.method
    app = Flask(__name__)
    with app.app_context(), pytest.raises(RuntimeError, match="outside of request context"):
        proxy.method
    assert not proxy
    assert repr(proxy) == "<unbound request>"
    assert callable(proxy._get_current_object)


def test_proxy_rejects_bad_configuration() -> None:
    with pytest.raises(TypeError):
        native.configure_proxy(_cv_ctx, set(_PROXY_OWN), _NO_REQUEST)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        native.configure_headers(KNOWN_NAMES, frozenset())  # type: ignore[arg-type]


# -- no leaks ---------------------------------------------------------------------------


def allocated_after(step: Callable[[], object], rounds: int) -> int:
    for _ in range(200):
        step()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(rounds):
            step()
        return tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()


def test_no_memory_is_leaked(responses: None, proxy: Any) -> None:
    from carafe.request import UPPER_METHODS, Request, _init_python

    native.configure_request(Request, UPPER_METHODS, _init_python)
    request_init = native.init_method(Request)
    remember(["X-Known", "Content-Length"], ["ok"])
    body = b"a=1&b=%C3%A9+x&a&c=%E9&\xc3\xa9=\xff&d=%zz"
    app = Flask(__name__)
    ctx = app.test_request_context("/a?x=1")

    def step() -> None:
        native.urlencoded_lists(body, None)
        native.urlencoded_lists(body, 2)
        native.set_known_header([("X-Known", "1")], "X-Known", "ok")
        native.set_known_header([], "X-Known", "ok")
        native.init_text(Response.__new__(Response), "Hello", None, None, None, None, False)
        native.init_text(Response.__new__(Response), "x", 600, None, None, None, False)
        native.headers_ready([("Content-Length", "1")])
        native.asgi_headers([("Content-Length", "1")], {"Content-Length": b"content-length"})
        native.json_plain({"a": [1, 2.5, None]})
        native.text_response(("Success", 201, {"X-Known": "ok"}))
        native.text_response(("Success", 600))
        native.wsgi_respond(Response("Hi"), lambda *a: None, "GET")
        native.wsgi_respond(Response("Hi", 204), lambda *a: None, "GET")
        native.asgi_messages(Response("Hi"), "GET", {"Content-Length": b"content-length"})
        request_init(Request.__new__(Request), {"REQUEST_METHOD": "GET", "PATH_INFO": "/"})
        native.make_response("Hello")
        native.make_response(b"bytes")
        request_init(Request.__new__(Request), {"REQUEST_METHOD": "GET", "PATH_INFO": "//"})
        proxy.path
        with contextlib.suppress(AttributeError):
            proxy.missing

    from carafe.helpers import _make_response_python

    native.configure_make_response(_make_response_python)
    with ctx:
        assert allocated_after(step, 20_000) < 4096

"""carafe.conversion: a view's return value as a response (``to_response``, behind
``app.make_response``) and the ``make_response`` helper.

Each return-value form and tuple form is converted directly, then through a view
on both interfaces; where Flask takes the same value, its answer (or its
TypeError's message) must be the same.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from http import HTTPStatus
from types import ModuleType
from typing import Any

import pytest

import carafe
from carafe import Flask, Response, make_response
from carafe.conversion import to_response
from carafe.exceptions import Forbidden, HTTPException, NotFound
from carafe.http.headers import Headers

flask = pytest.importorskip("flask")
werkzeug_exceptions = pytest.importorskip("werkzeug.exceptions")
werkzeug_datastructures = pytest.importorskip("werkzeug.datastructures")

HTML = "text/html; charset=utf-8"
both_interfaces = pytest.mark.parametrize("interface", ["wsgi", "asgi"], indirect=True)


def convert(app: Flask, rv: Any, path: str = "/") -> Response:
    """``to_response`` inside a request context, as the pipeline calls it."""
    with app.test_request_context(path):
        return to_response(app, rv)


# ---------------------------------------------------------------------------
# Bodies


@pytest.mark.parametrize(
    ("rv", "data"),
    [
        ("text \u2603", "text \u2603".encode()),
        (b"bytes", b"bytes"),
        (bytearray(b"bytearray"), b"bytearray"),
        ("", b""),
    ],
)
def test_text_and_bytes_become_html_responses(app: Flask, rv: Any, data: bytes) -> None:
    response = convert(app, rv)
    assert type(response) is Response
    assert response.status == "200 OK"
    assert response.headers["Content-Type"] == HTML
    assert response.get_data() == data


def test_dict_and_list_become_json(app: Flask) -> None:
    as_dict = convert(app, {"b": 1, "a": [1, 2]})
    as_list = convert(app, [1, "two"])
    assert as_dict.mimetype == as_list.mimetype == "application/json"
    assert as_dict.get_data() == b'{"a":[1,2],"b":1}\n'
    assert as_list.get_data() == b'[1,"two"]\n'


def test_generator_streams_without_being_consumed(app: Flask) -> None:
    produced: list[str] = []

    def generate() -> Iterator[str]:
        for part in ("a", "b"):
            produced.append(part)
            yield part

    response = convert(app, generate())
    assert produced == []
    assert response.is_streamed
    assert response.get_data() == b"ab"
    assert produced == ["a", "b"]


def test_iterator_streams(app: Flask) -> None:
    response = convert(app, iter([b"one ", "two"]))
    assert response.is_streamed
    assert response.get_data() == b"one two"


def test_a_list_is_json_not_a_body_of_chunks(app: Flask) -> None:
    """A list is JSON (Flask 2.2+); only an iterator streams chunks."""
    assert convert(app, ["a", "b"]).get_data() == b'["a","b"]\n'


def test_response_of_the_app_class_is_returned_as_is(app: Flask) -> None:
    response = Response("ready", 202)
    assert convert(app, response) is response


def test_response_subclass_instance_is_returned_as_is(app: Flask) -> None:
    class Special(Response):
        pass

    response = Special("special")
    converted = convert(app, response)
    assert converted is response
    assert type(converted) is Special


def test_response_is_converted_to_the_apps_response_class(app: Flask) -> None:
    class AppResponse(Response):
        pass

    app.response_class = AppResponse  # type: ignore[misc]
    closed: list[bool] = []
    plain = Response("plain", 201, {"X-Kept": "1"})
    plain.call_on_close(lambda: closed.append(True))
    converted = convert(app, plain)
    assert type(converted) is AppResponse
    assert (converted.status, converted.headers["X-Kept"]) == ("201 CREATED", "1")
    assert converted.get_data() == b"plain"
    converted.close()
    assert closed == [True]


def test_http_exception_gives_its_error_page(app: Flask) -> None:
    response = convert(app, NotFound())
    assert type(response) is Response
    assert response.status == "404 NOT FOUND"
    assert b"<title>404 Not Found</title>" in response.get_data()


def test_wsgi_callable_is_called_with_the_request_environ(app: Flask) -> None:
    def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("202 ACCEPTED", [("X-Wsgi", "1"), ("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode(), b"|", environ["QUERY_STRING"].encode()]

    response = convert(app, wsgi_app, path="/called?x=1")
    assert type(response) is Response
    assert response.status == "202 ACCEPTED"
    assert response.headers["X-Wsgi"] == "1"
    assert response.get_data() == b"/called|x=1"


def test_async_generator_streams(app: Flask) -> None:
    async def generate() -> AsyncIterator[str]:
        yield "async"

    response = convert(app, (generate(), 201, {"X-Async": "1"}))
    assert response.is_streamed
    assert (response.status, response.headers["X-Async"]) == ("201 CREATED", "1")


@both_interfaces
def test_async_generator_view_streams_on_both_interfaces(app: Flask, client: Any) -> None:
    @app.route("/")
    def index() -> Any:
        async def generate() -> AsyncIterator[Any]:
            yield "a"
            yield b"b"

        return generate(), 201, {"X-Async": "1"}

    response = client.get("/")
    assert response.status == "201 CREATED"
    assert response.headers["X-Async"] == "1"
    assert response.data == b"ab"


# ---------------------------------------------------------------------------
# Tuples


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (201, "201 CREATED"),
        ("201 CREATED", "201 CREATED"),
        ("201", "201 CREATED"),
        ("299 SOMETHING ELSE", "299 SOMETHING ELSE"),
        (HTTPStatus.ACCEPTED, "202 ACCEPTED"),
    ],
)
@pytest.mark.parametrize("body", ["text", b"bytes", {"json": True}, Response("response")])
def test_body_with_status(app: Flask, body: Any, status: Any, expected: str) -> None:
    response = convert(app, (body, status))
    assert response.status == expected
    assert response.status_code == int(expected[:3])


@pytest.mark.parametrize("body", [{"json": True}, Response("response"), Forbidden()])
def test_bytes_status_is_decoded(app: Flask, body: Any) -> None:
    assert convert(app, (body, b"202 ACCEPTED")).status == "202 ACCEPTED"


@pytest.mark.parametrize("body", ["text", b"bytes", iter([b"chunk"])])
def test_bytes_status_is_decoded_for_text_bodies(app: Flask, body: Any) -> None:
    assert convert(app, (body, b"202 ACCEPTED")).status == "202 ACCEPTED"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-A": "1", "X-B": "2"},
        [("X-A", "1"), ("X-B", "2")],
        (("X-A", "1"), ("X-B", "2")),
        Headers([("X-A", "1"), ("X-B", "2")]),
    ],
    ids=["dict", "list", "tuple", "Headers"],
)
@pytest.mark.parametrize("body", ["text", {"json": True}, Response("response")])
def test_body_with_headers(app: Flask, body: Any, headers: Any) -> None:
    response = convert(app, (body, headers))
    assert response.status == "200 OK"
    assert (response.headers["X-A"], response.headers["X-B"]) == ("1", "2")


def test_body_status_and_headers(app: Flask) -> None:
    response = convert(app, ("teapot", 418, [("X-A", "1")]))
    assert (response.status, response.headers["X-A"]) == ("418 I'M A TEAPOT", "1")
    assert response.get_data() == b"teapot"


def test_tuple_status_and_headers_apply_to_a_response_body(app: Flask) -> None:
    """The tuple's status and headers win over the response's own (Flask's update)."""
    original = Response("r", 200, {"X-Replaced": "old", "X-Kept": "kept"})
    response = convert(app, (original, 404, {"X-Replaced": "new"}))
    assert response.status == "404 NOT FOUND"
    assert response.headers.getlist("X-Replaced") == ["new"]
    assert response.headers["X-Kept"] == "kept"


def test_tuple_status_applies_to_an_http_exception(app: Flask) -> None:
    response = convert(app, (Forbidden(), 200))
    assert response.status == "200 OK"
    assert b"403 Forbidden" in response.get_data()


def test_empty_headers_leave_the_response_alone(app: Flask) -> None:
    assert convert(app, ("x", {})).headers == convert(app, "x").headers


# ---------------------------------------------------------------------------
# Errors: the same TypeError messages as Flask's


def error_views(module: ModuleType) -> Any:
    """An app (Flask's or Carafe's) whose views return invalid values."""
    app = module.Flask("conversion_errors")
    app.config["TESTING"] = True

    @app.route("/none")
    def returns_none() -> None:
        return None

    @app.route("/implicit-none")
    def implicit_none() -> None:
        pass

    @app.route("/one-tuple")
    def one_tuple() -> Any:
        return ("body",)

    @app.route("/four-tuple")
    def four_tuple() -> Any:
        return ("body", 200, {}, "extra")

    @app.route("/none-in-tuple")
    def none_in_tuple() -> Any:
        return None, 201

    @app.route("/int")
    def returns_int() -> Any:
        return 42

    @app.route("/set")
    def returns_set() -> Any:
        return {"a"}

    @app.route("/object")
    def returns_object() -> Any:
        return object()

    return app


@pytest.mark.parametrize(
    ("path", "start"),
    [
        ("/none", "The view function for 'returns_none' did not return a valid response."),
        ("/implicit-none", "The view function for 'implicit_none' did not return"),
        ("/none-in-tuple", "The view function for 'none_in_tuple' did not return"),
        ("/one-tuple", "The view function did not return a valid response tuple."),
        ("/four-tuple", "The view function did not return a valid response tuple."),
        ("/int", "The view function did not return a valid response. The return type"),
        ("/set", "The view function did not return a valid response. The return type"),
        ("/object", "The view function did not return a valid response. The return type"),
    ],
)
def test_invalid_return_values_raise_flasks_type_error(path: str, start: str) -> None:
    with pytest.raises(TypeError) as theirs:
        error_views(flask).test_client().get(path)
    with pytest.raises(TypeError) as ours:
        error_views(carafe).test_client().get(path)
    assert str(ours.value) == str(theirs.value)
    assert str(ours.value).startswith(start)


def test_unsupported_type_message_names_the_type(app: Flask) -> None:
    with pytest.raises(TypeError, match=r"but it was a float\.$"):
        convert(app, 1.5)


def test_none_outside_a_request_names_no_endpoint(app: Flask) -> None:
    with pytest.raises(TypeError, match=r"^The view function for None did not"):
        to_response(app, None)


@both_interfaces
def test_invalid_return_value_is_a_500_when_not_testing(app: Flask, client: Any) -> None:
    app.config["TESTING"] = False
    app.logger.disabled = True

    @app.route("/")
    def index() -> None:
        return None

    assert client.get("/").status_code == 500


# ---------------------------------------------------------------------------
# The same answers as Flask


def headers_module(module: ModuleType) -> Any:
    return werkzeug_datastructures if module is flask else carafe.http.headers


def exceptions_module(module: ModuleType) -> Any:
    return werkzeug_exceptions if module is flask else carafe.exceptions


RETURN_VALUES: dict[str, Callable[[ModuleType], Any]] = {
    "str": lambda m: "hello",
    "bytes": lambda m: b"bytes",
    "bytearray": lambda m: bytearray(b"ba"),
    "dict": lambda m: {"b": 1, "a": None},
    "list": lambda m: [1, 2],
    "generator": lambda m: (part for part in ["a", "b"]),
    "iterator": lambda m: iter([b"a", "b"]),
    "response": lambda m: m.Response("r", 202, {"X-R": "1"}),
    "http-exception": lambda m: exceptions_module(m).NotFound(),
    "str+int": lambda m: ("created", 201),
    "str+status-line": lambda m: ("created", "201 CREATED"),
    "str+code-string": lambda m: ("created", "201"),
    "str+custom-reason": lambda m: ("x", "299 CUSTOM"),
    "str+HTTPStatus": lambda m: ("created", HTTPStatus.CREATED),
    "str+dict": lambda m: ("x", {"X-A": "1"}),
    "str+list": lambda m: ("x", [("X-A", "1"), ("X-A", "2")]),
    "str+tuple": lambda m: ("x", (("X-A", "1"),)),
    "str+Headers": lambda m: ("x", headers_module(m).Headers([("X-A", "1")])),
    "str+status+headers": lambda m: ("x", 418, {"X-A": "1"}),
    "dict+status": lambda m: ({"a": 1}, 201),
    "dict+headers": lambda m: ({"a": 1}, {"X-A": "1"}),
    "generator+status": lambda m: ((part for part in ["a"]), 206),
    "response+status+headers": lambda m: (m.Response("r", 200, {"X-R": "old"}), 404, {"X-R": "1"}),
    "exception+status": lambda m: (exceptions_module(m).Forbidden(), 200),
    "content-type-header": lambda m: ("x", {"Content-Type": "text/plain"}),
}


def answer(module: ModuleType, make_rv: Callable[[ModuleType], Any]) -> tuple[Any, ...]:
    app = module.Flask("conversion")
    app.config["TESTING"] = True
    app.add_url_rule("/", "index", lambda: make_rv(module))
    response = app.test_client().get("/")
    headers = sorted((name.lower(), value) for name, value in response.headers.items())
    return response.status, headers, response.data


@pytest.mark.parametrize("name", RETURN_VALUES)
def test_return_values_answer_as_flask_does(name: str) -> None:
    make_rv = RETURN_VALUES[name]
    assert answer(carafe, make_rv) == answer(flask, make_rv)


# ---------------------------------------------------------------------------
# The make_response helper


def test_make_response_without_arguments_is_an_empty_200(app: Flask) -> None:
    with app.app_context():
        response = make_response()
    assert type(response) is Response
    assert (response.status, response.get_data()) == ("200 OK", b"")
    assert response.headers["Content-Type"] == HTML


def test_make_response_with_one_argument_converts_it(app: Flask) -> None:
    finished = Response("finished")
    with app.test_request_context():
        assert make_response("text").get_data() == b"text"
        assert make_response({"a": 1}).get_json() == {"a": 1}
        assert make_response(("tuple", 201)).status == "201 CREATED"
        assert make_response(finished) is finished


def test_make_response_with_several_arguments_takes_them_as_a_tuple(app: Flask) -> None:
    with app.test_request_context():
        response = make_response("gone", 410, {"X-A": "1"})
        headers_only = make_response("x", [("X-B", "2")])
    assert (response.status, response.headers["X-A"]) == ("410 GONE", "1")
    assert response.get_data() == b"gone"
    assert (headers_only.status, headers_only.headers["X-B"]) == ("200 OK", "2")


def test_make_response_uses_the_apps_response_class(app: Flask) -> None:
    class AppResponse(Response):
        pass

    app.response_class = AppResponse  # type: ignore[misc]
    with app.test_request_context():
        assert type(make_response()) is AppResponse
        assert type(make_response("text")) is AppResponse
        assert type(make_response("text", 201)) is AppResponse
        assert type(make_response(Response("plain"))) is AppResponse


def test_make_response_in_a_view_can_add_headers(app: Flask, client: Any) -> None:
    @app.route("/")
    def index() -> Response:
        response = make_response("body", 201)
        response.headers["X-Added"] = "yes"
        return response

    response = client.get("/")
    assert (response.status, response.headers["X-Added"], response.data) == (
        "201 CREATED",
        "yes",
        b"body",
    )


def test_make_response_outside_an_app_context_is_a_runtime_error() -> None:
    with pytest.raises(RuntimeError) as ours:
        make_response("x")
    with pytest.raises(RuntimeError, match="outside of application context"):
        make_response()
    with pytest.raises(RuntimeError) as theirs:
        flask.make_response("x")
    assert str(ours.value).splitlines()[0] == str(theirs.value).splitlines()[0]


# ---------------------------------------------------------------------------
# An app class overriding make_response


class Tagging(Flask):
    """Every response it makes is tagged, and every call recorded."""

    calls: list[Any]

    def make_response(self, rv: Any) -> Response:
        self.calls.append(rv)
        response = super().make_response(rv)
        response.headers["X-Tagged"] = "yes"
        return response


@pytest.fixture
def tagging() -> Tagging:
    app = Tagging(__name__)
    app.config["TESTING"] = True
    app.calls = []

    @app.route("/text")
    def text() -> str:
        return "text"

    @app.route("/finished")
    def finished() -> Response:
        return Response("finished")

    @app.route("/helper")
    def helper() -> Response:
        response = make_response("helper")
        assert response.headers["X-Tagged"] == "yes"
        return response

    @app.route("/fails")
    def fails() -> str:
        raise NotFound()

    return app


@both_interfaces
@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/text", b"text", 200),
        ("/finished", b"finished", 200),
        ("/helper", b"helper", 200),
        ("/fails", None, 404),
    ],
)
def test_make_response_override_is_called(
    tagging: Tagging, path: str, body: bytes | None, status: int
) -> None:
    response = tagging.test_client().get(path)
    assert response.status_code == status
    assert response.headers["X-Tagged"] == "yes"
    if body is not None:
        assert response.data == body
    assert tagging.calls


@both_interfaces
def test_make_response_helper_calls_the_override(tagging: Tagging) -> None:
    tagging.test_client().get("/helper")
    # Once by the helper with the view's text, once by the pipeline with the response.
    assert tagging.calls[0] == "helper"
    assert isinstance(tagging.calls[1], Response)
    assert len(tagging.calls) == 2


def test_make_response_helper_calls_the_override_in_an_app_context(tagging: Tagging) -> None:
    with tagging.app_context():
        response = make_response("no request")
    assert response.headers["X-Tagged"] == "yes"
    assert tagging.calls == ["no request"]


@both_interfaces
def test_error_page_of_an_http_exception_goes_through_the_override(tagging: Tagging) -> None:
    tagging.test_client().get("/fails")
    assert any(isinstance(rv, HTTPException) for rv in tagging.calls)

"""What a view may return, the Response API, and the response helpers.

Every behaviour here is Flask's (3.1, on Werkzeug 3.1), checked through the
test client on views defined inline.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from http import HTTPStatus

import pytest

from carafe import (
    Flask,
    Response,
    after_this_request,
    jsonify,
    make_response,
    redirect,
    request,
)
from carafe.http.headers import Headers
from carafe.http.status import status_line

HTML = "text/html; charset=utf-8"


# ---------------------------------------------------------------------------
# Return values: bodies


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Hello", b"Hello"),
        ("h\u00e9llo \u2603", "h\u00e9llo \u2603".encode()),
        (b"raw bytes", b"raw bytes"),
        (bytearray(b"a bytearray"), b"a bytearray"),
        ("", b""),
    ],
)
def test_text_and_bytes_bodies(app, client, value, expected):
    @app.route("/")
    def index():
        return value

    response = client.get("/")
    assert response.status_code == 200
    assert response.status == "200 OK"
    assert response.headers["Content-Type"] == HTML
    assert response.headers["Content-Length"] == str(len(expected))
    assert response.data == expected


def test_dict_is_json(app, client):
    @app.route("/")
    def index():
        return {"b": 1, "a": [1, 2], "c": None}

    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json == {"a": [1, 2], "b": 1, "c": None}
    # Keys are sorted, as Flask's default provider does.
    assert response.data.index(b'"a"') < response.data.index(b'"b"') < response.data.index(b'"c"')
    assert response.data.endswith(b"\n")


def test_list_is_json(app, client):
    @app.route("/")
    def index():
        return [1, "two", {"three": 3}]

    response = client.get("/")
    assert response.headers["Content-Type"] == "application/json"
    assert response.json == [1, "two", {"three": 3}]


def test_empty_list_is_json(app, client):
    @app.route("/")
    def index():
        return []

    response = client.get("/")
    assert response.headers["Content-Type"] == "application/json"
    assert response.json == []


def test_generator_is_streamed(app, client):
    produced = []

    @app.route("/")
    def index():
        def generate():
            for part in ("one,", "two,", "three"):
                produced.append(part)
                yield part

        return generate()

    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == HTML
    # A streamed body has no known length.
    assert "Content-Length" not in response.headers
    assert response.data == b"one,two,three"
    assert produced == ["one,", "two,", "three"]


def test_async_generator_is_streamed(app, client):
    import asyncio

    events = []

    @app.route("/")
    async def index():
        async def generate():
            try:
                for part in ("one,", b"two,", "three"):
                    await asyncio.sleep(0)
                    events.append(part)
                    yield part
            finally:
                events.append("closed")

        return generate(), 202, {"X-Stream": "async"}

    @app.route("/wrapped")
    def wrapped():
        async def generate():
            yield "a"
            yield "b"

        return Response(generate(), mimetype="text/plain")

    response = client.get("/")
    assert response.status_code == 202
    assert response.headers["X-Stream"] == "async"
    assert "Content-Length" not in response.headers
    assert response.data == b"one,two,three"
    assert events == ["one,", b"two,", "three", "closed"]
    response = client.get("/wrapped")
    assert response.data == b"ab"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_async_generator_closed_when_wsgi_server_stops_early(app):
    events = []

    @app.route("/")
    def index():
        async def generate():
            try:
                for number in range(100):
                    events.append(number)
                    yield f"{number},"
            finally:
                events.append("closed")

        return generate()

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "x", "SERVER_PORT": "80"}
    environ["wsgi.url_scheme"] = "http"
    body = app(environ, lambda status, headers, exc_info=None: None)
    iterator = iter(body)
    assert next(iterator) == b"0,"
    body.close()  # the server stops after one chunk (the client went away)
    assert events == [0, "closed"]


def test_async_generator_error_is_not_hidden(app, client):
    @app.route("/")
    async def index():
        async def generate():
            yield "start,"
            raise RuntimeError("broken stream")

        return generate()

    with pytest.raises(RuntimeError, match="broken stream"):
        client.get("/").data


def test_iterator_of_bytes_is_streamed(app, client):
    @app.route("/")
    def index():
        return iter([b"a", b"b"])

    response = client.get("/")
    assert "Content-Length" not in response.headers
    assert response.data == b"ab"


def test_generator_with_status_and_headers(app, client):
    @app.route("/")
    def index():
        return (chunk for chunk in ["x", "y"]), 202, {"X-Stream": "yes"}

    response = client.get("/")
    assert response.status == "202 ACCEPTED"
    assert response.headers["X-Stream"] == "yes"
    assert response.data == b"xy"


def test_response_object_is_passed_through(app, client):
    @app.route("/")
    def index():
        return Response("made", status=203, headers={"X-Made": "1"}, mimetype="text/plain")

    response = client.get("/")
    assert response.status == "203 NON AUTHORITATIVE INFORMATION"
    assert response.headers["X-Made"] == "1"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.data == b"made"


def test_app_response_class_instance_kept(app, client):
    class MyResponse(Response):
        default_mimetype = "text/plain"

    app.response_class = MyResponse

    @app.route("/")
    def index():
        return "body"

    response = client.get("/")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.data == b"body"


def test_wsgi_callable_return_value(app, client):
    def wsgi_app(environ, start_response):
        start_response("201 CREATED", [("Content-Type", "text/plain"), ("X-Wsgi", "yes")])
        return [b"from ", b"wsgi ", environ["PATH_INFO"].encode()]

    @app.route("/wsgi")
    def index():
        return wsgi_app

    response = client.get("/wsgi")
    assert response.status == "201 CREATED"
    assert response.headers["Content-Type"] == "text/plain"
    assert response.headers["X-Wsgi"] == "yes"
    assert response.data == b"from wsgi /wsgi"


def test_wsgi_callable_in_tuple_gets_status(app, client):
    def wsgi_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    @app.route("/")
    def index():
        return wsgi_app, 202

    response = client.get("/")
    assert response.status_code == 202
    assert response.data == b"ok"


# ---------------------------------------------------------------------------
# Return values: tuples


@pytest.mark.parametrize(
    ("status", "expected_line"),
    [
        (201, "201 CREATED"),
        ("201 CREATED", "201 CREATED"),
        ("201", "201 CREATED"),
        (HTTPStatus.CREATED, "201 CREATED"),
        (404, "404 NOT FOUND"),
        ("418 I'm a teapot", "418 I'm a teapot"),
        ("299 Custom Reason", "299 Custom Reason"),
        (299, "299 UNKNOWN"),
    ],
)
def test_body_status_tuple(app, client, interface, status, expected_line):
    @app.route("/")
    def index():
        return "body", status

    response = client.get("/")
    if interface == "asgi":
        # ASGI carries the code only; the server writes the standard reason.
        code = int(expected_line.split()[0])
        assert response.status == status_line(code)
    else:
        assert response.status == expected_line
    assert response.status_code == int(expected_line.split()[0])
    assert response.data == b"body"
    assert response.headers["Content-Type"] == HTML


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Foo": "bar", "X-Num": 5},
        [("X-Foo", "bar"), ("X-Num", "5")],
        (("X-Foo", "bar"), ("X-Num", "5")),
        Headers([("X-Foo", "bar"), ("X-Num", "5")]),
    ],
    ids=["dict", "list", "tuple", "Headers"],
)
def test_body_headers_tuple(app, client, headers):
    @app.route("/")
    def index():
        return "body", headers

    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["X-Foo"] == "bar"
    assert response.headers["X-Num"] == "5"
    assert response.data == b"body"


@pytest.mark.parametrize(
    "headers",
    [{"X-Foo": "bar"}, [("X-Foo", "bar")], Headers([("X-Foo", "bar")])],
    ids=["dict", "list", "Headers"],
)
@pytest.mark.parametrize("status", [201, "201 CREATED", "201", HTTPStatus.CREATED])
def test_body_status_headers_tuple(app, client, status, headers):
    @app.route("/")
    def index():
        return "body", status, headers

    response = client.get("/")
    assert response.status == "201 CREATED"
    assert response.headers["X-Foo"] == "bar"
    assert response.data == b"body"


def test_tuple_headers_may_override_content_type(app, client):
    @app.route("/")
    def index():
        return "plain", 200, {"Content-Type": "text/plain"}

    response = client.get("/")
    assert response.headers.getlist("Content-Type") == ["text/plain"]


def test_tuple_list_headers_with_repeated_name(app, client):
    @app.route("/")
    def index():
        return "x", [("X-Multi", "1"), ("X-Multi", "2")]

    response = client.get("/")
    assert response.headers.getlist("X-Multi") == ["1", "2"]


def test_dict_body_in_tuple(app, client):
    @app.route("/")
    def index():
        return {"created": True}, 201, {"Location": "/things/1"}

    response = client.get("/")
    assert response.status_code == 201
    assert response.json == {"created": True}
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Location"] == "/things/1"


def test_list_body_with_status(app, client):
    @app.route("/")
    def index():
        return [1, 2], 400

    response = client.get("/")
    assert response.status_code == 400
    assert response.json == [1, 2]


def test_response_in_tuple_gets_status_and_headers(app, client):
    @app.route("/")
    def index():
        response = make_response("inner")
        response.headers["X-Inner"] = "1"
        response.headers["X-Replaced"] = "old"
        return response, 201, {"X-Outer": "2", "X-Replaced": "new"}

    response = client.get("/")
    assert response.status == "201 CREATED"
    assert response.headers["X-Inner"] == "1"
    assert response.headers["X-Outer"] == "2"
    # The tuple's headers replace the response's headers of the same name.
    assert response.headers.getlist("X-Replaced") == ["new"]
    assert response.data == b"inner"


def test_response_in_tuple_with_status_only(app, client):
    @app.route("/")
    def index():
        return Response("r", status=200), "418 I'M A TEAPOT"

    response = client.get("/")
    assert response.status == "418 I'M A TEAPOT"
    assert response.status_code == 418


def test_jsonify_in_tuple(app, client):
    @app.route("/")
    def index():
        return jsonify(error="nope"), 422

    response = client.get("/")
    assert response.status == "422 UNPROCESSABLE ENTITY"
    assert response.json == {"error": "nope"}


def test_none_is_a_type_error_naming_the_endpoint(app, client):
    @app.route("/")
    def nothing_here():
        pass

    with pytest.raises(TypeError) as info:
        client.get("/")
    message = str(info.value)
    assert "nothing_here" in message
    assert "did not return a valid response" in message


def test_none_in_tuple_is_a_type_error(app, client):
    @app.route("/")
    def index():
        return None, 200

    with pytest.raises(TypeError, match="did not return a valid response"):
        client.get("/")


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(42, "int"), (3.5, "float"), (object(), "object"), ({1, 2}, "set"), (True, "bool")],
)
def test_bad_return_type_is_a_type_error(app, client, value, type_name):
    @app.route("/")
    def index():
        return value

    with pytest.raises(TypeError) as info:
        client.get("/")
    message = str(info.value)
    assert "did not return a valid response" in message
    assert type_name in message


@pytest.mark.parametrize("size", [1, 4])
def test_bad_tuple_size_is_a_type_error(app, client, size):
    @app.route("/")
    def index():
        return ("body", 200, {}, "extra")[:size]

    with pytest.raises(TypeError, match="tuple"):
        client.get("/")


def test_type_error_without_testing_is_a_500(app, client):
    app.config["TESTING"] = False

    @app.route("/")
    def index():
        return None

    response = client.get("/")
    assert response.status_code == 500


# ---------------------------------------------------------------------------
# Response API


def test_response_defaults():
    response = Response()
    assert response.status == "200 OK"
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.content_type == HTML
    assert response.headers["Content-Type"] == HTML
    assert response.get_data() == b""


def test_response_status_code_is_settable():
    response = Response("x")
    response.status_code = 404
    assert response.status == "404 NOT FOUND"
    response.status_code = 299
    assert response.status == "299 UNKNOWN"
    assert response.status_code == 299


def test_response_status_is_settable():
    response = Response("x")
    response.status = "201 CREATED"
    assert response.status_code == 201
    response.status = 202
    assert response.status == "202 ACCEPTED"
    response.status = "299 Whatever"
    assert (response.status_code, response.status) == (299, "299 Whatever")
    response.status = HTTPStatus.NO_CONTENT
    assert response.status == "204 NO CONTENT"
    response.status = "404"
    assert response.status == "404 NOT FOUND"


def test_response_constructor_status_forms():
    assert Response(status=201).status == "201 CREATED"
    assert Response(status="201 CREATED").status_code == 201
    assert Response(status=HTTPStatus.ACCEPTED).status == "202 ACCEPTED"
    assert Response(status="599").status == "599 UNKNOWN"


@pytest.mark.parametrize(
    ("kwargs", "content_type"),
    [
        ({}, HTML),
        ({"mimetype": "text/plain"}, "text/plain; charset=utf-8"),
        ({"mimetype": "application/json"}, "application/json"),
        ({"mimetype": "application/xml"}, "application/xml; charset=utf-8"),
        ({"mimetype": "image/svg+xml"}, "image/svg+xml; charset=utf-8"),
        ({"mimetype": "application/octet-stream"}, "application/octet-stream"),
        ({"content_type": "text/plain"}, "text/plain"),
        ({"content_type": "text/csv; charset=latin-1"}, "text/csv; charset=latin-1"),
        ({"headers": {"Content-Type": "text/x-custom"}}, "text/x-custom"),
    ],
)
def test_response_content_type_defaults(kwargs, content_type):
    response = Response("x", **kwargs)
    assert response.content_type == content_type
    assert response.mimetype == content_type.split(";")[0]


def test_mimetype_setter_adds_charset():
    response = Response("x")
    response.mimetype = "text/plain"
    assert response.content_type == "text/plain; charset=utf-8"
    response.mimetype = "application/json"
    assert response.content_type == "application/json"
    assert response.mimetype_params == {}


def test_mimetype_params():
    response = Response("x", content_type="text/plain; charset=latin-1")
    assert response.mimetype_params == {"charset": "latin-1"}


def test_content_type_header_assignment_overrides_mimetype(app, client):
    @app.route("/")
    def index():
        response = make_response("plain")
        response.headers["Content-Type"] = "text/plain"
        return response

    response = client.get("/")
    assert response.headers.getlist("Content-Type") == ["text/plain"]
    assert response.mimetype == "text/plain"


def test_content_type_property_assignment(app, client):
    @app.route("/")
    def index():
        response = make_response("x")
        response.content_type = "application/x-thing"
        return response

    response = client.get("/")
    assert response.headers["Content-Type"] == "application/x-thing"


def test_headers_api_on_the_wire(app, client):
    @app.route("/")
    def index():
        response = make_response("x")
        response.headers.add("X-List", "one")
        response.headers.add("X-List", "two")
        response.headers.set("X-Single", "a")
        response.headers.set("X-Single", "b")
        response.headers["X-Item"] = "first"
        response.headers["X-Item"] = "second"
        response.headers.extend({"X-Extended": "e1"})
        response.headers.extend([("X-Extended", "e2")])
        response.headers["X-Gone"] = "bye"
        del response.headers["X-Gone"]
        response.headers.add("X-Param", "attachment", filename="a.txt")
        assert response.headers.get("x-list") == "one"
        assert response.headers.get("X-Missing") is None
        assert response.headers.get("X-Missing", "dflt") == "dflt"
        assert response.headers.getlist("X-List") == ["one", "two"]
        assert response.headers.getlist("X-Missing") == []
        assert "x-single" in response.headers
        assert "X-Gone" not in response.headers
        return response

    response = client.get("/")
    assert response.headers.getlist("X-List") == ["one", "two"]
    assert response.headers.getlist("X-Single") == ["b"]
    assert response.headers.getlist("X-Item") == ["second"]
    assert response.headers.getlist("X-Extended") == ["e1", "e2"]
    assert "X-Gone" not in response.headers
    assert response.headers["X-Param"] == "attachment; filename=a.txt"


def test_headers_get_with_type():
    headers = Headers([("X-Num", "12"), ("X-Bad", "x")])
    assert headers.get("X-Num", type=int) == 12
    assert headers.get("X-Bad", type=int) is None
    with pytest.raises(KeyError):
        headers["X-Missing"]


def test_headers_del_missing_and_pop():
    headers = Headers([("A", "1"), ("A", "2"), ("B", "3")])
    del headers["a"]
    assert list(headers.items()) == [("B", "3")]
    assert headers.pop("B") == "3"
    assert headers.pop("B", None) is None
    assert len(headers) == 0


def test_data_get_data_set_data():
    response = Response("h\u00e9llo")
    assert response.data == "h\u00e9llo".encode()
    assert response.get_data() == "h\u00e9llo".encode()
    assert response.get_data(as_text=True) == "h\u00e9llo"
    assert response.content_length == len("h\u00e9llo".encode())
    response.set_data(b"longer body")
    assert response.data == b"longer body"
    assert response.content_length == 11
    assert response.headers["Content-Length"] == "11"
    response.data = "\u2603"
    assert response.get_data() == "\u2603".encode()
    assert response.content_length == 3


def test_set_data_in_view_changes_body_and_length(app, client):
    @app.route("/")
    def index():
        response = make_response("short")
        response.set_data("a much longer body")
        return response

    response = client.get("/")
    assert response.data == b"a much longer body"
    assert response.headers["Content-Length"] == "18"


def test_after_request_can_rewrite_body(app, client):
    @app.after_request
    def rewrite(response):
        response.set_data(response.get_data(as_text=True).upper())
        return response

    @app.route("/")
    def index():
        return "shout"

    response = client.get("/")
    assert response.data == b"SHOUT"
    assert response.headers["Content-Length"] == "5"


def test_streamed_response_get_data():
    response = Response(iter(["a", "b"]))
    assert response.is_streamed
    assert response.get_data() == b"ab"
    # A second read sees the same body.
    assert response.get_data() == b"ab"


def test_location_property(app, client):
    @app.route("/")
    def index():
        response = make_response("", 201)
        response.location = "/created/1"
        return response

    response = client.get("/")
    assert response.status_code == 201
    assert response.headers["Location"] == "/created/1"
    assert response.location == "/created/1"


def test_response_json_and_get_json():
    response = Response('{"a": [1, 2]}', mimetype="application/json")
    assert response.is_json
    assert response.json == {"a": [1, 2]}
    assert response.get_json() == {"a": [1, 2]}
    plain = Response('{"a": 1}', mimetype="text/plain")
    assert not plain.is_json
    assert plain.get_json() is None
    assert plain.get_json(force=True) == {"a": 1}
    broken = Response("{oops", mimetype="application/json")
    assert broken.get_json(silent=True) is None


def test_response_plus_json_mimetype_is_json():
    assert Response("{}", mimetype="application/problem+json").is_json


# ---------------------------------------------------------------------------
# Cookies


def test_set_cookie_defaults(app, client):
    @app.route("/")
    def index():
        response = make_response("c")
        response.set_cookie("name", "value")
        return response

    response = client.get("/")
    assert response.headers.getlist("Set-Cookie") == ["name=value; Path=/"]


def test_set_cookie_all_attributes(app, client):
    @app.route("/")
    def index():
        response = make_response("c")
        response.set_cookie(
            "full",
            "v",
            max_age=timedelta(hours=1),
            expires=datetime(2099, 1, 1, tzinfo=timezone.utc),
            path="/app",
            domain="example.com",
            secure=True,
            httponly=True,
            samesite="Lax",
            partitioned=True,
        )
        return response

    response = client.get("/")
    assert response.headers["Set-Cookie"] == (
        "full=v; Domain=example.com; Expires=Thu, 01 Jan 2099 00:00:00 GMT; Max-Age=3600;"
        " Secure; HttpOnly; Path=/app; SameSite=Lax; Partitioned"
    )


def test_set_cookie_max_age_int_sets_expires(app, client):
    @app.route("/")
    def index():
        response = make_response("c")
        response.set_cookie("user_id", "12345", max_age=3600)
        return response

    before = datetime.now(timezone.utc)
    response = client.get("/")
    header = response.headers["Set-Cookie"]
    assert header.startswith("user_id=12345; Expires=")
    assert header.endswith("; Max-Age=3600; Path=/")
    expires_text = header.split("Expires=")[1].split(";")[0]
    expires = datetime.strptime(expires_text, "%a, %d %b %Y %H:%M:%S GMT").replace(
        tzinfo=timezone.utc
    )
    assert abs((expires - before).total_seconds() - 3600) < 5


def test_set_cookie_expires_datetime_only(app, client):
    @app.route("/")
    def index():
        response = make_response("c")
        response.set_cookie("k", "v", expires=datetime(2030, 6, 15, 12, 30, tzinfo=timezone.utc))
        return response

    assert client.get("/").headers["Set-Cookie"] == (
        "k=v; Expires=Sat, 15 Jun 2030 12:30:00 GMT; Path=/"
    )


@pytest.mark.parametrize("samesite", ["Strict", "Lax", "None", "strict", "lax"])
def test_set_cookie_samesite_values(samesite):
    response = Response()
    response.set_cookie("k", "v", samesite=samesite)
    assert response.headers["Set-Cookie"] == f"k=v; Path=/; SameSite={samesite.title()}"


def test_set_cookie_bad_samesite():
    response = Response()
    with pytest.raises(ValueError, match="SameSite"):
        response.set_cookie("k", "v", samesite="Sometimes")


def test_partitioned_cookie_is_secure():
    response = Response()
    response.set_cookie("k", "v", partitioned=True)
    assert response.headers["Set-Cookie"] == "k=v; Secure; Path=/; Partitioned"


def test_set_cookie_quotes_special_values():
    response = Response()
    response.set_cookie("k", "a b;c")
    assert response.headers["Set-Cookie"] == 'k="a b\\073c"; Path=/'


def test_set_cookie_path_none():
    response = Response()
    response.set_cookie("k", "v", path=None)
    assert response.headers["Set-Cookie"] == "k=v"


def test_several_cookies_are_separate_headers(app, client):
    @app.route("/")
    def index():
        response = make_response("c")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2", httponly=True)
        return response

    response = client.get("/")
    assert response.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly; Path=/"]


def test_delete_cookie(app, client):
    @app.route("/")
    def index():
        response = make_response("c")
        response.delete_cookie("gone")
        response.delete_cookie("scoped", path="/x", domain="example.com")
        return response

    response = client.get("/")
    assert response.headers.getlist("Set-Cookie") == [
        "gone=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/",
        "scoped=; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/x",
    ]


# ---------------------------------------------------------------------------
# Bodiless answers


def test_head_has_headers_and_no_body(app, client):
    @app.route("/")
    def index():
        response = make_response("twelve bytes")
        response.headers["X-Head"] = "yes"
        return response

    response = client.head("/")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == "12"
    assert response.headers["X-Head"] == "yes"
    assert response.headers["Content-Type"] == HTML


def test_head_of_streamed_response_has_no_body(app, client):
    @app.route("/")
    def index():
        return iter(["streamed"])

    response = client.head("/")
    assert response.status_code == 200
    assert response.data == b""


def test_head_runs_the_get_view(app, client):
    calls = []

    @app.route("/")
    def index():
        calls.append(request.method)
        return "x"

    client.head("/")
    assert calls == ["HEAD"]


@pytest.mark.parametrize("body", ["", "ignored body"])
def test_204_has_no_body_and_no_content_length(app, client, body):
    @app.route("/")
    def index():
        return body, 204

    response = client.get("/")
    assert response.status == "204 NO CONTENT"
    assert response.data == b""
    assert "Content-Length" not in response.headers


def test_304_has_no_body_and_no_entity_headers(app, client):
    @app.route("/")
    def index():
        return "ignored", 304, {"ETag": '"abc"'}

    response = client.get("/")
    assert response.status == "304 NOT MODIFIED"
    assert response.data == b""
    assert "Content-Length" not in response.headers
    assert "Content-Type" not in response.headers
    assert response.headers["ETag"] == '"abc"'


# ---------------------------------------------------------------------------
# make_response


def test_make_response_no_args(app, client):
    @app.route("/")
    def index():
        response = make_response()
        assert isinstance(response, Response)
        response.set_data("filled later")
        return response

    response = client.get("/")
    assert response.status_code == 200
    assert response.data == b"filled later"
    assert response.headers["Content-Type"] == HTML


def test_make_response_one_arg(app, client):
    @app.route("/")
    def index():
        response = make_response("Hello, World!")
        response.status_code = 200
        return response

    response = client.get("/")
    assert response.data == b"Hello, World!"
    assert response.headers["Content-Type"] == HTML


def test_make_response_with_dict(app, client):
    @app.route("/")
    def index():
        return make_response({"k": "v"})

    response = client.get("/")
    assert response.headers["Content-Type"] == "application/json"
    assert response.json == {"k": "v"}


def test_make_response_several_args_as_tuple(app, client):
    @app.route("/")
    def index():
        return make_response("Resource not found", 404, {"X-Why": "gone"})

    response = client.get("/")
    assert response.status == "404 NOT FOUND"
    assert response.data == b"Resource not found"
    assert response.headers["X-Why"] == "gone"


def test_make_response_body_and_headers(app, client):
    @app.route("/")
    def index():
        return make_response("x", [("X-A", "1")])

    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["X-A"] == "1"


def test_make_response_passes_response_through(app, client):
    @app.route("/")
    def index():
        original = Response("orig")
        made = make_response(original)
        assert made is original
        return made

    assert client.get("/").data == b"orig"


def test_make_response_of_jsonify_then_header(app, client):
    @app.route("/")
    def index():
        response = make_response(jsonify({"name": "John", "age": 30}))
        response.headers["Content-Type"] = "application/json"
        return response

    response = client.get("/")
    assert response.headers.getlist("Content-Type") == ["application/json"]
    assert response.json == {"age": 30, "name": "John"}


def test_make_response_outside_context_fails():
    with pytest.raises(RuntimeError):
        make_response("x")


# ---------------------------------------------------------------------------
# redirect


def test_redirect_default(app, client):
    @app.route("/")
    def index():
        return redirect("/target")

    response = client.get("/")
    assert response.status == "302 FOUND"
    assert response.headers["Location"] == "/target"
    assert response.headers["Content-Type"] == HTML
    assert response.data == (
        b"<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        b"<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target"
        b' URL: <a href="/target">/target</a>. If not, click the link.\n'
    )


@pytest.mark.parametrize(
    ("code", "line"),
    [
        (301, "301 MOVED PERMANENTLY"),
        (303, "303 SEE OTHER"),
        (307, "307 TEMPORARY REDIRECT"),
        (308, "308 PERMANENT REDIRECT"),
    ],
)
def test_redirect_codes(app, client, code, line):
    @app.route("/")
    def index():
        return redirect("https://example.com/x?y=1", code=code)

    response = client.get("/")
    assert response.status == line
    assert response.headers["Location"] == "https://example.com/x?y=1"


def test_redirect_escapes_location_in_body(app, client):
    @app.route("/")
    def index():
        return redirect('/a?b=1&c="<x>"')

    response = client.get("/")
    assert b'href="/a?b=1&amp;c=&#34;&lt;x&gt;&#34;"' in response.data


def test_redirect_with_added_header_and_cookie(app, client):
    @app.route("/")
    def index():
        response = make_response(redirect("/next"))
        response.headers["X-Extra"] = "1"
        response.set_cookie("seen", "yes")
        return response

    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/next"
    assert response.headers["X-Extra"] == "1"
    assert response.headers["Set-Cookie"] == "seen=yes; Path=/"


def test_redirect_outside_app_context():
    response = redirect("/elsewhere", 301)
    assert response.status_code == 301
    assert response.location == "/elsewhere"


def test_app_redirect_method(app):
    response = app.redirect("/x", 307)
    assert response.status_code == 307
    assert response.headers["Location"] == "/x"


# ---------------------------------------------------------------------------
# jsonify


def test_jsonify_keywords(app, client):
    @app.route("/")
    def index():
        return jsonify(b=2, a=1)

    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.data == b'{"a":1,"b":2}\n'


def test_jsonify_single_positional(app, client):
    @app.route("/")
    def index():
        return jsonify({"x": [1, 2]})

    assert client.get("/").data == b'{"x":[1,2]}\n'


def test_jsonify_several_positional_is_a_list(app, client):
    @app.route("/")
    def index():
        return jsonify(1, "two", None)

    assert client.get("/").json == [1, "two", None]


def test_jsonify_list_and_scalars(app, client):
    @app.route("/list")
    def as_list():
        return jsonify([1, 2, 3])

    @app.route("/scalar")
    def scalar():
        return jsonify("just a string")

    @app.route("/empty")
    def empty():
        return jsonify()

    assert client.get("/list").json == [1, 2, 3]
    assert client.get("/scalar").data == b'"just a string"\n'
    assert client.get("/empty").data == b"null\n"


def test_jsonify_positional_and_keyword_is_a_type_error(app):
    with app.test_request_context(), pytest.raises(TypeError):
        jsonify({"a": 1}, b=2)


def test_jsonify_sort_keys_setting(app, client):
    app.json.sort_keys = False

    @app.route("/")
    def index():
        return jsonify({"b": 1, "a": 2})

    assert client.get("/").data == b'{"b":1,"a":2}\n'


def test_jsonify_ensure_ascii_setting(app, client):
    @app.route("/")
    def index():
        return jsonify(text="caf\u00e9 \u2603")

    assert client.get("/").data == b'{"text":"caf\\u00e9 \\u2603"}\n'
    app2 = Flask("other")
    app2.json.ensure_ascii = False

    @app2.route("/")
    def index2():
        return jsonify(text="caf\u00e9 \u2603")

    assert app2.test_client().get("/").data == '{"text":"caf\u00e9 \u2603"}\n'.encode()


def test_jsonify_compact_false_is_indented(app, client):
    app.json.compact = False

    @app.route("/")
    def index():
        return jsonify(a=1, b=[1])

    assert client.get("/").data == b'{\n  "a": 1,\n  "b": [\n    1\n  ]\n}\n'


def test_jsonify_debug_pretty_prints(app, client):
    app.debug = True

    @app.route("/")
    def index():
        return jsonify(a=1)

    assert client.get("/").data == b'{\n  "a": 1\n}\n'


def test_jsonify_debug_with_compact_true(app, client):
    app.debug = True
    app.json.compact = True

    @app.route("/")
    def index():
        return jsonify(a=1)

    assert client.get("/").data == b'{"a":1}\n'


def test_jsonify_mimetype_setting(app, client):
    app.json.mimetype = "application/vnd.api+json"

    @app.route("/")
    def index():
        return jsonify(a=1)

    assert client.get("/").headers["Content-Type"] == "application/vnd.api+json"


def test_jsonify_special_types(app, client):
    import uuid
    from dataclasses import dataclass
    from decimal import Decimal

    @dataclass
    class Point:
        x: int
        y: int

    moment = datetime(2024, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")

    @app.route("/")
    def index():
        return jsonify(when=moment, id=ident, price=Decimal("1.50"), point=Point(1, 2))

    assert client.get("/").json == {
        "id": "12345678-1234-5678-1234-567812345678",
        "point": {"x": 1, "y": 2},
        "price": "1.50",
        "when": "Sat, 03 Feb 2024 04:05:06 GMT",
    }


def test_jsonify_unserializable_is_a_type_error(app, client):
    @app.route("/")
    def index():
        return jsonify(thing=object())

    with pytest.raises(TypeError):
        client.get("/")


def test_app_json_dumps_and_loads(app):
    assert app.json.loads('{"a": 1}') == {"a": 1}
    assert json.loads(app.json.dumps({"b": 1, "a": 2})) == {"a": 2, "b": 1}
    assert app.json.dumps({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'


# ---------------------------------------------------------------------------
# after_this_request


def test_after_this_request(app, client):
    @app.route("/")
    def index():
        @after_this_request
        def add_header(response):
            response.headers["X-After-This"] = "yes"
            return response

        return "x"

    @app.route("/other")
    def other():
        return "y"

    assert client.get("/").headers["X-After-This"] == "yes"
    # It is for that request only.
    assert "X-After-This" not in client.get("/other").headers


def test_after_this_request_runs_before_after_request(app, client):
    order = []

    @app.after_request
    def global_hook(response):
        order.append("after_request")
        return response

    @app.route("/")
    def index():
        @after_this_request
        def local(response):
            order.append("after_this_request")
            return response

        return "x"

    client.get("/")
    assert order == ["after_this_request", "after_request"]


def test_after_this_request_can_replace_response(app, client):
    @app.route("/")
    def index():
        @after_this_request
        def replace(response):
            return Response("replaced", status=202)

        return "original"

    response = client.get("/")
    assert response.status_code == 202
    assert response.data == b"replaced"


def test_after_this_request_outside_request_fails():
    with pytest.raises(RuntimeError):
        after_this_request(lambda response: response)


def test_overridden_make_response_is_used_for_text_too():
    class TaggingFlask(Flask):
        def make_response(self, rv):
            response = super().make_response(rv)
            response.headers.add("X-Made-By", "subclass")
            return response

    app = TaggingFlask(__name__)

    @app.route("/")
    def index():
        return make_response("text")

    response = app.test_client().get("/")
    assert response.data == b"text"
    # Once for the view's make_response("text"), once for its return value.
    assert response.headers.getlist("X-Made-By") == ["subclass", "subclass"]


# ---------------------------------------------------------------------------
# What the response writers remember between requests (bounded caches)


def test_content_length_is_right_for_every_size_past_the_cache(app, client):
    @app.route("/<int:size>")
    def sized(size):
        return "x" * size

    # More distinct sizes than the cache of length texts holds, each asked twice.
    for size in [*range(0, 5000, 7), 0, 1, 4095, 4096, 4097, 123_456]:
        for _ in range(2):
            response = client.get(f"/{size}")
            assert response.headers.getlist("Content-Length") == [str(size)]
            assert len(response.data) == size


def test_a_content_length_set_in_any_spelling_is_not_sent_twice(app, client):
    @app.route("/stream")
    def stream():
        response = Response(iter([b"abc"]))
        response.headers["content-LENGTH"] = "3"
        return response

    @app.route("/many")
    def many():
        # Past the cap of names remembered as valid: the check must not rely on it.
        response = make_response("many")
        for number in range(1100):
            response.headers[f"X-Name-{number}"] = "1"
        response.headers["CONTENT-length"] = "4"
        return response

    response = client.get("/stream")
    assert response.headers.getlist("Content-Length") == ["3"]
    assert response.data == b"abc"
    response = client.get("/many")
    assert response.headers.getlist("Content-Length") == ["4"]
    assert response.data == b"many"


class PlainText(Response):
    default_mimetype = "text/plain"


class Created(Response):
    default_status = 201


class NoLength(Response):
    automatically_set_content_length = False


class NoType(Response):
    default_mimetype = None


class OwnInit(Response):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.headers["X-Own-Init"] = "1"


RESPONSE_CLASSES = [Response, PlainText, Created, NoLength, NoType, OwnInit]


@pytest.mark.parametrize("response_class", RESPONSE_CLASSES)
def test_text_responses_honour_the_response_class(app, client, response_class):
    # Class defaults and subclasses with their own constructor included.
    app.response_class = response_class

    @app.route("/made")
    def made():
        return make_response("made é")

    @app.route("/tuple")
    def tuple_view():
        return "tuple", 202

    for path, body, status in (("/made", "made é", None), ("/tuple", "tuple", 202)):
        expected = response_class(body, status)
        response = client.get(path)
        assert response.status == expected.status
        assert sorted(response.headers.items(lower=True)) == sorted(
            expected.headers.items(lower=True)
        )
        assert response.get_data() == expected.get_data()


def test_max_cookie_size_follows_the_app_as_in_flask(app, client):
    import warnings

    from carafe import Response

    assert Response().max_cookie_size == 4093  # outside an app: Werkzeug's default

    @app.route("/")
    def index():
        response = make_response("x")
        response.set_cookie("big", "x" * 100)
        return response

    for limit, warned in ((50, True), (0, False), (4093, False)):
        app.config["MAX_COOKIE_SIZE"] = limit
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            client.get("/")
        assert any("too large" in str(w.message) for w in caught) is warned, limit
    app.config["MAX_COOKIE_SIZE"] = 123
    with app.test_request_context():
        assert Response().max_cookie_size == 123

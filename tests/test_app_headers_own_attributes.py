"""An app's own attributes on the request and the response (``request.user = ...``,
``response.cache_hit = True``), kept as Flask keeps them, on WSGI and ASGI; in the
compiled build too (tests/test_compiled.py runs the suite on it)."""

from __future__ import annotations

import copy
import functools
import pickle
import sys

import flask
import pytest

from carafe import Request, Response, g, request
from carafe.http import own_attributes


def test_a_hook_sets_an_attribute_the_view_reads(app, client):
    @app.before_request
    def load_user():
        request.user = {"name": "alice"}

    @app.route("/")
    def index():
        return {"user": request.user, "has": hasattr(request, "user")}

    assert client.get("/").json == {"user": {"name": "alice"}, "has": True}


def test_the_attribute_lives_as_long_as_the_request(app, client):
    seen = []

    @app.route("/set")
    def set_it():
        request.marker = 1
        return ""

    @app.route("/read")
    def read_it():
        seen.append(hasattr(request, "marker"))
        return ""

    client.get("/set")
    client.get("/read")
    assert seen == [False]


def test_own_attributes_are_deleted_and_listed(app, client):
    @app.route("/")
    def index():
        request.a = 1
        request.b = 2
        del request.a
        return {
            "a": hasattr(request, "a"),
            "vars": vars(request._get_current_object()),
            "getattr": getattr(request, "missing", "default"),
        }

    assert client.get("/").json == {"a": False, "vars": {"b": 2}, "getattr": "default"}


def test_a_missing_attribute_is_an_attribute_error(app, client):
    @app.route("/")
    def index():
        with pytest.raises(AttributeError):
            request.nothing
        with pytest.raises(AttributeError):
            del request.nothing
        return "ok"

    assert client.get("/").data == b"ok"


def test_declared_attributes_still_go_through_their_properties(app, client):
    @app.route("/", methods=["POST"])
    def index():
        request.max_content_length = 3  # a property with a setter, not an own attribute
        request.own = True
        assert vars(request._get_current_object()) == {"own": True}
        return request.get_data()

    assert client.post("/", data=b"abcd").status_code == 413
    assert client.post("/", data=b"abc").data == b"abc"


def test_an_after_request_hook_marks_the_response(app, client):
    @app.after_request
    def mark(response):
        response.cache_hit = False
        response.headers["X-Cache"] = str(response.cache_hit)
        return response

    @app.route("/")
    def index():
        response = Response("body")
        response.served_by = "index"
        assert response.served_by == "index"
        return response

    answer = client.get("/")
    assert answer.headers["X-Cache"] == "False"


def test_the_test_client_response_keeps_its_own_attributes(app, client):
    @app.route("/")
    def index():
        return "x"

    answer = client.get("/")
    answer.note = "kept"
    assert answer.note == "kept" and answer.request.path == "/"


def test_response_attributes_as_flask():
    for framework in (flask, None):
        response = (framework.Response if framework else Response)("x")
        response.foo = 1
        response.foo += 1
        assert response.foo == 2
        del response.foo
        assert not hasattr(response, "foo")


def test_a_request_built_by_hand_takes_attributes():
    req = Request({"REQUEST_METHOD": "GET", "PATH_INFO": "/"})
    req.user = "bob"
    assert req.user == "bob" and vars(req) == {"user": "bob"}


# mypyc (2.4) gives a compiled class on Python < 3.12 an instance dict through a
# member that reads as missing until the dict exists (3.12's managed dicts do not).
_REQUEST_MODULE = sys.modules["carafe.request"]  # (``carafe.request`` is the proxy)
_COMPILED_BEFORE_312 = sys.version_info < (3, 12) and not str(_REQUEST_MODULE.__file__).endswith(
    ".py"
)


@pytest.mark.xfail(
    _COMPILED_BEFORE_312,
    strict=True,
    raises=(AttributeError, TypeError),
    reason="compiled build on Python < 3.12: mypyc's __dict__ member of Request and"
    " Response raises until the first own attribute is set, so vars() of a fresh request"
    " and functools.cached_property on a subclass fail",
)
def test_vars_of_a_fresh_request_and_cached_property_on_a_subclass():
    class MyRequest(Request):
        @functools.cached_property
        def expensive(self):
            return [self.method]

    assert vars(Request({"REQUEST_METHOD": "GET"})) == {}
    req = MyRequest({"REQUEST_METHOD": "GET"})
    assert req.expensive is req.expensive and req.expensive == ["GET"]


@pytest.mark.xfail(
    _COMPILED_BEFORE_312,
    strict=True,
    raises=AssertionError,
    reason="compiled build on Python < 3.12 (see above): werkzeug.utils.cached_property"
    " finds no __dict__ at first, keeps the value under another name, and computes it"
    " once more on the second read",
)
def test_werkzeugs_cached_property_on_a_subclass():
    from werkzeug.utils import cached_property

    calls = []

    class MyRequest(Request):
        @cached_property
        def expensive(self):
            calls.append(1)
            return [self.method]

    req = MyRequest({"REQUEST_METHOD": "GET"})
    assert req.expensive == ["GET"] and req.expensive is req.expensive
    assert len(calls) == 1


def test_subclasses_keep_taking_attributes(app, client):
    class MyRequest(Request):
        pass

    class MyResponse(Response):
        pass

    app.request_class = MyRequest
    app.response_class = MyResponse

    @app.route("/")
    def index():
        request.tag = "r"
        response = app.make_response("x")
        response.tag = "s"
        return {"request": request.tag, "response": response.tag}

    assert client.get("/").json == {"request": "r", "response": "s"}


def test_a_response_with_own_attributes_copies_and_pickles():
    response = Response("x", 201)
    response.note = "n"
    copied = copy.copy(response)
    assert copied.note == "n" and copied.status_code == 201
    restored = pickle.loads(pickle.dumps(response))
    assert restored.note == "n" and restored.get_data() == b"x"


def test_g_is_still_the_place_flask_recommends(app, client):
    @app.route("/")
    def index():
        g.user = "alice"
        request.user = g.user
        return request.user

    assert client.get("/").data == b"alice"


def test_the_base_that_gives_compiled_classes_a_dict_stays_python():
    # A compiled (mypyc) class has an instance __dict__ only when it inherits from a
    # Python class: this one must never be compiled.
    assert own_attributes.__file__ is not None and own_attributes.__file__.endswith(".py")
    assert issubclass(Request, own_attributes.OwnAttributes)
    assert issubclass(Response, own_attributes.OwnAttributes)

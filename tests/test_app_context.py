"""Application and request contexts: current_app, g, request, and their lifetimes."""

from __future__ import annotations

import threading

import pytest

from carafe import (
    Flask,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    url_for,
)
from carafe.asgi_request import ASGIRequest


def test_no_context_by_default():
    assert not has_app_context()
    assert not has_request_context()
    assert not request
    assert not current_app
    with pytest.raises(RuntimeError, match="outside of request context"):
        request.args
    with pytest.raises(RuntimeError, match="outside of application context"):
        current_app.name
    with pytest.raises(RuntimeError, match="outside of application context"):
        g.x = 1


def test_app_context(app):
    with app.app_context() as ctx:
        assert has_app_context()
        assert not has_request_context()
        assert current_app.name == "test_app"
        assert current_app._get_current_object() is app
        assert ctx.app is app
        g.value = 42
        assert g.value == 42
    assert not has_app_context()


def test_app_context_push_pop(app):
    ctx = app.app_context()
    ctx.push()
    try:
        assert current_app._get_current_object() is app
    finally:
        ctx.pop()
    assert not has_app_context()


def test_g_helpers(app):
    with app.app_context():
        assert g.get("missing") is None
        assert g.get("missing", "dflt") == "dflt"
        assert "item" not in g
        assert g.setdefault("item", [1]) == [1]
        assert g.setdefault("item", [2]) == [1]
        assert "item" in g
        assert list(g) == ["item"]
        assert g.pop("item") == [1]
        assert g.pop("item", None) is None
        with pytest.raises(KeyError):
            g.pop("item")
        with pytest.raises(AttributeError):
            g.nothing


def test_nested_app_contexts_have_their_own_g(app):
    with app.app_context():
        g.outer = True
        with app.app_context():
            assert "outer" not in g
            g.inner = True
        assert "inner" not in g
        assert g.outer is True


def test_two_apps_nested(app):
    other = Flask("other_app")
    with app.app_context():
        assert current_app.name == "test_app"
        with other.app_context():
            assert current_app.name == "other_app"
        assert current_app.name == "test_app"


def test_test_request_context(app):
    @app.route("/hello/<name>", methods=["GET", "POST"])
    def hello(name):
        return name

    with app.test_request_context("/hello/bob?a=1&a=2", method="POST", data={"f": "v"}):
        assert has_request_context()
        assert has_app_context()
        assert current_app._get_current_object() is app
        assert request.path == "/hello/bob"
        assert request.method == "POST"
        assert request.args.getlist("a") == ["1", "2"]
        assert request.form["f"] == "v"
        assert request.view_args == {"name": "bob"}
        assert request.endpoint == "hello"
        assert url_for("hello", name="x") == "/hello/x"
    assert not has_request_context()
    assert not has_app_context()


def test_test_request_context_headers_and_json(app):
    with app.test_request_context("/", headers={"X-Test": "yes"}, json={"a": 1}):
        assert request.headers["X-Test"] == "yes"
        assert request.get_json() == {"a": 1}
        assert request.is_json


def test_test_request_context_base_url(app):
    with app.test_request_context("/p", base_url="https://example.com/root"):
        assert request.url == "https://example.com/root/p"
        assert request.script_root == "/root"
        assert request.is_secure


def test_test_request_context_push_pop(app):
    ctx = app.test_request_context("/x")
    ctx.push()
    try:
        assert request.path == "/x"
    finally:
        ctx.pop()
    assert not has_request_context()


def test_request_context_reuses_active_app_context(app):
    with app.app_context():
        g.shared = "from app ctx"
        with app.test_request_context():
            assert g.shared == "from app ctx"
        assert has_app_context()
    assert not has_app_context()


def test_g_is_per_request(app, client):
    @app.route("/set")
    def set_value():
        g.value = "set"
        return "ok"

    @app.route("/get")
    def get_value():
        return g.get("value", "unset")

    client.get("/set")
    assert client.get("/get").data == b"unset"


def test_current_app_in_view(app, client):
    app.config["GREETING"] = "hi from config"

    @app.route("/")
    def index():
        return current_app.config["GREETING"]

    assert client.get("/").data == b"hi from config"


def test_request_proxy_in_view(app, client):
    @app.route("/")
    def index():
        return f"{has_request_context()} {has_app_context()} {bool(request)}"

    assert client.get("/").data == b"True True True"
    assert not has_request_context()


def test_proxies_forward_attributes_and_identity(app, client):
    from carafe import Request

    seen = {}

    @app.route("/p")
    def view():
        seen["current"] = request._get_current_object()
        seen["isinstance"] = isinstance(request, Request)
        seen["class"] = request.__class__
        seen["g_missing"] = g.get("nothing", "default")
        g.user = "ann"
        seen["g_user"] = g.user
        seen["app"] = current_app._get_current_object()
        with pytest.raises(AttributeError):
            request.no_such_attribute
        return request.method

    assert client.get("/p").data == b"GET"
    # On ASGI the request is Request's scope-reading subclass.
    assert type(seen["current"]) in (Request, ASGIRequest)
    assert seen["isinstance"] is True
    assert seen["class"] is type(seen["current"])
    assert seen["g_missing"] == "default"
    assert seen["g_user"] == "ann"
    assert seen["app"] is app
    with pytest.raises(RuntimeError, match="outside of request context"):
        request._get_current_object()


def test_contexts_are_popped_after_request(app, client):
    @app.route("/")
    def index():
        return "x"

    client.get("/")
    assert not has_request_context()
    assert not has_app_context()


def test_contexts_are_popped_after_propagated_error(app, client):
    @app.route("/")
    def index():
        raise ValueError()

    with pytest.raises(ValueError):
        client.get("/")
    assert not has_request_context()
    assert not has_app_context()


def test_other_threads_see_no_context(app, client):
    seen = []

    @app.route("/")
    def index():
        def worker():
            seen.append((has_request_context(), has_app_context()))

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        return "x"

    client.get("/")
    assert seen == [(False, False)]


def test_concurrent_requests_in_threads_are_isolated(app):
    barrier = threading.Barrier(4)

    @app.route("/<int:n>")
    def index(n):
        g.n = n
        barrier.wait(timeout=5)
        return f"{request.view_args['n']}:{g.n}"

    results = {}

    def run(number):
        results[number] = app.test_client().get(f"/{number}").data

    threads = [threading.Thread(target=run, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {number: f"{number}:{number}".encode() for number in range(4)}


def test_with_client_keeps_last_request_context(app, client):
    @app.route("/")
    def index():
        g.marker = request.args.get("m")
        return "x"

    with client:
        client.get("/?m=first&other=1")
        assert has_request_context()
        assert request.args["m"] == "first"
        assert request.args["other"] == "1"
        assert g.marker == "first"
        client.get("/?m=second")
        assert request.args["m"] == "second"
        assert "other" not in request.args
    assert not has_request_context()
    assert not has_app_context()


def test_with_client_form_readable_after_post(app, client):
    @app.route("/", methods=["POST"])
    def index():
        return "x"

    with client:
        client.post("/", data={"name": "value"})
        assert request.form["name"] == "value"
        assert request.method == "POST"


def test_with_client_teardown_runs_on_exit(app, client):
    torn_down = []

    @app.teardown_request
    def teardown(exc):
        torn_down.append(request.path)

    @app.route("/")
    def index():
        return "x"

    with client:
        client.get("/")
        assert request.path == "/"
    assert torn_down
    assert set(torn_down) == {"/"}


def test_with_client_cannot_nest(app, client):
    with client, pytest.raises(RuntimeError), client:
        pass


def test_with_client_exception_still_pops(app, client):
    @app.route("/")
    def index():
        return "x"

    with pytest.raises(ZeroDivisionError), client:
        client.get("/")
        1 / 0
    assert not has_request_context()


def test_teardown_appcontext_on_app_context_exit(app):
    seen = []

    @app.teardown_appcontext
    def teardown(exc):
        seen.append(exc)

    with app.app_context():
        pass
    assert seen == [None]
    with pytest.raises(ValueError), app.app_context():
        raise ValueError("in ctx")
    assert isinstance(seen[1], ValueError)


def test_teardown_request_on_test_request_context_exit(app):
    seen = []

    @app.teardown_request
    def teardown(exc):
        seen.append(exc)

    with app.test_request_context():
        pass
    assert seen == [None]


def test_hooks_run_by_hand_in_test_request_context(app):
    calls = []

    @app.before_request
    def before():
        calls.append("before")

    @app.after_request
    def after(response):
        calls.append("after")
        response.headers["X-After"] = "1"
        return response

    with app.test_request_context("/"):
        assert app.preprocess_request() is None
        response = app.process_response(app.make_response("x"))
    assert calls == ["before", "after"]
    assert response.headers["X-After"] == "1"


def test_with_client_view_error_still_pops(app, client):
    """A view's error propagates out of ``client.get`` (testing mode); leaving the
    ``with`` block still pops the request context it kept, as Flask's client does."""
    torn_down = []
    app.teardown_request(lambda exc: torn_down.append(type(exc).__name__))

    @app.route("/")
    def index():
        raise KeyError("boom")

    with pytest.raises(KeyError), client:
        client.get("/")
    assert not has_request_context()
    assert torn_down == ["KeyError"]

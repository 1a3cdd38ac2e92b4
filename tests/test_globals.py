"""carafe.globals: the ``request``, ``current_app`` and ``g`` proxies.

Each forwards to what the current context holds: attribute reads and writes,
the object itself, and the special methods a proxy must pass on. Outside its
context a proxy raises RuntimeError (Flask's messages) or, for bool and repr,
says it is unbound.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

import carafe
from carafe import Flask, Request, current_app, g, request
from carafe import globals as carafe_globals
from carafe.ctx import _AppCtxGlobals
from carafe.globals import _Proxy

flask = pytest.importorskip("flask")
flask_globals = pytest.importorskip("flask.globals")


def test_package_exports_the_module_proxies() -> None:
    assert carafe.request is carafe_globals.request
    assert carafe.current_app is carafe_globals.current_app
    assert carafe.g is carafe_globals.g


# ---------------------------------------------------------------------------
# Outside a context


@pytest.mark.parametrize(
    ("use", "context"),
    [
        (lambda: request.path, "request"),
        (lambda: request._get_current_object(), "request"),  # type: ignore[attr-defined]
        (lambda: current_app.name, "application"),
        (lambda: current_app._get_current_object(), "application"),  # type: ignore[attr-defined]
        (lambda: g.value, "application"),
        (lambda: setattr(g, "value", 1), "application"),
        (lambda: "x" in g, "application"),
        (lambda: current_app == 1, "application"),
        (lambda: hash(current_app), "application"),
    ],
)
def test_use_outside_a_context_is_a_runtime_error(use: Any, context: str) -> None:
    with pytest.raises(RuntimeError, match=f"^Working outside of {context} context\\."):
        use()


def test_outside_message_starts_as_flasks() -> None:
    """The first paragraph, which says what is wrong and how to fix it, is Flask's."""
    with pytest.raises(RuntimeError) as no_request:
        request.path
    with pytest.raises(RuntimeError) as no_app:
        current_app.name
    assert flask_globals._no_req_msg.startswith(str(no_request.value))
    assert flask_globals._no_app_msg.startswith(str(no_app.value).removesuffix("."))


def test_request_outside_a_request_but_inside_an_app_context(app: Flask) -> None:
    with app.app_context():
        assert current_app.name == "test_app"
        with pytest.raises(RuntimeError, match=r"^Working outside of request context"):
            request.path
        assert not request


# ids given: pytest's own id making asks isinstance() of the values (see the xfail below).
UNBOUND = pytest.mark.parametrize(
    ("proxy", "name"),
    [(request, "request"), (current_app, "current_app"), (g, "g")],
    ids=["request", "current_app", "g"],
)


@UNBOUND
def test_unbound_proxy_is_false_and_says_so_in_its_repr(proxy: Any, name: str) -> None:
    assert not proxy
    assert bool(proxy) is False
    assert repr(proxy) == "<LocalProxy unbound>"  # (Werkzeug's words, as Flask's proxies)


@UNBOUND
def test_isinstance_of_an_unbound_proxy_is_false(proxy: Any, name: str) -> None:
    assert isinstance(getattr(flask, name), str) is False
    assert isinstance(proxy, str) is False


# ---------------------------------------------------------------------------
# The object behind the proxy


def test_get_current_object_is_the_contexts_object(app: Flask) -> None:
    with app.test_request_context("/path") as ctx:
        assert request._get_current_object() is ctx.request  # type: ignore[attr-defined]
        assert current_app._get_current_object() is app  # type: ignore[attr-defined]
        assert g._get_current_object() is ctx.g  # type: ignore[attr-defined]
        assert type(request._get_current_object()) is Request  # type: ignore[attr-defined]
        assert type(g._get_current_object()) is _AppCtxGlobals  # type: ignore[attr-defined]


def test_proxies_are_not_their_objects_but_pass_isinstance(app: Flask) -> None:
    with app.test_request_context():
        assert current_app is not app
        assert type(current_app) is not Flask
        assert isinstance(current_app, Flask)
        assert isinstance(request, Request)
        assert isinstance(g, _AppCtxGlobals)
        assert not isinstance(request, str)


def test_proxy_follows_the_innermost_context(app: Flask) -> None:
    other = Flask("other_app")
    with app.test_request_context("/outer"):
        assert (current_app.name, request.path) == ("test_app", "/outer")
        with other.test_request_context("/inner"):
            assert (current_app.name, request.path) == ("other_app", "/inner")
        assert (current_app.name, request.path) == ("test_app", "/outer")


# ---------------------------------------------------------------------------
# Attribute reads, writes and deletes


def test_attribute_reads_are_forwarded(app: Flask) -> None:
    with app.test_request_context("/a/b?x=1", method="POST", data=b"body"):
        assert request.path == "/a/b"
        assert request.method == "POST"
        assert request.args["x"] == "1"
        assert request.get_data() == b"body"
        assert current_app.config["TESTING"] is True
        assert current_app.import_name == "test_app"


def test_missing_attribute_is_an_attribute_error(app: Flask) -> None:
    with app.test_request_context():
        with pytest.raises(AttributeError):
            request.no_such_attribute
        with pytest.raises(AttributeError):
            current_app.no_such_attribute
        with pytest.raises(AttributeError):
            g.unset


def test_attribute_error_of_a_request_property_is_raised_once(app: Flask) -> None:
    calls = []

    class CustomRequest(Request):
        @property
        def broken(self) -> str:
            calls.append(1)
            raise AttributeError("broken inside")

    app.request_class = CustomRequest
    with app.test_request_context(), pytest.raises(AttributeError, match="broken inside"):
        request.broken  # type: ignore[attr-defined]
    assert calls == [1]  # the property ran once, its own error came through


def test_attribute_writes_and_deletes_reach_the_object(app: Flask) -> None:
    with app.test_request_context() as ctx:
        current_app.custom_setting = 5  # type: ignore[attr-defined]
        assert app.custom_setting == 5  # type: ignore[attr-defined]
        del current_app.custom_setting  # type: ignore[attr-defined]
        assert not hasattr(app, "custom_setting")
        g.user = "alice"
        assert ctx.g.user == "alice"
        del g.user
        assert "user" not in ctx.g
        # A request attribute that has a setter is set through the proxy.
        request.max_content_length = 10  # type: ignore[misc]
        assert ctx.request.max_content_length == 10


def test_own_attribute_on_the_request_is_kept_as_in_flask(app: Flask) -> None:
    flask_app = flask.Flask(__name__)
    with flask_app.test_request_context():
        flask.request.user = "alice"
        assert flask.request.user == "alice"
    with app.test_request_context() as ctx:
        request.user = "alice"  # type: ignore[attr-defined]
        assert ctx.request.user == "alice"  # type: ignore[attr-defined]
        del request.user  # type: ignore[attr-defined]
        assert not hasattr(ctx.request, "user")


def test_proxies_own_names_are_not_forwarded(app: Flask) -> None:
    """Even with an object that has one, ``_get_current_object`` is the proxy's."""
    with app.app_context():
        g._get_current_object = "shadow"  # type: ignore[attr-defined]
        assert g._get_current_object() is not None  # type: ignore[attr-defined]
        assert isinstance(g._get_current_object(), _AppCtxGlobals)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------
# Special methods


def test_bool_is_the_objects(app: Flask) -> None:
    with app.test_request_context():
        assert request
        assert current_app
        assert g


def test_repr_is_the_objects(app: Flask) -> None:
    with app.test_request_context("/here"):
        assert repr(current_app) == repr(app) == "<Flask 'test_app'>"
        assert repr(request) == repr(request._get_current_object())  # type: ignore[attr-defined]
        assert "/here" in repr(request)
        assert repr(g) == "<carafe.g of 'test_app'>"


def test_eq_ne_and_hash_are_the_objects(app: Flask) -> None:
    other = Flask("other_app")
    with app.app_context():
        assert current_app == app
        assert (current_app != app) is False
        assert current_app != other
        assert hash(current_app) == hash(app)
        assert {current_app: "found"}[app] == "found"  # type: ignore[index]


def test_contains_and_iter_forward_to_g(app: Flask) -> None:
    with app.app_context():
        g.a = 1
        g.b = 2
        assert "a" in g
        assert "missing" not in g
        assert sorted(g) == ["a", "b"]
        assert g.get("a") == 1
        assert g.get("missing", "default") == "default"
        assert g.setdefault("c", 3) == 3
        assert g.pop("c") == 3
        assert "c" not in g


def test_call_is_forwarded(app: Flask) -> None:
    """``current_app(environ, start_response)`` is the app's WSGI call."""

    @app.route("/")
    def index() -> str:
        return "called"

    statuses: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
    }
    with app.app_context():
        body = current_app(environ, lambda status, headers, exc_info=None: statuses.append(status))  # type: ignore[operator]
        assert b"".join(body) == b"called"
    assert statuses == ["200 OK"]


def test_getitem_contains_iter_and_call_on_a_proxy() -> None:
    items = {"a": 1, "b": 2}
    mapping = _Proxy(lambda: items, "mapping")
    assert mapping["a"] == 1
    assert "b" in mapping
    assert list(mapping) == ["a", "b"]
    assert mapping == items
    assert bool(_Proxy(lambda: {}, "empty")) is False
    with pytest.raises(KeyError):
        mapping["missing"]
    assert _Proxy(lambda: len, "function")("abc") == 3
    assert _Proxy(lambda: [10, 20], "list")[-1] == 20


def test_unbound_getter_error_propagates_from_a_proxy() -> None:
    def unbound() -> Any:
        raise RuntimeError("nothing here")

    proxy = _Proxy(unbound, "thing")
    assert not proxy
    assert repr(proxy) == "<LocalProxy unbound>"
    with pytest.raises(RuntimeError, match="nothing here"):
        proxy.attribute
    with pytest.raises(RuntimeError, match="nothing here"):
        proxy["key"]
    with pytest.raises(RuntimeError, match="nothing here"):
        proxy()


# ---------------------------------------------------------------------------
# g: per app context, shared by a request inside it


def test_g_in_an_app_context_is_its_own(app: Flask) -> None:
    with app.app_context():
        g.value = "outer"
        with app.app_context():
            assert "value" not in g
            g.value = "inner"
        assert g.value == "outer"


def test_request_context_inside_an_app_context_shares_its_g(app: Flask) -> None:
    with app.app_context():
        g.value = "from the app context"
        with app.test_request_context():
            assert g.value == "from the app context"
            g.set_in_request = True
        assert g.set_in_request is True


def test_request_context_of_another_app_has_its_own_g(app: Flask) -> None:
    other = Flask("other_app")
    with app.app_context():
        g.value = "app"
        with other.test_request_context():
            assert "value" not in g
        assert g.value == "app"


def test_g_lives_for_one_request(app: Flask, client: Any) -> None:
    @app.route("/")
    def index() -> str:
        seen = g.get("count", 0)
        g.count = seen + 1
        return str(seen)

    assert client.get("/").data == b"0"
    assert client.get("/").data == b"0"


def test_g_is_shared_by_hooks_and_the_view(app: Flask, client: Any) -> None:
    @app.before_request
    def load_user() -> None:
        g.user = request.args.get("user", "anonymous")

    @app.route("/")
    def index() -> str:
        return f"{g.user} at {current_app.name}"

    assert client.get("/?user=ann").data == b"ann at test_app"


def test_app_context_inside_a_request_keeps_the_request(app: Flask) -> None:
    """As in Flask: pushing an app context in a request leaves ``request`` visible."""

    def run(module: Any) -> tuple[Any, ...]:
        flask_app = module.Flask("flask_or_carafe")
        with flask_app.test_request_context("/visible"):
            module.g.value = "request's g"
            with flask_app.app_context():
                return (module.request.path, "value" in module.g)

    assert run(carafe) == run(flask) == ("/visible", False)

"""Class-based views (``carafe.views``: View, MethodView, as_view) and
``Flask.ensure_sync`` / ``Flask.async_to_sync``, through the public API.

Most behaviour is checked twice: by explicit asserts on carafe, and by building the
same app with Flask 3.1 (when installed) and comparing status, body and ``Allow``
methods (as a set: Flask's order is a set's).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import importlib.util
import inspect
from collections.abc import Callable
from typing import Any

import pytest

import carafe
from carafe import Flask, url_for
from carafe.views import http_method_funcs

Build = Callable[[Any, Any], Any]
Calls = list[tuple[str, str]]
Outcome = tuple[int, bytes, "frozenset[str] | None"]


def _make(name: str, build: Build) -> Any:
    """The app ``build(framework, framework.views)`` makes with carafe or flask."""
    return build(importlib.import_module(name), importlib.import_module(f"{name}.views"))


def _outcomes(name: str, build: Build, calls: Calls) -> list[Outcome]:
    client = _make(name, build).test_client()
    outcomes: list[Outcome] = []
    for method, path in calls:
        response = client.open(path, method=method)
        allow = response.headers.get("Allow")
        names = None if allow is None else frozenset(m.strip() for m in allow.split(","))
        outcomes.append((response.status_code, response.data, names))
    return outcomes


def _check(build: Build, calls: Calls) -> list[Outcome]:
    """Run ``calls`` on the carafe app ``build`` makes; Flask's must answer the same."""
    got = _outcomes("carafe", build, calls)
    if importlib.util.find_spec("flask") is not None:
        assert _outcomes("flask", build, calls) == got
    return got


def _texts(got: list[Outcome]) -> list[str]:
    """Each outcome as ``"status body"``, an error's as its status alone."""
    return [f"{s} {b.decode()}".rstrip() if s < 400 else str(s) for s, b, _ in got]


def _handler(text: str) -> Callable[..., str]:
    """A MethodView handler answering ``text`` and the view arguments."""

    def handler(self: Any, **kwargs: Any) -> str:
        return " ".join([text, *(f"{k}={v!r}" for k, v in kwargs.items())])

    return handler


# ---------------------------------------------------------------------------
# View


def _wrap(tag: str) -> Callable[[Any], Any]:
    """A decorator wrapping the view's text in ``tag(text:name)``."""

    def decorator(f: Any) -> Any:
        @functools.wraps(f)
        def wrapper(**kwargs: Any) -> str:
            return f"{tag}({f(**kwargs)}:{f.__name__})"

        return wrapper

    return decorator


def _views(fw: Any, views: Any) -> Any:
    class Greeter(views.View):
        def __init__(self, greeting: str, punct: str = ".") -> None:
            self.greeting, self.punct = greeting, punct

        def dispatch_request(self, name: str) -> str:
            return f"{self.greeting}, {name}{self.punct}"

    class Page(views.View):
        decorators = [_wrap("inner"), _wrap("outer")]

        def dispatch_request(self, n: int) -> str:
            return f"page {n}"

    class Echo(views.View):
        methods = ["GET", "POST"]

        def dispatch_request(self) -> str:
            return fw.request.method

    class NoOptions(Echo):
        methods = None
        provide_automatic_options = False

    class OwnOptions(NoOptions):
        methods = ["GET", "OPTIONS"]

    class Empty(views.View):
        pass

    class Unfinished(views.MethodView):
        methods = ["GET", "PUT"]
        get = _handler("got")

    app = fw.Flask("views")
    app.add_url_rule("/hi/<name>", view_func=Greeter.as_view("greet", "Hello", punct="?"))
    app.add_url_rule("/page/<int:n>", view_func=Page.as_view("page"))
    for cls in (Echo, NoOptions, OwnOptions, Empty, Unfinished):
        app.add_url_rule(f"/{cls.__name__}", view_func=cls.as_view(cls.__name__))
    return app


def test_view_args_constructor_args_and_decorators() -> None:
    calls = [("GET", "/hi/ann"), ("GET", "/hi/bob"), ("POST", "/hi/ann"), ("GET", "/page/3")]
    got = _check(_views, calls)
    assert _texts(got)[:3] == ["200 Hello, ann?", "200 Hello, bob?", "405"]
    assert got[2][2] == {"GET", "HEAD", "OPTIONS"}
    # The first decorator in the list is the innermost; each sees the name "page".
    assert _texts(got)[3] == "200 outer(inner(page 3:page):page)"
    app = _make("carafe", _views)
    assert [r.endpoint for r in app.url_map.iter_rules() if r.rule == "/hi/<name>"] == ["greet"]
    assert app.view_functions["greet"].view_class.__name__ == "Greeter"
    assert app.view_functions["page"].__name__ == "page"


def test_methods_and_automatic_options() -> None:
    calls = [(m, "/Echo") for m in ("GET", "POST", "PUT", "OPTIONS")]
    calls += [("GET", "/NoOptions"), ("OPTIONS", "/NoOptions")]
    calls += [("OPTIONS", "/OwnOptions"), ("GET", "/OwnOptions")]
    got = _check(_views, calls)
    assert _texts(got[:4]) == ["200 GET", "200 POST", "405", "200"]
    assert _texts(got[4:]) == ["200 GET", "405", "200 OPTIONS", "200 GET"]
    assert got[2][2] == got[3][2] == {"GET", "POST", "HEAD", "OPTIONS"}
    assert got[5][2] == {"GET", "HEAD"}
    assert got[6][2] is None  # the class's own OPTIONS answer


@pytest.mark.parametrize("name", ["carafe", "flask"])
def test_as_view_attributes(name: str) -> None:
    views = pytest.importorskip(f"{name}.views")

    class Plain(views.View):
        """Plain doc."""

    class Custom(views.View):
        methods = ["GET", "POST"]
        provide_automatic_options = False

    plain, custom = Plain.as_view("plain"), Custom.as_view("custom")
    assert plain.view_class is Plain and custom.view_class is Custom
    assert (plain.__name__, custom.__name__) == ("plain", "custom")
    assert plain.__doc__ == "Plain doc." and custom.__doc__ is None
    assert plain.__module__ == custom.__module__ == __name__
    assert plain.methods is None and plain.provide_automatic_options is None
    assert custom.methods == ["GET", "POST"] and custom.provide_automatic_options is False


def _counters(fw: Any, views: Any) -> Any:
    inits: list[str] = []

    class Fresh(views.View):
        def __init__(self, label: str = "") -> None:
            inits.append(type(self).__name__)
            self.label, self.hits = label, 0

        def dispatch_request(self) -> str:
            self.hits += 1
            return f"{self.label}{self.hits} of {inits.count(type(self).__name__)}"

    class Shared(Fresh):
        init_every_request = False

    class Other(views.View):
        def dispatch_request(self) -> str:
            return "other"

    app = fw.Flask("views")
    app.add_url_rule("/fresh", view_func=Fresh.as_view("fresh", "f"))
    app.add_url_rule("/shared", view_func=Shared.as_view("shared", label="s"))
    for cls, name in ((Fresh, "swapped"), (Shared, "kept")):
        view = cls.as_view(name)
        view.view_class = Other
        app.add_url_rule(f"/{name}", view_func=view)
    return app


def test_init_every_request_and_view_class() -> None:
    calls = [("GET", "/fresh")] * 3 + [("GET", "/shared")] * 3
    calls += [("GET", "/swapped"), ("GET", "/kept"), ("GET", "/kept")]
    got = _texts(_check(_counters, calls))
    # A new instance per request: hits always 1, one more __init__ each time.
    assert got[:3] == ["200 f1 of 1", "200 f1 of 2", "200 f1 of 3"]
    # One instance made by each as_view (two here): the counter on self keeps counting.
    assert got[3:6] == ["200 s1 of 2", "200 s2 of 2", "200 s3 of 2"]
    # The replaced class is what a per-request view makes; a shared instance stays.
    assert got[6:] == ["200 other", "200 1 of 2", "200 2 of 2"]


def test_missing_dispatch_request_and_handler() -> None:
    app = _make("carafe", _views)
    app.testing = True  # the error propagates to the test
    with pytest.raises(NotImplementedError):
        app.test_client().get("/Empty")
    with pytest.raises(AssertionError, match=r"^Unimplemented method 'PUT'$"):
        app.test_client().put("/Unfinished")
    calls = [("GET", "/Empty"), ("GET", "/Unfinished"), ("PUT", "/Unfinished")]
    assert _texts(_check(_views, calls)) == ["500", "200 got", "500"]  # not TESTING: a 500


# ---------------------------------------------------------------------------
# MethodView


def _method_views(fw: Any, views: Any) -> Any:
    class Resource(views.MethodView):
        get, post, put, patch = map(_handler, ["get", "post", "put", "patch"])

        def delete(self, id: int) -> tuple[str, int]:
            return "", 204

    class Readable(views.MethodView):
        def get(self) -> Any:
            return "hello", {"X-Kind": "readable"}

    class Poster:  # not a view: a mixin's handlers count too
        post = _handler("posted")

    class Deletable(Poster, Readable):
        delete = _handler("deleted")

    class GetOnly(Deletable):
        methods = ["GET"]

    class DavBase(views.MethodView):
        methods = ["GET", "PROPFIND"]
        get, propfind = _handler("dav get"), _handler("propfind")

    class Dav(DavBase):  # the base's methods, and those of the handlers it adds
        delete = _handler("dav delete")

    app = fw.Flask("views")
    app.add_url_rule("/r/<int:id>", view_func=Resource.as_view("resource"))
    for cls in (Readable, Deletable, GetOnly, Dav):
        app.add_url_rule(f"/{cls.__name__}", view_func=cls.as_view(cls.__name__))
    return app


def test_method_view_methods() -> None:
    views = _make("carafe", _method_views).view_functions
    assert views["resource"].methods == {"GET", "POST", "PUT", "DELETE", "PATCH"}
    assert views["Readable"].methods == views["Readable"].view_class.methods == {"GET"}
    assert views["Deletable"].methods == {"GET", "POST", "DELETE"}
    assert views["GetOnly"].methods == ["GET"]
    assert views["Dav"].methods == {"GET", "PROPFIND", "DELETE"}
    assert " ".join(sorted(http_method_funcs)) == "delete get head options patch post put trace"


def test_method_view_dispatch() -> None:
    calls = [(m, "/r/7") for m in ("GET", "POST", "PUT", "DELETE", "PATCH", "TRACE")]
    calls += [(m, "/Readable") for m in ("GET", "HEAD", "POST")]
    calls += [(m, "/Deletable") for m in ("POST", "DELETE")]
    calls += [(m, "/GetOnly") for m in ("GET", "DELETE")]
    calls += [(m, "/Dav") for m in ("PROPFIND", "DELETE", "POST")]
    got = _check(_method_views, calls)
    assert _texts(got[:3]) == ["200 get id=7", "200 post id=7", "200 put id=7"]
    assert _texts(got[3:6]) == ["204", "200 patch id=7", "405"]
    assert got[5][2] == {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}
    assert _texts(got[6:9]) == ["200 hello", "200", "405"]  # HEAD falls back to get
    assert _texts(got[9:13]) == ["200 posted", "200 deleted", "200 hello", "405"]
    assert _texts(got[13:]) == ["200 propfind", "200 dav delete", "405"]


def test_method_view_head_has_get_headers() -> None:
    client = _make("carafe", _method_views).test_client()
    get, head = client.get("/Readable"), client.head("/Readable")
    assert (head.status_code, head.data, head.headers["X-Kind"]) == (200, b"", "readable")
    assert dict(head.headers) == dict(get.headers)
    assert head.headers["Content-Length"] == "5"


def _rest(fw: Any, views: Any) -> Any:
    class UserAPI(views.MethodView):
        def __init__(self, users: dict[int, str]) -> None:
            self.users = users

        def get(self, id: int | None = None) -> str:
            if id is None:
                return f"{','.join(self.users.values())} at {fw.url_for('users')}"
            return f"{self.users[id]} at {fw.url_for('user', id=id)}"

        def post(self) -> tuple[str, int]:
            self.users[max(self.users) + 1] = fw.request.args["name"]
            return fw.url_for("user", id=max(self.users)), 201

        def put(self, id: int) -> str:
            self.users[id] = fw.request.args["name"]
            return self.users[id]

        def delete(self, id: int) -> tuple[str, int]:
            del self.users[id]
            return "", 204

    users = {1: "ann"}
    app = fw.Flask("views")
    list_view = UserAPI.as_view("users", users)
    app.add_url_rule("/users/", view_func=list_view, methods=["GET", "POST"])
    item_view = UserAPI.as_view("user", users)
    app.add_url_rule("/users/<int:id>", view_func=item_view, methods=["GET", "PUT", "DELETE"])
    return app


def test_rest_pattern() -> None:
    calls = [("POST", "/users/?name=bob"), ("GET", "/users/"), ("GET", "/users/2")]
    calls += [("PUT", "/users/2?name=bo"), ("DELETE", "/users/1"), ("GET", "/users/")]
    calls += [("GET", "/users/x"), ("DELETE", "/users/"), ("POST", "/users/2")]
    got = _check(_rest, calls)
    assert _texts(got[:3]) == ["201 /users/2", "200 ann,bob at /users/", "200 bob at /users/2"]
    assert _texts(got[3:]) == ["200 bo", "204", "200 bo at /users/", "404", "405", "405"]
    assert got[7][2] == {"GET", "HEAD", "POST", "OPTIONS"}
    assert got[8][2] == {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}


# ---------------------------------------------------------------------------
# Async views


def _async_views(fw: Any, views: Any) -> Any:
    class AsyncView(views.View):
        methods = ["GET", "POST"]

        async def dispatch_request(self, n: int) -> str:
            await asyncio.sleep(0)
            return f"async {fw.request.method} {n}"

    class AsyncHandlers(views.MethodView):
        async def get(self, n: int) -> Any:
            await asyncio.sleep(0)
            return f"get {n}", {"X-Kind": "async"}

        async def post(self, n: int) -> str:
            await asyncio.sleep(0)
            return f"post {n} {fw.request.get_data(as_text=True)}"

    class Mixed(views.MethodView):
        post = _handler("plain post")

        async def get(self) -> str:
            await asyncio.sleep(0)
            return "async get"

    class Plain(views.MethodView):
        get = _handler("plain get")

    class Decorated(views.View):
        decorators = [_wrap("deco")]

        async def dispatch_request(self) -> str:
            await asyncio.sleep(0)
            return "view"

    class DecoratedGet(views.MethodView):
        decorators = [_wrap("deco")]

        async def get(self) -> str:
            return "handler"

    class DecoratedMixed(DecoratedGet):
        post = _handler("plain")

    app = fw.Flask("views")
    app.add_url_rule("/av/<int:n>", view_func=AsyncView.as_view("async_view"))
    app.add_url_rule("/ah/<int:n>", view_func=AsyncHandlers.as_view("async_handlers"))
    app.add_url_rule("/mixed", view_func=Mixed.as_view("mixed"))
    app.add_url_rule("/plain", view_func=Plain.as_view("plain"))
    app.add_url_rule("/deco-view", view_func=Decorated.as_view("view"))
    app.add_url_rule("/deco-handler", view_func=DecoratedGet.as_view("handler"))
    app.add_url_rule("/deco-mixed", view_func=DecoratedMixed.as_view("mixed_handler"))
    return app


def test_async_views_dispatch() -> None:
    calls = [("GET", "/av/1"), ("POST", "/av/2"), ("GET", "/ah/3"), ("POST", "/ah/4")]
    calls += [("HEAD", "/ah/5"), ("GET", "/mixed"), ("HEAD", "/mixed"), ("POST", "/mixed")]
    calls += [("GET", "/plain"), ("PUT", "/ah/7")]
    got = _check(_async_views, calls)
    assert _texts(got[:3]) == ["200 async GET 1", "200 async POST 2", "200 get 3"]
    assert _texts(got[3:5]) == ["200 post 4", "200"]
    assert _texts(got[5:]) == ["200 async get", "200", "200 plain post", "200 plain get", "405"]
    assert got[-1][2] == {"GET", "HEAD", "POST", "OPTIONS"}
    client = _make("carafe", _async_views).test_client()
    assert client.post("/ah/1", data="body").data == b"post 1 body"
    assert client.head("/ah/1").headers["X-Kind"] == "async"


def test_async_endpoints_in_plan() -> None:
    async_endpoints = _make("carafe", _async_views).make_plan().async_endpoints
    assert {"async_view", "async_handlers"} <= async_endpoints
    assert not {"mixed", "plain"} & async_endpoints


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited")
@pytest.mark.parametrize(
    "name",
    [
        "carafe",
        "flask",
    ],
)
def test_plain_decorator_sees_async_result(name: str) -> None:
    pytest.importorskip(name)
    calls = [("GET", "/deco-view"), ("GET", "/deco-handler"), ("GET", "/deco-mixed")]
    got = _texts(_outcomes(name, _async_views, calls))
    assert got[:2] == ["200 deco(view:view)", "200 deco(handler:handler)"]
    assert got[2] == "200 deco(handler:mixed_handler)"  # the async get of a mixed class


# ---------------------------------------------------------------------------
# Blueprints


def _blueprint(fw: Any, views: Any) -> Any:
    class Here(views.View):
        def dispatch_request(self, n: int) -> str:
            return f"{fw.request.endpoint} {fw.url_for('.x', n=n + 1)}"

    class Items(views.MethodView):
        def get(self) -> str:
            return fw.url_for("bp.items")

        async def post(self) -> tuple[str, int]:
            return "created", 201

    bp = fw.Blueprint("bp", __name__, url_prefix="/bp")
    bp.add_url_rule("/x/<int:n>", view_func=Here.as_view("x"))
    bp.add_url_rule("/items", view_func=Items.as_view("items"))
    app = fw.Flask("views")
    app.register_blueprint(bp)
    return app


def test_blueprint_views() -> None:
    calls = [("GET", "/bp/x/1"), ("GET", "/bp/items"), ("POST", "/bp/items")]
    got = _check(_blueprint, [*calls, ("DELETE", "/bp/items")])
    assert _texts(got) == ["200 bp.x /bp/x/2", "200 /bp/items", "201 created", "405"]
    assert got[3][2] == {"GET", "HEAD", "POST", "OPTIONS"}
    app = _make("carafe", _blueprint)
    assert app.view_functions["bp.x"].__name__ == "x"
    assert app.view_functions["bp.items"].view_class.__name__ == "Items"
    with app.test_request_context():
        assert url_for("bp.x", n=5) == "/bp/x/5"
        assert url_for("bp.items", _external=True) == "http://localhost/bp/items"


# ---------------------------------------------------------------------------
# ensure_sync and async_to_sync


async def _add(a: int, b: int = 0) -> int:
    await asyncio.sleep(0)
    return a + b


async def _fail(message: str) -> None:
    await asyncio.sleep(0)
    raise ValueError(message)


def test_ensure_sync_leaves_plain_callables(app: Flask) -> None:
    def plain() -> str:
        return "plain"

    for func in (plain, app.make_response, Flask, len, functools.partial(plain)):
        assert app.ensure_sync(func) is func


def test_ensure_sync_async_in_views(app: Flask, client: Any) -> None:
    @app.route("/add/<int:a>")
    def add(a: int) -> str:
        result = app.ensure_sync(_add)(a, b=carafe.request.args.get("b", 0, type=int))
        return f"{result} {type(result).__name__}"

    @app.route("/fail")
    def fail() -> str:
        app.ensure_sync(_fail)("from view")
        return "unreachable"

    @app.errorhandler(ValueError)
    def handle(error: ValueError) -> tuple[str, int]:
        return f"handled {error}", 400

    assert client.get("/add/2?b=3").data == b"5 int"
    assert client.get("/add/2").data == b"2 int"
    response = client.get("/fail")
    assert (response.status_code, response.data) == (400, b"handled from view")


@pytest.mark.parametrize("name", ["carafe", "flask"])
def test_ensure_sync_outside_requests(name: str) -> None:
    app = pytest.importorskip(name).Flask("views")
    for convert in (app.ensure_sync, app.async_to_sync):
        run = convert(_add)
        assert not inspect.iscoroutinefunction(run)
        assert run(1, 2) == 3 and run(4, b=5) == 9
        with app.app_context():
            assert run(10) == 10
            assert convert(functools.partial(_add, 7))(b=1) == 8
        with app.test_request_context("/"):
            assert run(1, b=1) == 2
        with pytest.raises(ValueError, match="outside"):
            convert(_fail)("outside")
        with app.app_context(), pytest.raises(ValueError, match="app ctx"):
            convert(_fail)("app ctx")

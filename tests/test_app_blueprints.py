"""Blueprints through the public API, with Flask 3.1 as the reference.

Covers construction and registration errors (Flask's messages), URL prefixes,
endpoints and ``url_defaults``, one blueprint under two names, ``record``/
``record_once``, ``app.blueprints``, nested blueprints, ``request.blueprint(s)``, the
order of URL value preprocessors and request hooks across scopes, error handler
precedence (routing errors go to the app's), ``url_for`` with relative endpoints,
``url_defaults`` per scope and the ``lang_code`` pattern, async views and hooks, and
``Blueprint.endpoint``. Most tests build the same app with Flask and Carafe (the
module passed in) and compare the answers and logs; each runs over WSGI and ASGI.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

import carafe
from carafe import Blueprint, Flask, abort, g, request, url_for
from carafe import exceptions as carafe_exceptions


@pytest.fixture
def flask() -> ModuleType:
    """Flask, the reference (a development dependency)."""
    return pytest.importorskip("flask")


def new_app(module: ModuleType) -> Any:
    """A testing app of ``module`` (``flask`` or ``carafe``)."""
    app = module.Flask(__name__)
    app.config["TESTING"] = True
    return app


def exceptions_of(module: ModuleType) -> Any:
    """The module of HTTP exceptions that goes with ``module``."""
    return (
        carafe_exceptions if module is carafe else importlib.import_module("werkzeug.exceptions")
    )


def rules(app: Any) -> list[tuple[str, str]]:
    """(rule, endpoint) of every rule but Flask's static one."""
    return sorted(
        (rule.rule, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    )


def answer(app: Any, path: str, method: str = "GET") -> tuple[int, str]:
    response = app.test_client().open(path, method=method)
    return response.status_code, response.get_data(as_text=True)


def both(flask: ModuleType, build: Callable[[ModuleType], Any]) -> Any:
    """``build(carafe)``, after checking that ``build(flask)`` gives the same."""
    expected, got = build(flask), build(carafe)
    assert got == expected
    return got


def error_message(call: Callable[[], object], error: type[Exception] = ValueError) -> str:
    with pytest.raises(error) as info:
        call()
    return str(info.value)


def view() -> str:
    return "view"


# ---------------------------------------------------------------------------
# Construction errors


def dotted_view() -> str:
    return "dotted"


dotted_view.__name__ = "a.b"

DOT = "may not contain a dot '.' character."
CONSTRUCTION_ERRORS: dict[str, tuple[Callable[[Any], object], str]] = {
    "empty name": (lambda m: m.Blueprint("", __name__), "'name' may not be empty."),
    "dotted name": (lambda m: m.Blueprint("a.b", __name__), f"'name' {DOT}"),
    "dotted endpoint": (
        lambda m: m.Blueprint("bp", __name__).add_url_rule("/", "a.b", view),
        f"'endpoint' {DOT}",
    ),
    "dotted route endpoint": (
        lambda m: m.Blueprint("bp", __name__).route("/", endpoint="a.b")(view),
        f"'endpoint' {DOT}",
    ),
    "dotted view name": (
        lambda m: m.Blueprint("bp", __name__).add_url_rule("/", view_func=dotted_view),
        f"'view_func' name {DOT}",
    ),
    "on itself": (
        lambda m: (bp := m.Blueprint("bp", __name__)).register_blueprint(bp),
        "Cannot register a blueprint on itself",
    ),
}


@pytest.mark.parametrize("case", CONSTRUCTION_ERRORS)
def test_construction_errors(flask: ModuleType, case: str) -> None:
    call, message = CONSTRUCTION_ERRORS[case]
    assert both(flask, lambda module: error_message(lambda: call(module))) == message


# ---------------------------------------------------------------------------
# Registration


@pytest.mark.parametrize(
    ("prefix", "rule", "option", "expected"),
    [
        (None, "/x", None, "/x"),
        ("/p", "/x", None, "/p/x"),
        ("/p/", "/x", None, "/p/x"),
        ("/p/", "x", None, "/p/x"),
        ("/p", "", None, "/p"),
        ("/p/", "", None, "/p/"),
        ("/p", "/x", "/q/", "/q/x"),
        (None, "", "/q", "/q"),
        ("/p", "/x", "", "/x"),
    ],
)
def test_url_prefix_joining(
    flask: ModuleType, prefix: str | None, rule: str, option: str | None, expected: str
) -> None:
    def build(module: ModuleType) -> tuple[Any, ...]:
        app = new_app(module)
        bp = module.Blueprint("bp", __name__, url_prefix=prefix)
        bp.add_url_rule(rule, "view", lambda: module.request.endpoint)
        app.register_blueprint(bp, **({} if option is None else {"url_prefix": option}))
        return rules(app), answer(app, expected)

    assert both(flask, build) == ([(expected, "bp.view")], (200, "bp.view"))


def test_url_defaults_and_rule_defaults_reach_views(flask: ModuleType) -> None:
    def build(module: ModuleType) -> list[tuple[int, str]]:
        app = new_app(module)
        bp = module.Blueprint(
            "bp", __name__, url_prefix="/bp", url_defaults={"a": "bp", "b": "bp"}
        )

        def show(**kwargs: str) -> str:
            return ",".join(f"{key}={value}" for key, value in sorted(kwargs.items()))

        bp.add_url_rule("/", "plain", show)
        bp.add_url_rule("/rule", "rule", show, defaults={"b": "rule", "c": "rule"})
        bp.add_url_rule("/<d>", "arg", show)
        child = module.Blueprint("child", __name__, url_prefix="/c")
        child.add_url_rule("/", "plain", show)
        bp.register_blueprint(child)
        app.register_blueprint(bp, url_defaults={"b": "options"})
        app.register_blueprint(bp, name="again", url_prefix="/again")
        paths = ("/bp/", "/bp/rule", "/bp/x", "/again/", "/bp/c/")
        return [answer(app, path) for path in paths]

    assert both(flask, build) == [
        (200, "a=bp,b=options"),
        (200, "a=bp,b=rule,c=rule"),
        (200, "a=bp,b=options,d=x"),
        (200, "a=bp,b=bp"),
        (200, ""),  # A parent's url_defaults do not reach the blueprints nested in it.
    ]


def test_one_blueprint_under_two_names(app: Flask, client: Any) -> None:
    bp = Blueprint("bp", __name__)

    @bp.route("/")
    def show() -> str:
        return f"{request.blueprint} {request.endpoint} {url_for('.show')}"

    app.register_blueprint(bp, name="first", url_prefix="/one")
    app.register_blueprint(bp, name="second", url_prefix="/two")
    assert rules(app) == [("/one/", "first.show"), ("/two/", "second.show")]
    assert app.blueprints == {"first": bp, "second": bp}
    assert client.get("/one/").data == b"first first.show /one/"
    assert client.get("/two/").data == b"second second.show /two/"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("this", "The name 'bp' is already registered for this blueprint."),
        ("different", "The name 'bp' is already registered for a different blueprint."),
        ("renamed", "The name 'x' is already registered for a different blueprint."),
        ("nested", "The name 'child' is already registered for this blueprint 'parent.child'."),
    ],
)
def test_registering_a_name_twice(flask: ModuleType, case: str, message: str) -> None:
    def build(module: ModuleType) -> str:
        app = new_app(module)
        bp, other = module.Blueprint("bp", __name__), module.Blueprint("bp", __name__)
        if case == "nested":
            parent, child = (
                module.Blueprint("parent", __name__),
                module.Blueprint("child", __name__),
            )
            parent.register_blueprint(child)
            parent.register_blueprint(child)
            return error_message(lambda: app.register_blueprint(parent))
        if case == "renamed":
            app.register_blueprint(bp, name="x")
            return error_message(lambda: app.register_blueprint(other, name="x"))
        app.register_blueprint(bp)
        return error_message(lambda: app.register_blueprint(bp if case == "this" else other))

    assert both(flask, build) == f"{message} Use 'name=' to provide a unique name."


def test_dotted_registration_name_nests_as_in_flask(app: Flask, client: Any) -> None:
    parent, child = Blueprint("parent", __name__), Blueprint("child", __name__)
    parent.before_request(lambda: setattr(g, "hit", True))
    child.add_url_rule("/", "index", lambda: f"{request.blueprints} {g.get('hit')}")
    app.register_blueprint(parent)
    app.register_blueprint(child, name="parent.fake")
    assert list(app.blueprints) == ["parent", "parent.fake"]
    assert client.get("/").data == b"['parent.fake', 'parent'] True"


def _setup_calls() -> list[Any]:
    names = [
        *("route", "get", "add_url_rule", "endpoint", "record", "record_once"),
        *("before_request", "after_request", "teardown_request", "register_blueprint"),
        *("errorhandler", "register_error_handler", "url_value_preprocessor", "url_defaults"),
        *("before_app_request", "after_app_request", "teardown_app_request"),
        *("app_url_defaults", "app_url_value_preprocessor", "app_context_processor"),
        "app_errorhandler",
    ]
    return names


@pytest.mark.parametrize("method", _setup_calls())
def test_setup_method_after_registration(flask: ModuleType, method: str) -> None:
    def build(module: ModuleType) -> str:
        bp = module.Blueprint("bp", __name__)
        bp.add_url_rule("/", "view", view)
        module.Flask(__name__).register_blueprint(bp)
        calls: dict[str, Callable[[], object]] = {
            "route": lambda: bp.route("/x")(view),
            "get": lambda: bp.get("/x")(view),
            "add_url_rule": lambda: bp.add_url_rule("/x", "x", view),
            "endpoint": lambda: bp.endpoint("x")(view),
            "register_error_handler": lambda: bp.register_error_handler(500, view),
            "errorhandler": lambda: bp.errorhandler(500)(view),
            "app_errorhandler": lambda: bp.app_errorhandler(500),
            "register_blueprint": lambda: bp.register_blueprint(module.Blueprint("c", __name__)),
        }
        call = calls.get(method, lambda: getattr(bp, method)(view))
        return error_message(call, AssertionError)

    assert both(flask, build) == (
        f"The setup method '{method}' can no longer be called on the blueprint 'bp'. It has"
        " already been registered at least once, any changes will not be applied"
        " consistently.\nMake sure all imports, decorators, functions, etc. needed to set up"
        " the blueprint are done before registering it."
    )


def test_register_blueprint_after_the_first_request(flask: ModuleType) -> None:
    def build(module: ModuleType) -> str:
        app = new_app(module)
        app.add_url_rule("/", "index", view)
        app.test_client().get("/")
        late = module.Blueprint("late", __name__)
        return error_message(lambda: app.register_blueprint(late), AssertionError)

    assert both(flask, build).startswith(
        "The setup method 'register_blueprint' can no longer be called on the application."
    )


def test_blueprints_registry_and_iteration_order(flask: ModuleType) -> None:
    def build(module: ModuleType) -> tuple[list[str], ...]:
        app = new_app(module)
        made = {name: module.Blueprint(name, __name__) for name in ("b", "parent", "child", "a")}
        made["parent"].register_blueprint(made["child"])
        for name in ("b", "parent", "a"):
            app.register_blueprint(made[name])
        assert all(app.blueprints[key] is made[key.rpartition(".")[2]] for key in app.blueprints)
        return list(app.blueprints), [bp.name for bp in app.iter_blueprints()]

    assert both(flask, build) == (
        ["b", "parent", "parent.child", "a"],
        ["b", "parent", "child", "a"],
    )


def test_record_and_record_once(flask: ModuleType) -> None:
    def build(module: ModuleType) -> tuple[list[Any], list[tuple[str, str]], int]:
        app, second_app = new_app(module), new_app(module)
        bp = module.Blueprint("bp", __name__, url_prefix="/bp")
        seen: list[Any] = []

        def record(state: Any) -> None:
            assert state.blueprint is bp
            apps = [state.app is app, state.app is second_app]
            seen.append(("record", apps, state.name, state.url_prefix, state.first_registration))
            seen.append(dict(state.options))
            state.add_url_rule("/extra", "extra", view)

        bp.record(record)
        bp.record_once(lambda state: seen.append(("once", state.name, state.url_prefix)))
        bp.before_app_request(lambda: seen.append("before_app_request"))
        app.register_blueprint(bp, extra=1)
        app.register_blueprint(bp, name="again", url_prefix="/again")
        second_app.register_blueprint(bp, url_prefix="/2")
        app.test_client().get("/bp/extra")
        return seen, rules(app), len(second_app.before_request_funcs[None])

    assert both(flask, build) == (
        [
            ("record", [True, False], "bp", "/bp", True),
            {"extra": 1},
            ("once", "bp", "/bp"),
            ("record", [True, False], "again", "/again", False),
            {"name": "again", "url_prefix": "/again"},
            ("record", [False, True], "bp", "/2", True),
            {"url_prefix": "/2"},
            ("once", "bp", "/2"),
            "before_app_request",
        ],
        [("/again/extra", "again.extra"), ("/bp/extra", "bp.extra")],
        1,
    )


# ---------------------------------------------------------------------------
# Nested blueprints, request.blueprint(s), relative url_for


def nested_app(module: ModuleType) -> Any:
    """grand(/g) > parent(/p) > child(/c) and child again as 'moved' (/m); parent
    also registered on the app as 'alias' (/a); each with a ``show`` view at '/'."""
    app = new_app(module)
    grand = module.Blueprint("grand", __name__, url_prefix="/g")
    parent = module.Blueprint("parent", __name__, url_prefix="/p")
    child = module.Blueprint("child", __name__, url_prefix="/c")
    req = module.request

    def show() -> dict[str, Any]:
        here = module.url_for(".show")
        full = module.url_for("grand.parent.child.show")
        return {
            "bp": req.blueprint,
            "bps": req.blueprints,
            "ep": req.endpoint,
            "urls": [here, full],
        }

    for scaffold in (app, grand, parent, child):
        scaffold.add_url_rule("/", "show", show)
    parent.register_blueprint(child)
    parent.register_blueprint(child, name="moved", url_prefix="/m")
    grand.register_blueprint(parent)
    app.register_blueprint(grand)
    app.register_blueprint(parent, name="alias", url_prefix="/a")
    return app


#: Path -> request.blueprints there (innermost first).
NESTED = {
    "/": [],
    "/g/": ["grand"],
    "/g/p/": ["grand.parent", "grand"],
    "/g/p/c/": ["grand.parent.child", "grand.parent", "grand"],
    "/g/p/m/": ["grand.parent.moved", "grand.parent", "grand"],
    "/a/": ["alias"],
    "/a/c/": ["alias.child", "alias"],
    "/a/m/": ["alias.moved", "alias"],
}


def test_nested_rules(flask: ModuleType) -> None:
    assert both(flask, lambda module: rules(nested_app(module))) == sorted(
        (path, f"{names[0]}.show" if names else "show") for path, names in NESTED.items()
    )


@pytest.mark.parametrize("path", NESTED)
def test_nested_request_blueprints_and_relative_url_for(flask: ModuleType, path: str) -> None:
    def build(module: ModuleType) -> Any:
        response = nested_app(module).test_client().get(path)
        return response.status_code, response.json

    names = NESTED[path]
    name = names[0] if names else None
    assert both(flask, build) == (
        200,
        {
            "bp": name,
            "bps": names,
            "ep": "show" if name is None else f"{name}.show",
            "urls": [path, "/g/p/c/"],
        },
    )


# ---------------------------------------------------------------------------
# Request hooks


def hooks_app(module: ModuleType) -> tuple[Any, list[str]]:
    """app > parent(/parent) > child(/child), and ``other`` (registered twice: its
    ``*_app_*`` hooks once): each logs its URL value preprocessor and hooks."""
    log: list[str] = []
    app = new_app(module)
    parent = module.Blueprint("parent", __name__, url_prefix="/parent")
    child = module.Blueprint("child", __name__, url_prefix="/child")
    other = module.Blueprint("other", __name__, url_prefix="/other")

    def logger(tag: str, returns: Callable[[Any], Any] = lambda _: None) -> Callable[..., Any]:
        def hook(*args: Any) -> Any:
            log.append(tag)
            return returns(args[0] if args else None)

        return hook

    def stop(_: object) -> str | None:
        return "stopped" if module.request.args.get("stop") else None

    for name, scaffold in (("app", app), ("parent", parent), ("child", child), ("other", other)):
        scaffold.url_value_preprocessor(logger(f"{name}.preprocess"))
        for n in (1, 2):
            returns = stop if (name, n) == ("parent", 2) else (lambda _: None)
            scaffold.before_request(logger(f"{name}.before{n}", returns))
            scaffold.after_request(logger(f"{name}.after{n}", lambda response: response))
            scaffold.teardown_request(logger(f"{name}.teardown{n}"))
        scaffold.add_url_rule("/", "index", logger(f"{name}.view", lambda _: "ok"))
    other.app_url_value_preprocessor(logger("other.app_preprocess"))
    other.before_app_request(logger("other.app_before"))
    other.after_app_request(logger("other.app_after", lambda response: response))
    other.teardown_app_request(logger("other.app_teardown"))
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    app.register_blueprint(other)
    app.register_blueprint(other, name="again", url_prefix="/again")
    return app, log


def hook_logs(module: ModuleType) -> dict[str, tuple[str, list[str]]]:
    app, log = hooks_app(module)
    logs = {}
    for path in ("/", "/parent/", "/parent/child/", "/parent/child/?stop=1", "/other/", "/again/"):
        log.clear()
        logs[path] = (app.test_client().get(path).get_data(as_text=True), list(log))
    return logs


def test_hook_order_matches_flask(flask: ModuleType) -> None:
    logs = both(flask, hook_logs)
    app_before = ["app.before1", "app.before2", "other.app_before"]
    app_after = ["other.app_after", "app.after2", "app.after1"]
    app_teardown = ["other.app_teardown", "app.teardown2", "app.teardown1"]
    preprocess = ["app.preprocess", "other.app_preprocess"]
    assert logs["/"] == ("ok", [*preprocess, *app_before, "app.view", *app_after, *app_teardown])
    inner_after = ["child.after2", "child.after1", "parent.after2", "parent.after1"]
    inner_teardown = [tag.replace("after", "teardown") for tag in inner_after]
    assert logs["/parent/child/"] == (
        "ok",
        [
            *preprocess,
            "parent.preprocess",
            "child.preprocess",
            *app_before,
            "parent.before1",
            "parent.before2",
            "child.before1",
            "child.before2",
            "child.view",
            *inner_after,
            *app_after,
            *inner_teardown,
            *app_teardown,
        ],
    )
    # A before_request hook's value is the response: no later hook, no view.
    stopped = logs["/parent/child/?stop=1"][1]
    assert logs["/parent/child/?stop=1"][0] == "stopped"
    assert stopped[stopped.index("parent.before2") + 1 :] == [
        *inner_after,
        *app_after,
        *inner_teardown,
        *app_teardown,
    ]
    for path in ("/other/", "/again/"):
        assert not [tag for tag in logs[path][1] if tag.startswith(("parent", "child"))]
        assert logs[path][1].count("other.app_before") == 1
        assert "other.before1" in logs[path][1]


# ---------------------------------------------------------------------------
# Error handlers


class Base(Exception):
    pass


class Leaf(Base):
    pass


def errors_app(module: ModuleType) -> Any:
    """app > parent(/p) > child(/c), each with a view raising what the URL says."""
    exc = exceptions_of(module)
    app = new_app(module)
    parent = module.Blueprint("parent", __name__, url_prefix="/p")
    child = module.Blueprint("child", __name__, url_prefix="/c")

    def handler(tag: str) -> Callable[[Exception], tuple[str, int]]:
        return lambda error: (tag, getattr(error, "code", None) or 500)

    @app.before_request
    def hook() -> None:
        if module.request.args.get("hook"):
            raise Leaf()

    def fail(what: str) -> str:
        if what == "base":
            raise Base()
        if what == "leaf":
            raise Leaf()
        module.abort(int(what))

    registrations = {
        app: [
            (403, "app-403"),
            (405, "app-405"),
            (Exception, "app-Exception"),
            (Leaf, "app-Leaf"),
            (exc.HTTPException, "app-http"),
        ],
        parent: [
            (exc.HTTPException, "parent-http"),
            (Base, "parent-Base"),
            (404, "parent-404"),
            (405, "parent-405"),
        ],
        child: [(Leaf, "child-Leaf"), (exc.NotFound, "child-NotFound")],
    }
    # Registered on the app through a blueprint: for every view.
    parent.app_errorhandler(418)(handler("parent-app-418"))
    for scaffold, handlers in registrations.items():
        for code_or_class, tag in handlers:
            scaffold.register_error_handler(code_or_class, handler(tag))
        scaffold.add_url_rule("/raise/<what>", "fail", fail)
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    return app


ERROR_CASES = [
    ("/raise/403", "app-403"),
    ("/raise/404", "app-http"),
    ("/raise/base", "app-Exception"),
    ("/raise/leaf", "app-Leaf"),
    ("/raise/418", "parent-app-418"),
    # A code handler anywhere beats a class handler (HTTPException) anywhere.
    ("/p/raise/403", "app-403"),
    ("/p/raise/404", "parent-404"),
    ("/p/raise/410", "parent-http"),
    # A class handler in an inner scope wins over a more specific one in an outer scope.
    ("/p/raise/leaf", "parent-Base"),
    ("/p/c/raise/403", "app-403"),
    ("/p/c/raise/404", "child-NotFound"),
    ("/p/c/raise/410", "parent-http"),
    ("/p/c/raise/base", "parent-Base"),
    ("/p/c/raise/leaf", "child-Leaf"),
    ("/p/c/raise/418", "parent-app-418"),
    # An app hook's error in a blueprint's request goes to the blueprint's handlers.
    ("/raise/403?hook=1", "app-Leaf"),
    ("/p/c/raise/403?hook=1", "child-Leaf"),
    # Routing errors have no blueprint: the app's handlers answer them.
    ("/p/missing/rule", "app-http"),
    ("/p/c/missing/rule", "app-http"),
    ("POST /p/raise/404", "app-405"),
    ("POST /p/c/raise/404", "app-405"),
]


@pytest.mark.parametrize(("path", "expected"), ERROR_CASES)
def test_error_handler_precedence(flask: ModuleType, path: str, expected: str) -> None:
    method, _, path = path.rpartition(" ")
    _, body = both(flask, lambda module: answer(errors_app(module), path, method or "GET"))
    assert body == expected


def test_unhandled_error_goes_to_the_blueprint_500_handler(
    flask: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def build(module: ModuleType) -> list[tuple[int, str]]:
        app = module.Flask(__name__)
        monkeypatch.setattr(app.logger, "disabled", True)
        bp = module.Blueprint("bp", __name__, url_prefix="/bp")

        def boom() -> str:
            raise RuntimeError("boom")

        bp.register_error_handler(
            500, lambda error: (f"bp-500 {type(error.original_exception).__name__}", 500)
        )
        app.register_error_handler(500, lambda error: ("app-500", 500))
        app.add_url_rule("/", "boom", boom)
        bp.add_url_rule("/", "boom", boom)
        app.register_blueprint(bp)
        return [answer(app, "/"), answer(app, "/bp/")]

    assert both(flask, build) == [(500, "app-500"), (500, "bp-500 RuntimeError")]


# ---------------------------------------------------------------------------
# url_defaults and url_value_preprocessor


def test_url_defaults_apply_to_their_scope(flask: ModuleType) -> None:
    def build(module: ModuleType) -> Any:
        app = new_app(module)
        bp = module.Blueprint("bp", __name__, url_prefix="/bp")
        child = module.Blueprint("child", __name__, url_prefix="/c")
        other = module.Blueprint("other", __name__, url_prefix="/o")

        def adder(tag: str) -> Callable[[str, dict[str, Any]], None]:
            return lambda endpoint, values: values.setdefault(tag, "1")

        app.url_defaults(adder("app"))
        for scaffold in (app, bp, child, other):
            scaffold.add_url_rule("/", "index", view)
            if scaffold is not app:
                scaffold.url_defaults(adder(scaffold.name))
        other.app_url_defaults(adder("all"))
        endpoints = ["index", "bp.index", "bp.child.index", "other.index"]
        app.add_url_rule("/urls", "urls", lambda: [module.url_for(e) for e in endpoints])
        bp.register_blueprint(child)
        app.register_blueprint(bp)
        app.register_blueprint(other)
        return app.test_client().get("/urls").json

    assert both(flask, build) == [
        "/?app=1&all=1",
        "/bp/?app=1&all=1&bp=1",
        "/bp/c/?app=1&all=1&bp=1&child=1",
        "/o/?app=1&all=1&other=1",
    ]


def lang_app(module: ModuleType) -> Any:
    """Flask's documented ``lang_code`` pattern, in a blueprint."""
    app = new_app(module)
    bp = module.Blueprint("frontend", __name__, url_prefix="/<lang_code>")
    seen: list[str] = []

    @bp.url_defaults
    def add_language_code(endpoint: str, values: dict[str, Any]) -> None:
        if "lang_code" not in values and module.g.get("lang_code"):
            values["lang_code"] = module.g.lang_code

    @bp.url_value_preprocessor
    def pull_lang_code(endpoint: str | None, values: dict[str, Any] | None) -> None:
        assert values is not None
        module.g.lang_code = values.pop("lang_code")

    @app.url_value_preprocessor
    def app_preprocessor(endpoint: str | None, values: dict[str, Any] | None) -> None:
        seen.append(f"{endpoint} {sorted(values or {})}")

    @bp.route("/")
    def index() -> str:
        return f"{module.g.lang_code} {module.url_for('.about')} {module.url_for('index')}"

    @bp.route("/about/<int:page>")
    def about(page: int = 1) -> str:
        return f"{module.g.lang_code} {page} {module.url_for('.about', page=page + 1)}"

    @app.route("/", endpoint="index")
    def app_index() -> str:
        return f"{module.g.get('lang_code')} {module.url_for('frontend.index', lang_code='de')}"

    bp.add_url_rule("/about", "about", about)
    app.register_blueprint(bp)
    return app, seen


def test_lang_code_url_processors(flask: ModuleType) -> None:
    def build(module: ModuleType) -> Any:
        app, seen = lang_app(module)
        return [answer(app, path) for path in ("/fr/", "/en/about", "/it/about/4", "/")], seen

    assert both(flask, build) == (
        [
            (200, "fr /fr/about /"),
            (200, "en 1 /en/about/2"),
            (200, "it 4 /it/about/5"),
            (200, "None /de/"),
        ],
        [
            "frontend.index ['lang_code']",
            "frontend.about ['lang_code']",
            "frontend.about ['lang_code', 'page']",
            "index []",
        ],
    )


# ---------------------------------------------------------------------------
# Async views and hooks (run on the loop over ASGI, by the runner over WSGI)


def test_async_views_and_hooks_in_a_blueprint(app: Flask, client: Any) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    log: list[str] = []

    @bp.before_request
    async def before() -> None:
        await asyncio.sleep(0)
        g.seen = "before"

    @bp.before_app_request
    async def before_app() -> None:
        log.append(str(request.endpoint))

    @bp.after_request
    async def after(response: Any) -> Any:
        response.headers["X-Blueprint"] = str(request.blueprint)
        return response

    @bp.teardown_request
    async def teardown(error: BaseException | None) -> None:
        log.append("teardown")

    @bp.route("/")
    async def show() -> str:
        await asyncio.sleep(0)
        return f"{g.seen} {request.blueprint} {url_for('.show')}"

    @bp.route("/fail")
    async def fail() -> str:
        abort(418)

    @bp.errorhandler(418)
    async def teapot(error: Exception) -> tuple[str, int]:
        return "async handler", 418

    @app.route("/")
    def index() -> str:
        return g.get("seen", "none")

    app.register_blueprint(bp)
    response = client.get("/bp/")
    assert (response.status_code, response.data) == (200, b"before bp /bp/")
    assert response.headers["X-Blueprint"] == "bp"
    response = client.get("/bp/fail")
    assert (response.status_code, response.data) == (418, b"async handler")
    response = client.get("/")
    assert (response.data, response.headers.get("X-Blueprint")) == (b"none", None)
    assert log == ["bp.show", "teardown", "bp.fail", "teardown", "index"]


# ---------------------------------------------------------------------------
# Blueprint.endpoint


def test_endpoint_decorator_keeps_the_endpoint_unprefixed(flask: ModuleType) -> None:
    def build(module: ModuleType) -> tuple[tuple[int, str], int]:
        app = new_app(module)
        bp = module.Blueprint("bp", __name__)
        app.add_url_rule("/foo", endpoint="bar")

        @bp.endpoint("bar")
        def foobar() -> str:
            return f"{module.request.endpoint} {module.request.blueprint} {module.g.get('hit')}"

        bp.before_request(lambda: setattr(module.g, "hit", True))
        app.register_blueprint(bp, url_prefix="/bp_prefix")
        assert app.view_functions["bar"] is foobar
        return answer(app, "/foo"), answer(app, "/bp_prefix/bar")[0]

    assert both(flask, build) == ((200, "bar None None"), 404)

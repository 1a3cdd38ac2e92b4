"""carafe.scaffold: what an app registers (views and routes, request hooks, error
handlers) and the errors for what cannot be registered.

Registries are checked directly and through requests; where Flask takes the same
registration, its registries, answers and error messages are the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

import carafe
from carafe import Flask, Response, url_for
from carafe.exceptions import HTTPException, NotFound
from carafe.scaffold import Scaffold

flask = pytest.importorskip("flask")
werkzeug_exceptions = pytest.importorskip("werkzeug.exceptions")

SHORTCUTS = ["get", "post", "put", "delete", "patch"]


def rules(app: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    """(rule, endpoint, methods) of every rule but Flask's static one."""
    return sorted(
        (rule.rule, rule.endpoint, tuple(sorted(rule.methods)))
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    )


def started(app: Flask) -> Flask:
    """``app`` after its first request."""
    app.add_url_rule("/", "index", lambda: "index")
    assert app.test_client().get("/").status_code == 200
    return app


def test_flask_is_a_scaffold() -> None:
    assert issubclass(Flask, Scaffold)
    app = Flask(__name__, static_folder=None)
    assert app.view_functions == {}
    assert app.error_handler_spec == {}
    assert app.before_request_funcs == app.after_request_funcs == {}
    assert app.teardown_request_funcs == {}


# ---------------------------------------------------------------------------
# Routes


def test_route_registers_the_view_and_returns_it(app: Flask, client: Any) -> None:
    def index() -> str:
        return "index"

    assert app.route("/")(index) is index
    assert app.view_functions == {"static": app.view_functions["static"], "index": index}
    assert rules(app) == [("/", "index", ("GET", "HEAD", "OPTIONS"))]
    assert client.get("/").data == b"index"


def test_route_methods_are_upper_cased(app: Flask, client: Any) -> None:
    @app.route("/", methods=["post", "Put"])
    def index() -> str:
        return "index"

    assert rules(app) == [("/", "index", ("OPTIONS", "POST", "PUT"))]
    assert client.put("/").status_code == 200
    assert client.get("/").status_code == 405


def test_route_methods_as_a_string_is_a_type_error_as_in_flask() -> None:
    messages = []
    for module in (flask, carafe):
        app = module.Flask(__name__, static_folder=None)
        with pytest.raises(TypeError) as error:
            app.route("/", methods="POST")(lambda: "")
        messages.append(str(error.value))
    assert messages[0] == messages[1]


def test_route_endpoint_option_names_the_view(app: Flask, client: Any) -> None:
    @app.route("/home", endpoint="home")
    def index() -> str:
        return url_for("home")

    assert app.view_functions == {"static": app.view_functions["static"], "home": index}
    assert client.get("/home").data == b"/home"


@pytest.mark.parametrize("method", SHORTCUTS)
def test_shortcut_registers_only_its_method(method: str) -> None:
    def register(module: ModuleType) -> Any:
        app = module.Flask(__name__, static_folder=None)
        getattr(app, method)("/thing")(lambda: method)
        return app

    ours, theirs = register(carafe), register(flask)
    assert rules(ours) == rules(theirs)
    (_rule, endpoint, methods) = rules(ours)[0]
    assert endpoint == "<lambda>"
    assert method.upper() in methods


@pytest.mark.parametrize("method", SHORTCUTS)
def test_shortcut_answers_its_method_and_refuses_others(
    app: Flask, client: Any, method: str
) -> None:
    @getattr(app, method)("/thing")
    def thing() -> str:
        return "done"

    assert client.open("/thing", method=method.upper()).status_code == 200
    other = "POST" if method == "get" else "GET"
    refused = client.open("/thing", method=other)
    assert refused.status_code == 405
    allowed = {name.strip() for name in refused.headers["Allow"].split(",")}
    assert method.upper() in allowed and other not in allowed


@pytest.mark.parametrize("method", SHORTCUTS)
def test_shortcut_with_methods_is_a_type_error(app: Flask, method: str) -> None:
    with pytest.raises(TypeError) as ours:
        getattr(app, method)("/", methods=["GET"])
    with pytest.raises(TypeError) as theirs:
        getattr(flask.Flask(__name__), method)("/", methods=["GET"])
    assert str(ours.value) == str(theirs.value)
    assert str(ours.value) == "Use the 'route' decorator to use the 'methods' argument."
    assert list(app.view_functions) == ["static"]


def test_shortcut_passes_other_options(app: Flask, client: Any) -> None:
    @app.post("/items/", endpoint="create", strict_slashes=False)
    def create_item() -> str:
        return url_for("create")

    assert client.post("/items").data == b"/items/"
    assert "create" in app.view_functions


def test_same_endpoint_for_another_function_is_an_assertion_error_as_in_flask() -> None:
    messages = []
    for module in (flask, carafe):
        app = module.Flask(__name__, static_folder=None)
        app.add_url_rule("/a", "same", lambda: "a")
        with pytest.raises(AssertionError) as error:
            app.add_url_rule("/b", "same", lambda: "b")
        messages.append(str(error.value))
    assert messages[0] == messages[1]


def test_same_function_on_two_rules_is_allowed(app: Flask, client: Any) -> None:
    def page() -> str:
        return "page"

    app.route("/one")(page)
    app.route("/two")(page)
    assert (client.get("/one").data, client.get("/two").data) == (b"page", b"page")


def test_endpoint_decorator_gives_a_rule_without_a_view_its_view(app: Flask, client: Any) -> None:
    app.add_url_rule("/late", endpoint="late")

    @app.endpoint("late")
    def late() -> str:
        return "late view"

    assert app.view_functions["late"] is late
    assert client.get("/late").data == b"late view"


# ---------------------------------------------------------------------------
# Request hooks


def test_hooks_are_registered_in_order_and_returned(app: Flask) -> None:
    def first() -> None: ...
    def second() -> None: ...
    def after(response: Response) -> Response:
        return response

    def teardown(error: BaseException | None) -> None: ...

    assert app.before_request(first) is first
    assert app.before_request(second) is second
    assert app.after_request(after) is after
    assert app.teardown_request(teardown) is teardown
    assert app.before_request_funcs == {None: [first, second]}
    assert app.after_request_funcs == {None: [after]}
    assert app.teardown_request_funcs == {None: [teardown]}


def test_hooks_run_around_the_view_in_flasks_order() -> None:
    def run(module: ModuleType) -> list[str]:
        events: list[str] = []
        app = module.Flask(__name__, static_folder=None)
        app.before_request(lambda: events.append("before 1"))
        app.before_request(lambda: events.append("before 2"))

        @app.after_request
        def after_1(response: Any) -> Any:
            events.append("after 1")
            return response

        @app.after_request
        def after_2(response: Any) -> Any:
            events.append("after 2")
            return response

        app.teardown_request(lambda error: events.append(f"teardown 1 {error}"))
        app.teardown_request(lambda error: events.append(f"teardown 2 {error}"))
        app.add_url_rule("/", "index", lambda: events.append("view") or "ok")
        app.test_client().get("/")
        return events

    assert run(carafe) == run(flask)
    assert run(carafe)[0] == "before 1"


def test_before_request_value_is_the_response(app: Flask, client: Any) -> None:
    ran: list[str] = []
    app.before_request(lambda: "from the hook")

    @app.route("/")
    def index() -> str:
        ran.append("view")
        return "view"

    assert client.get("/").data == b"from the hook"
    assert ran == []


def test_after_request_replaces_the_response(app: Flask, client: Any) -> None:
    @app.after_request
    def replace(response: Response) -> Response:
        return Response(b"replaced " + response.get_data(), 202)

    app.add_url_rule("/", "index", lambda: "view")
    response = client.get("/")
    assert (response.status_code, response.data) == (202, b"replaced view")


def test_teardown_request_gets_the_unhandled_error(app: Flask, client: Any) -> None:
    errors: list[BaseException | None] = []
    app.teardown_request(errors.append)
    app.config["TESTING"] = False
    app.logger.disabled = True

    @app.route("/fail")
    def fail() -> str:
        raise KeyError("boom")

    app.add_url_rule("/ok", "ok", lambda: "ok")
    client.get("/ok")
    assert client.get("/fail").status_code == 500
    assert errors[0] is None
    assert isinstance(errors[1], KeyError)


# ---------------------------------------------------------------------------
# Error handlers


def test_error_handler_spec_is_keyed_as_flasks() -> None:
    class Teapot(HTTPException):
        code = 418

    def register(module: ModuleType, teapot: type[Exception]) -> dict[Any, Any]:
        app = module.Flask(__name__, static_folder=None)
        app.errorhandler(404)(lambda error: "404")
        app.errorhandler(KeyError)(lambda error: "key")
        app.register_error_handler(teapot, lambda error: "teapot")
        return {
            code: sorted(cls.__name__ for cls in handlers)
            for code, handlers in app.error_handler_spec[None].items()
        }

    class FlaskTeapot(werkzeug_exceptions.HTTPException):
        code = 418

    FlaskTeapot.__name__ = "Teapot"
    ours = register(carafe, Teapot)
    assert ours == register(flask, FlaskTeapot)
    assert ours == {404: ["NotFound"], None: ["KeyError"], 418: ["Teapot"]}


def test_errorhandler_returns_the_function(app: Flask) -> None:
    def handler(error: Exception) -> str:
        return "handled"

    assert app.errorhandler(404)(handler) is handler
    assert app.error_handler_spec[None][404] == {NotFound: handler}


def test_register_error_handler_is_the_decorator_without_decorating(
    app: Flask, client: Any
) -> None:
    class Custom(Exception):
        pass

    app.register_error_handler(Custom, lambda error: ("custom handled", 409))

    @app.route("/")
    def index() -> str:
        raise Custom()

    response = client.get("/")
    assert (response.status_code, response.data) == (409, b"custom handled")


def test_handler_for_a_code_and_for_its_class_are_the_same_slot(app: Flask, client: Any) -> None:
    app.register_error_handler(404, lambda error: "by code")
    app.register_error_handler(NotFound, lambda error: "by class")
    assert len(app.error_handler_spec[None][404]) == 1
    assert client.get("/missing").data == b"by class"


def test_later_registration_replaces_the_handler(app: Flask, client: Any) -> None:
    app.register_error_handler(404, lambda error: "first")
    app.register_error_handler(404, lambda error: "second")
    assert client.get("/missing").data == b"second"


@pytest.mark.parametrize(
    ("value", "error_type"),
    [
        (999, ValueError),
        (200, ValueError),
        (ValueError(), TypeError),
        (NotFound(), TypeError),
        (str, ValueError),
        (KeyboardInterrupt, ValueError),
        (BaseException, ValueError),
    ],
    ids=["unknown-code", "success-code", "instance", "http-instance", "str", "base", "base2"],
)
def test_bad_error_handler_keys_raise_as_in_flask(value: Any, error_type: type) -> None:
    flask_value = value
    if isinstance(value, NotFound):
        flask_value = werkzeug_exceptions.NotFound()
    app = Flask(__name__)
    with pytest.raises(error_type) as ours:
        app.register_error_handler(value, lambda error: "")
    with pytest.raises(error_type) as theirs:
        flask.Flask(__name__).register_error_handler(flask_value, lambda error: "")
    assert str(ours.value).replace("carafe.exceptions.", "") == str(theirs.value).replace(
        "werkzeug.exceptions.", ""
    )
    assert app.error_handler_spec == {}


def test_errorhandler_decorator_raises_the_same_errors(app: Flask) -> None:
    with pytest.raises(ValueError, match="'999' is not a recognized HTTP error code"):
        app.errorhandler(999)(lambda error: "")
    with pytest.raises(TypeError, match="is an instance, not a class"):
        app.errorhandler(KeyError("x"))(lambda error: "")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'int' is not a subclass of Exception"):
        app.errorhandler(int)(lambda error: "")  # type: ignore[arg-type]
    assert app.error_handler_spec == {}


def test_non_class_key_is_a_value_error_naming_it(app: Flask) -> None:
    """Flask fails here with issubclass()'s bare TypeError; Carafe says what is wrong."""
    with pytest.raises(ValueError, match=r"^'abc' is not a subclass of Exception"):
        app.register_error_handler("abc", lambda error: "")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# After the first request: setup is closed


SETUP_CALLS: dict[str, Callable[[Flask], Any]] = {
    "add_url_rule": lambda app: app.add_url_rule("/new", "new", lambda: ""),
    "before_request": lambda app: app.before_request(lambda: None),
    "after_request": lambda app: app.after_request(lambda response: response),
    "teardown_request": lambda app: app.teardown_request(lambda error: None),
    "teardown_appcontext": lambda app: app.teardown_appcontext(lambda error: None),
    "register_error_handler": lambda app: app.register_error_handler(404, lambda e: ""),
}


@pytest.mark.parametrize("method", SETUP_CALLS)
def test_setup_method_after_first_request_names_itself(app: Flask, method: str) -> None:
    started(app)
    before = (
        rules(app),
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        list(app.teardown_appcontext_funcs),
        app.error_handler_spec,
    )
    with pytest.raises(AssertionError) as error:
        SETUP_CALLS[method](app)
    assert str(error.value).startswith(
        f"The setup method '{method}' can no longer be called on the application."
        " It has already handled its first request"
    )
    after = (
        rules(app),
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        list(app.teardown_appcontext_funcs),
        app.error_handler_spec,
    )
    assert after == before


DECORATOR_FACTORIES: dict[str, Callable[[Any], Any]] = {
    "route": lambda app: app.route("/new"),
    "get": lambda app: app.get("/new"),
    "post": lambda app: app.post("/new"),
    "put": lambda app: app.put("/new"),
    "delete": lambda app: app.delete("/new"),
    "patch": lambda app: app.patch("/new"),
    "errorhandler": lambda app: app.errorhandler(404),
    "endpoint": lambda app: app.endpoint("new"),
}


@pytest.mark.parametrize("method", DECORATOR_FACTORIES)
def test_decorator_after_first_request_registers_nothing(app: Flask, method: str) -> None:
    started(app)
    with pytest.raises(AssertionError, match="can no longer be called on the application"):
        DECORATOR_FACTORIES[method](app)(lambda *args: "")
    assert "new" not in app.view_functions and "<lambda>" not in app.view_functions
    assert rules(app) == [("/", "index", ("GET", "HEAD", "OPTIONS"))]
    assert app.error_handler_spec == {}


@pytest.mark.parametrize("method", DECORATOR_FACTORIES)
def test_flask_names_the_decorator_called_after_first_request(method: str) -> None:
    """Flask refuses at the call, naming it (Carafe too: the test below)."""
    app = flask.Flask(__name__)
    app.add_url_rule("/", "index", lambda: "index")
    app.test_client().get("/")
    with pytest.raises(AssertionError, match=f"^The setup method '{method}' can no longer"):
        DECORATOR_FACTORIES[method](app)


@pytest.mark.parametrize("method", DECORATOR_FACTORIES)
def test_decorator_after_first_request_names_itself_at_the_call(app: Flask, method: str) -> None:
    started(app)
    with pytest.raises(AssertionError, match=f"^The setup method '{method}' can no longer"):
        DECORATOR_FACTORIES[method](app)

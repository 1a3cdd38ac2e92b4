"""carafe.pipeline and its generated synchronous twin, and the plan they run from.

The order of hooks, views and handlers is tested through the app in
test_app_errors_hooks.py; here: the twin is current, the plan is frozen at the
first request, and an app class that overrides one of Flask's pipeline methods
gets its override called, on both interfaces, async views included.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from carafe import Flask, Response, pipeline, request
from carafe import _pipeline_sync as pipeline_sync
from carafe.plan import STEP_METHODS

ROOT = Path(__file__).resolve().parents[1]


def load_generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "unasync_pipeline", ROOT / "scripts" / "unasync_pipeline.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_sync_pipeline_is_current() -> None:
    generator = load_generator()
    assert generator.TARGET.read_text() == generator.generate(), (
        "src/carafe/_pipeline_sync.py is stale: run `make generate`."
    )


def source_of(module: Any) -> str:
    """A module's Python source (beside it, in a compiled build too)."""
    return (
        Path(module.__file__).parent / (module.__name__.rpartition(".")[2] + ".py")
    ).read_text()


def test_sync_pipeline_has_no_coroutine_left() -> None:
    tree = ast.parse(source_of(pipeline_sync))
    kinds = {type(node) for node in ast.walk(tree)}
    assert ast.AsyncFunctionDef not in kinds
    assert ast.Await not in kinds
    # The same steps, one for one.
    names = {name for name in dir(pipeline) if not name.startswith("_")}
    assert names <= set(dir(pipeline_sync))


def test_every_overridable_step_is_a_pipeline_function() -> None:
    for method, step in STEP_METHODS.items():
        assert callable(getattr(pipeline, step)), step
        assert callable(getattr(Flask, method)), method


def test_plan_is_frozen_at_the_first_request(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return "ok"

    assert app.plan is None
    client = app.test_client()
    client.get("/")
    plan = app.plan
    assert plan is not None
    client.get("/")
    assert app.plan is plan
    assert plan.views["index"] is index
    with pytest.raises(AssertionError, match="setup method"):
        app.before_request(lambda: None)


def test_plan_orders_hooks_as_flask_runs_them(app: Flask) -> None:
    def before_1() -> None: ...
    def before_2() -> None: ...
    def after_1(response: Response) -> Response: ...  # type: ignore[empty-body]
    def after_2(response: Response) -> Response: ...  # type: ignore[empty-body]
    def teardown_1(error: BaseException | None) -> None: ...
    def teardown_2(error: BaseException | None) -> None: ...

    for before in (before_1, before_2):
        app.before_request(before)
    for after in (after_1, after_2):
        app.after_request(after)
    for teardown in (teardown_1, teardown_2):
        app.teardown_request(teardown)
    plan = app.make_plan()
    assert plan.scope.before == (before_1, before_2)
    assert plan.scope.after == (after_2, after_1)
    assert plan.scope.teardown == (teardown_2, teardown_1)
    assert plan.overrides == frozenset()
    assert plan.run_preprocess and plan.always_finalize and plan.always_tear_down


def test_plan_of_an_app_without_hooks_skips_their_steps(app: Flask) -> None:
    plan = app.make_plan()
    assert not (plan.run_preprocess or plan.always_finalize or plan.always_tear_down)
    assert plan.plain_make_response


class Recording(Flask):
    """Every pipeline method overridden: each records its call, then does Flask's."""

    calls: list[str]

    def full_dispatch_request(self) -> Response:
        self.calls.append("full_dispatch_request")
        return super().full_dispatch_request()

    def preprocess_request(self) -> Any:
        self.calls.append("preprocess_request")
        return super().preprocess_request()

    def dispatch_request(self) -> Any:
        self.calls.append("dispatch_request")
        return super().dispatch_request()

    def finalize_request(self, rv: Any, from_error_handler: bool = False) -> Response:
        self.calls.append("finalize_request")
        return super().finalize_request(rv, from_error_handler)

    def process_response(self, response: Response) -> Response:
        self.calls.append("process_response")
        return super().process_response(response)

    def make_response(self, rv: Any) -> Response:
        self.calls.append("make_response")
        return super().make_response(rv)

    def handle_user_exception(self, error: Exception) -> Any:
        self.calls.append("handle_user_exception")
        return super().handle_user_exception(error)

    def handle_http_exception(self, error: Any) -> Any:
        self.calls.append("handle_http_exception")
        return super().handle_http_exception(error)

    def handle_exception(self, error: Exception) -> Response:
        self.calls.append("handle_exception")
        return super().handle_exception(error)

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        self.calls.append("do_teardown_request")
        super().do_teardown_request(exc)

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        self.calls.append("do_teardown_appcontext")
        super().do_teardown_appcontext(exc)


@pytest.fixture
def recording() -> Recording:
    app = Recording(__name__)
    app.calls = []

    @app.route("/sync")
    def sync_view() -> str:
        return "sync"

    @app.route("/async")
    async def async_view() -> str:
        return "async " + request.path

    @app.route("/fail")
    def fail() -> str:
        raise RuntimeError("boom")

    return app


@pytest.mark.parametrize("interface", ["wsgi", "asgi"], indirect=True)
@pytest.mark.parametrize("path", ["/sync", "/async"])
def test_overrides_are_called_in_flasks_order(recording: Recording, path: str) -> None:
    response = recording.test_client().get(path)
    assert response.status_code == 200
    assert response.data == (b"sync" if path == "/sync" else b"async /async")
    assert recording.calls == [
        "full_dispatch_request",
        "preprocess_request",
        "dispatch_request",
        "finalize_request",
        "make_response",
        "process_response",
        "do_teardown_request",
        "do_teardown_appcontext",
    ]


@pytest.mark.parametrize("interface", ["wsgi", "asgi"], indirect=True)
def test_overridden_error_steps_are_called(recording: Recording) -> None:
    client = recording.test_client()
    assert client.get("/missing").status_code == 404
    assert "handle_user_exception" in recording.calls
    assert "handle_http_exception" in recording.calls
    recording.calls.clear()
    assert client.get("/fail").status_code == 500
    assert "handle_exception" in recording.calls
    assert recording.calls[-2:] == ["do_teardown_request", "do_teardown_appcontext"]


def test_an_override_can_answer_for_the_view(app: Flask) -> None:
    class Maintenance(Flask):
        def dispatch_request(self) -> Any:
            return "down for maintenance", 503

    down = Maintenance(__name__)

    @down.route("/")
    def index() -> str:
        return "up"

    client = down.test_client()
    assert client.get("/").status_code == 503
    # An overridden dispatch_request sees routing errors too, as in Flask.
    assert client.get("/nowhere").status_code == 503


def test_flask_methods_run_the_steps_from_a_request_context(app: Flask) -> None:
    seen: list[str] = []

    @app.before_request
    def before() -> None:
        seen.append("before")

    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-After"] = "1"
        return response

    @app.route("/")
    async def index() -> str:
        return "index"

    with app.test_request_context("/"):
        assert app.preprocess_request() is None
        assert app.dispatch_request() == "index"
        response = app.finalize_request("made")
        assert response.data == b"made"
        assert response.headers["X-After"] == "1"
        assert app.full_dispatch_request().data == b"index"
    assert seen == ["before", "before"]


def test_sync_twin_refuses_a_coroutine_on_the_event_loop(app: Flask) -> None:
    import asyncio

    @app.route("/")
    async def index() -> str:
        return "index"

    async def on_the_loop() -> None:
        with app.test_request_context("/") as ctx:
            ctx.run_coroutine = None
            with pytest.raises(RuntimeError, match="awaited on the event loop"):
                app.dispatch_request()

    asyncio.run(on_the_loop())


def test_pipeline_imports_no_app(app: Flask) -> None:
    # The pipeline reads the plan: it never imports the app layer.
    for module in (pipeline, pipeline_sync):
        assert "carafe.app" not in module.__dict__.values()
        source = source_of(module)
        assert "from carafe.app import" not in source.split("if TYPE_CHECKING:")[0]
    assert "carafe.dispatch" not in sys.modules

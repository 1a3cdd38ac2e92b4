"""Flask's signals (``carafe.signals``): which are sent, in what order, with what
arguments, to which receivers; compared with Flask's for the same app.

Receivers are global to the process: every test connects them with its app as
sender, through ``connected_to`` (disconnected on the way out).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from types import ModuleType
from typing import Any

import pytest

import carafe
import carafe.signals
from carafe.ctx import SIGNALS

#: The signals Carafe sends so far (template and flashing ones come later).
SIGNAL_NAMES = [n for n in carafe.signals.__all__ if n.startswith(("app", "request", "got"))]

Log = list[tuple[str, dict[str, Any]]]


def _describe(value: Any) -> Any:
    """A signal argument as something both frameworks can be compared by."""
    if value is None:
        return None
    if isinstance(value, BaseException):
        return ("exception", type(value).__name__, str(value))
    return ("response", value.status, value.headers.get("X-Hook"))


def _senders(log: list[Any]) -> Callable[..., None]:
    """A receiver that adds each sender it hears from to ``log``."""

    def receiver(sender: Any, **kwargs: Any) -> None:
        log.append(sender)

    return receiver


def _raiser(error: Exception) -> Callable[[], str]:
    """A view that raises ``error``."""

    def view() -> str:
        raise error

    return view


@contextmanager
def _connected(module: ModuleType, app: Any, **receivers: Callable[..., None]) -> Iterator[None]:
    """Connect each receiver to the signal of its name, for ``app`` only, for the block."""
    with ExitStack() as stack:
        for name, receiver in receivers.items():
            stack.enter_context(getattr(module, name).connected_to(receiver, app))
        yield


def _record(module: ModuleType, app: Any, action: Callable[[], None]) -> Log:
    """Run ``action`` with a receiver on every request signal; what they heard, in order."""
    log: Log = []

    def receiver_for(name: str) -> Callable[..., None]:
        def receiver(sender: Any, **kwargs: Any) -> None:
            assert sender is app
            log.append((name, {key: _describe(value) for key, value in kwargs.items()}))

        return receiver

    with _connected(module, app, **{name: receiver_for(name) for name in SIGNAL_NAMES}):
        action()
    return log


#: The scenarios that send one request: its path and status (None: the error propagates).
REQUESTS: dict[str, tuple[str, int | None]] = {
    "plain": ("/", 200),
    "view_error": ("/boom", 500),
    "not_found": ("/missing", 404),
    "handled_error": ("/key", 418),
    "after_request": ("/", 200),
    "propagated_error": ("/boom", None),
}


def _scenario(module: ModuleType, name: str) -> Log:
    """Build one app with ``module`` (carafe or flask), run scenario ``name`` on it."""
    app = module.Flask("signals_app")
    app.config["TESTING"] = name != "view_error"
    app.logger.disabled = True
    client = app.test_client()

    app.route("/")(lambda: "ok")
    app.add_url_rule("/boom", "boom", _raiser(RuntimeError("boom")))
    app.add_url_rule("/key", "key", _raiser(KeyError("k")))
    app.register_error_handler(KeyError, lambda error: ("handled", 418))

    if name == "after_request":

        @app.after_request
        def hook(response: Any) -> Any:
            response.headers["X-Hook"] = "yes"
            return response

    def action() -> None:
        if name in REQUESTS:
            path, status = REQUESTS[name]
            if status is None:
                with pytest.raises(RuntimeError, match="boom"):
                    client.get(path)
            else:
                assert client.get(path).status_code == status
        elif name == "test_request_context":
            with app.test_request_context("/"):
                pass
        elif name == "app_context":
            with app.app_context():
                pass
        else:
            with pytest.raises(ValueError), app.app_context():
                raise ValueError("inside")

    return _record(module, app, action)


def _end(exc: Any = None) -> Log:
    """What the end of a request sends: its teardown with ``exc``, then the pop."""
    return [
        ("request_tearing_down", {"exc": exc}),
        ("appcontext_tearing_down", {"exc": exc}),
        ("appcontext_popped", {}),
    ]


def _finished(status: str, hook: str | None = None) -> tuple[str, dict[str, Any]]:
    return ("request_finished", {"response": ("response", status, hook)})


PUSHED = ("appcontext_pushed", {})
START = [PUSHED, ("request_started", {})]
BOOM = ("exception", "RuntimeError", "boom")
GOT_BOOM = ("got_request_exception", {"exception": BOOM})
EXPECTED: dict[str, Log] = {
    "plain": [*START, _finished("200 OK"), *_end()],
    # As Flask: a 500 answered for an unhandled error still tears down with it.
    "view_error": [*START, GOT_BOOM, _finished("500 INTERNAL SERVER ERROR"), *_end(BOOM)],
    "not_found": [*START, _finished("404 NOT FOUND"), *_end()],
    "handled_error": [*START, _finished("418 I'M A TEAPOT"), *_end()],
    "after_request": [*START, _finished("200 OK", "yes"), *_end()],
    "propagated_error": [*START, GOT_BOOM, *_end(BOOM)],
    "app_context": [PUSHED, *_end()[1:]],
    "app_context_error": [PUSHED, *_end(("exception", "ValueError", "inside"))[1:]],
    "test_request_context": [PUSHED, *_end()],
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_signal_order_and_arguments_match_flask(name: str) -> None:
    log = _scenario(carafe, name)
    assert log == EXPECTED[name]
    flask = pytest.importorskip("flask")
    assert _scenario(flask, name) == log


def test_sender_filters_receivers() -> None:
    app_a, app_b = carafe.Flask("a"), carafe.Flask("b")
    for app in (app_a, app_b):
        app.route("/")(lambda: "ok")
    heard_a: list[Any] = []
    heard_any: list[Any] = []
    for_a, for_any = _senders(heard_a), _senders(heard_any)
    with (
        carafe.request_started.connected_to(for_a, app_a),
        carafe.request_started.connected_to(for_any),
    ):
        assert app_b.test_client().get("/").status_code == 200
        assert heard_a == []
        assert heard_any == [app_b]
        assert app_a.test_client().get("/").status_code == 200
    assert heard_a == [app_a]
    assert heard_any == [app_b, app_a]


def _check_final_response_and_exc(module: ModuleType) -> None:
    app = module.Flask("final")
    app.config["TESTING"] = False
    app.logger.disabled = True
    error = RuntimeError("boom")
    replaced: list[Any] = []

    app.route("/")(lambda: "original")
    app.add_url_rule("/boom", "boom", _raiser(error))

    @app.after_request
    def replace(response: Any) -> Any:
        new = app.response_class("replaced", status=201)
        replaced.append(new)
        return new

    heard: dict[str, list[Any]] = {"finished": [], "request": [], "app": [], "exception": []}

    def into(key: str) -> Callable[..., None]:
        def receiver(sender: Any, **kwargs: Any) -> None:
            (value,) = kwargs.values()
            heard[key].append(value)

        return receiver

    with _connected(
        module,
        app,
        request_finished=into("finished"),
        request_tearing_down=into("request"),
        appcontext_tearing_down=into("app"),
        got_request_exception=into("exception"),
    ):
        response = app.test_client().get("/")
        assert (response.status_code, response.data) == (201, b"replaced")
        assert heard["finished"] == replaced  # (Responses compare by identity.)
        assert heard["request"] == heard["app"] == [None]

        assert app.test_client().get("/boom").status_code == 201
        assert heard["finished"] == replaced
        assert heard["exception"] == [error]
        assert all(heard[key][-1] is error for key in ("exception", "request", "app"))


def test_request_finished_gets_final_response_and_teardown_gets_exc() -> None:
    _check_final_response_and_exc(carafe)
    _check_final_response_and_exc(pytest.importorskip("flask"))


def _check_receivers_use_globals(module: ModuleType) -> None:
    app = module.Flask("globals_app")
    app.route("/page")(lambda: module.g.user)
    heard: list[tuple[Any, ...]] = []

    def receiver_for(name: str) -> Callable[..., None]:
        def receiver(sender: Any, **kwargs: Any) -> None:
            # Flask has the request in the request signals only.
            path = module.request.path if name.startswith("request") else None
            heard.append((name, path, module.current_app.name, module.g.get("user")))
            module.g.user = "alice"

        return receiver

    names = SIGNAL_NAMES[:]
    names.remove("got_request_exception")
    names.remove("appcontext_popped")  # (No app context left by then.)
    with _connected(module, app, **{name: receiver_for(name) for name in names}):
        assert app.test_client().get("/page").data == b"alice"
    # What appcontext_pushed set in g is seen by the view and every later receiver.
    assert heard == [
        ("appcontext_pushed", None, "globals_app", None),
        ("request_started", "/page", "globals_app", "alice"),
        ("request_finished", "/page", "globals_app", "alice"),
        ("request_tearing_down", "/page", "globals_app", "alice"),
        ("appcontext_tearing_down", None, "globals_app", "alice"),
    ]


def test_receivers_can_use_g_current_app_and_request() -> None:
    _check_receivers_use_globals(carafe)
    _check_receivers_use_globals(pytest.importorskip("flask"))


class Refused(Exception):
    """Raised by a request_started receiver."""


def _check_receiver_error_is_handled(module: ModuleType) -> None:
    app = module.Flask("refusing")
    app.config["TESTING"] = False
    app.logger.disabled = True
    views: list[str] = []
    exceptions: list[Any] = []

    @app.route("/")
    def index() -> str:
        views.append("index")
        return "ok"

    @app.errorhandler(Refused)
    def on_refused(error: Refused) -> tuple[str, int]:
        return f"refused: {error}", 403

    def refuse(sender: Any) -> None:
        raise Refused("no entry")

    exception = _senders(exceptions)
    with _connected(module, app, request_started=refuse, got_request_exception=exception):
        response = app.test_client().get("/")
    assert (response.status_code, response.data) == (403, b"refused: no entry")
    assert views == []
    assert exceptions == []


def test_request_started_receiver_error_goes_to_error_handler() -> None:
    _check_receiver_error_is_handled(carafe)
    _check_receiver_error_is_handled(pytest.importorskip("flask"))


@pytest.mark.parametrize("view", ["sync", "async", "missing"])
def test_async_receiver_runs(view: str) -> None:
    app = carafe.Flask("async_receiver")
    app.logger.disabled = True
    seen: list[str] = []

    @app.route("/sync")
    def sync_view() -> str:
        return carafe.g.get("marker", "none")

    @app.route("/async")
    async def async_view() -> str:
        return carafe.g.get("marker", "none")

    async def started(sender: Any) -> None:
        seen.append(carafe.request.path)
        carafe.g.marker = "set"

    with carafe.request_started.connected_to(started, app):
        response = app.test_client().get(f"/{view}")
    assert seen == [f"/{view}"]
    if view == "missing":
        assert response.status_code == 404
    else:
        assert (response.status_code, response.data) == (200, b"set")


def test_flag_lowered_after_disconnecting_every_receiver() -> None:
    app = carafe.Flask("flag")
    app.route("/")(lambda: "ok")
    heard_started: list[Any] = []
    heard_popped: list[Any] = []
    started, popped = _senders(heard_started), _senders(heard_popped)
    assert SIGNALS.active is False
    carafe.request_started.connect(started, app)
    try:
        with carafe.appcontext_popped.connected_to(popped, app):
            assert SIGNALS.active is True
            assert app.test_client().get("/").data == b"ok"
        # One receiver still connected: still active.
        assert SIGNALS.active is True
    finally:
        carafe.request_started.disconnect(started)
    assert SIGNALS.active is False
    assert heard_started == heard_popped == [app]
    assert app.test_client().get("/").data == b"ok"
    with app.test_request_context("/"), app.app_context():
        pass
    assert heard_started == heard_popped == [app]


@pytest.mark.parametrize("how", ["disconnect_for_sender", "garbage_collected"])
def test_flag_lowered_after_receiver_dropped(how: str) -> None:
    """Blinker drops a receiver two more ways than disconnect(receiver): for one sender
    (it stays in signal.receivers, with no sender), and collected when weakly held."""
    app = carafe.Flask("flag_dropped")
    started = _senders([])
    carafe.request_started.connect(started, app)
    assert SIGNALS.active is True
    if how == "disconnect_for_sender":
        carafe.request_started.disconnect(started, app)
        assert list(carafe.request_started.receivers_for(app)) == []
        lowered = SIGNALS.active is False
        carafe.request_started.disconnect(started)  # Removed for good, for the other tests.
    else:
        del started
        gc.collect()
        assert not carafe.request_started.receivers
        lowered = SIGNALS.active is False
    assert lowered


def test_signal_names_on_the_package() -> None:
    for name in carafe.signals.__all__:
        if name != "Namespace":
            assert getattr(carafe, name) is getattr(carafe.signals, name)
    assert carafe.request_started is carafe.signals.request_started
    with pytest.raises(AttributeError):
        _ = carafe.no_such_signal  # type: ignore[attr-defined]


def test_import_carafe_does_not_import_blinker() -> None:
    code = (
        "import json, sys, carafe\n"
        "before = 'blinker' in sys.modules\n"
        "signal = carafe.request_started\n"
        "print(json.dumps([before, 'blinker' in sys.modules, signal.name]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == [False, True, "request-started"]

"""Werkzeug's HTTP exceptions and responses in a Carafe app, as Flask code raises and
returns them: answered as Carafe's own (code, description, handlers by code or by
either library's class), on both interfaces. Carafe never imports Werkzeug itself;
these tests do, as the Flask code they stand for would.
"""

from __future__ import annotations

from typing import Any

import pytest

import carafe
from carafe import Flask, exceptions

werkzeug_exceptions = pytest.importorskip("werkzeug.exceptions")
werkzeug_wrappers = pytest.importorskip("werkzeug.wrappers")
werkzeug_datastructures = pytest.importorskip("werkzeug.datastructures")
werkzeug_routing = pytest.importorskip("werkzeug.routing")
flask = pytest.importorskip("flask")


class CSRFError(werkzeug_exceptions.BadRequest):  # type: ignore[misc]
    """As Flask-WTF's: a Werkzeug exception subclassed by an extension."""

    description = "The CSRF token is missing."


def build(module: Any) -> Any:
    """The same app on Carafe or on Flask."""
    app = module.Flask(__name__)

    @app.route("/forbidden")
    def forbidden() -> Any:
        raise werkzeug_exceptions.Forbidden()

    @app.route("/aborted")
    def aborted() -> Any:
        werkzeug_exceptions.abort(418)

    @app.route("/described")
    def described() -> Any:
        raise werkzeug_exceptions.Unauthorized("Log in first.")

    @app.route("/csrf")
    def csrf() -> Any:
        raise CSRFError()

    @app.route("/returned")
    def returned() -> Any:
        return werkzeug_exceptions.Gone()

    @app.route("/response")
    def response() -> Any:
        return werkzeug_wrappers.Response("from werkzeug", 202, {"X-From": "werkzeug"})

    @app.errorhandler(CSRFError)
    def handle_csrf(error: Any) -> Any:
        return f"csrf: {error.description}", 400

    return app


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/forbidden", 403),
        ("/aborted", 418),
        ("/described", 401),
        ("/csrf", 400),
        ("/returned", 410),
        ("/response", 202),
    ],
)
def test_answers_as_flask_does(path: str, status: int) -> None:
    ours = build(carafe).test_client().get(path)
    theirs = build(flask).test_client().get(path)
    assert ours.status_code == theirs.status_code == status
    assert ours.data == theirs.data
    assert ours.headers.get("Content-Type") == theirs.headers.get("Content-Type")


def test_description_and_headers_of_a_werkzeug_exception_are_kept(client: Any) -> None:
    app = client.application

    @app.route("/login")
    def login() -> Any:
        raise werkzeug_exceptions.Unauthorized(
            "Log in first.", www_authenticate=werkzeug_datastructures.WWWAuthenticate("basic")
        )

    response = client.get("/login")
    assert response.status_code == 401
    assert b"Log in first." in response.data
    assert response.headers["WWW-Authenticate"] == "Basic"


def test_a_werkzeug_response_is_sent_as_it_is(client: Any) -> None:
    response = build(carafe).test_client().get("/response")
    assert response.data == b"from werkzeug"
    assert response.headers["X-From"] == "werkzeug"


def test_handler_for_a_werkzeug_class_handles_carafes_own(app: Flask, client: Any) -> None:
    @app.route("/abort")
    def abort_view() -> Any:
        carafe.abort(404)

    @app.errorhandler(werkzeug_exceptions.NotFound)
    def not_found(error: Any) -> Any:
        return f"handled {type(error).__module__}", 404

    assert client.get("/abort").data == b"handled carafe.exceptions"
    assert client.get("/no-such-page").data == b"handled carafe.exceptions"  # routing's 404


def test_handler_for_carafes_class_handles_werkzeugs(app: Flask, client: Any) -> None:
    @app.route("/raise")
    def raise_view() -> Any:
        raise werkzeug_exceptions.NotFound()

    @app.errorhandler(exceptions.NotFound)
    def not_found(error: Any) -> Any:
        return f"handled {type(error).__module__}", 404

    assert client.get("/raise").data == b"handled werkzeug.exceptions"


def test_handler_by_code_handles_werkzeugs(app: Flask, client: Any) -> None:
    @app.route("/raise")
    def raise_view() -> Any:
        raise werkzeug_exceptions.Forbidden()

    @app.errorhandler(403)
    def forbidden(error: Any) -> Any:
        return f"{error.code} {type(error).__name__}", 403

    assert client.get("/raise").data == b"403 Forbidden"


def test_a_werkzeug_class_is_registered_under_carafes_twin_and_its_code(app: Flask) -> None:
    def handler(error: Any) -> str:
        return ""

    app.register_error_handler(werkzeug_exceptions.NotFound, handler)
    app.register_error_handler(CSRFError, handler)
    assert app.error_handler_spec[None][404] == {exceptions.NotFound: handler}
    assert app.error_handler_spec[None][400] == {CSRFError: handler}


def test_a_werkzeug_exception_in_a_blueprint_goes_to_the_blueprints_handler(
    app: Flask, client: Any
) -> None:
    bp = carafe.Blueprint("bp", __name__)

    @bp.route("/bp")
    def view() -> Any:
        raise werkzeug_exceptions.Conflict()

    @bp.errorhandler(409)
    def conflict(error: Any) -> Any:
        return "blueprint's", 409

    app.register_blueprint(bp)
    assert client.get("/bp").data == b"blueprint's"


# ---------------------------------------------------------------------------
# Carafe's errors seen through Werkzeug's classes, as Flask code tests them


def test_carafe_errors_are_werkzeug_instances(app: Flask) -> None:
    """The error handler of Flask's docs: ``isinstance(e, HTTPException)`` with
    Werkzeug's class passes HTTP errors through, whatever raised them."""
    seen: list[str] = []

    @app.errorhandler(Exception)
    def handle(error: Exception) -> Any:
        if isinstance(error, werkzeug_exceptions.HTTPException):
            seen.append(type(error).__module__)
            return error
        return "not http", 500

    @app.route("/teapot")
    def teapot() -> Any:
        carafe.abort(418)

    @app.route("/boom")
    def boom() -> Any:
        raise ValueError("boom")

    client = app.test_client()
    assert client.get("/missing").status_code == 404
    assert client.get("/teapot").status_code == 418
    response = client.get("/boom")
    assert (response.status_code, response.text) == (500, "not http")
    assert seen == ["carafe.exceptions", "carafe.exceptions"]
    assert isinstance(exceptions.NotFound(), werkzeug_exceptions.NotFound)
    assert isinstance(exceptions.BadRequestKeyError("k"), werkzeug_exceptions.BadRequestKeyError)
    assert isinstance(exceptions.BadRequestKeyError("k"), KeyError)


def test_trapped_error_is_caught_as_werkzeug_class(app: Flask) -> None:
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    app.testing = True
    with pytest.raises(werkzeug_exceptions.NotFound):
        app.test_client().get("/missing")


def test_build_error_is_caught_as_werkzeug_class(app: Flask) -> None:
    with app.test_request_context(), pytest.raises(werkzeug_routing.BuildError) as caught:
        carafe.url_for("nowhere")
    assert isinstance(caught.value, LookupError)
    assert "nowhere" in str(caught.value)

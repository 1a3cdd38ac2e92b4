"""Error handlers, abort, exception propagation, and request hooks."""

from __future__ import annotations

import asyncio
import logging

import pytest

from carafe import Flask, Response, abort, g, make_response, request
from carafe.exceptions import (
    BadRequest,
    Forbidden,
    HTTPException,
    InternalServerError,
    NotFound,
)

NOT_FOUND_BODY = (
    b"<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
    b"<p>The requested URL was not found on the server. If you entered the URL manually"
    b" please check your spelling and try again.</p>\n"
)
SERVER_ERROR_BODY = (
    b"<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
    b"<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was"
    b" unable to complete your request. Either the server is overloaded or there is an"
    b" error in the application.</p>\n"
)


@pytest.fixture
def quiet_app(app):
    """An app that answers unhandled errors with a 500 instead of raising them."""
    app.config["TESTING"] = False
    app.logger.disabled = True
    yield app
    app.logger.disabled = False


# ---------------------------------------------------------------------------
# Default error pages


def test_default_404_body(app, client):
    response = client.get("/nothing")
    assert response.status == "404 NOT FOUND"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Length"] == str(len(NOT_FOUND_BODY))
    assert response.data == NOT_FOUND_BODY


def test_default_500_body(quiet_app):
    @quiet_app.route("/")
    def index():
        raise RuntimeError("boom")

    response = quiet_app.test_client().get("/")
    assert response.status == "500 INTERNAL SERVER ERROR"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.data == SERVER_ERROR_BODY


def test_default_405_body(app, client):
    @app.route("/", methods=["POST"])
    def index():
        return "x"

    response = client.get("/")
    assert response.data == (
        b"<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n"
        b"<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested"
        b" URL.</p>\n"
    )


# ---------------------------------------------------------------------------
# abort


@pytest.mark.parametrize(
    ("code", "title"),
    [
        (400, "400 Bad Request"),
        (401, "401 Unauthorized"),
        (403, "403 Forbidden"),
        (404, "404 Not Found"),
        (409, "409 Conflict"),
        (410, "410 Gone"),
        (418, "418 I&#39;m a teapot"),
        (422, "422 Unprocessable Entity"),
        (429, "429 Too Many Requests"),
        (500, "500 Internal Server Error"),
        (501, "501 Not Implemented"),
        (503, "503 Service Unavailable"),
    ],
)
def test_abort_codes(app, client, code, title):
    @app.route("/")
    def index():
        abort(code)

    response = client.get("/")
    assert response.status_code == code
    assert f"<title>{title}</title>".encode() in response.data


def test_abort_with_description(app, client):
    @app.route("/")
    def index():
        abort(403, "No access for <you>")

    response = client.get("/")
    assert response.status == "403 FORBIDDEN"
    assert response.data == (
        b"<!doctype html>\n<html lang=en>\n<title>403 Forbidden</title>\n<h1>Forbidden</h1>\n"
        b"<p>No access for &lt;you&gt;</p>\n"
    )


def test_abort_with_description_keyword(app, client):
    @app.route("/")
    def index():
        abort(404, description="Gone fishing")

    assert b"<p>Gone fishing</p>" in client.get("/").data


def test_abort_with_response(app, client):
    @app.route("/")
    def index():
        abort(make_response("custom body", 418, {"X-Abort": "1"}))

    response = client.get("/")
    assert response.status_code == 418
    assert response.data == b"custom body"
    assert response.headers["X-Abort"] == "1"


def test_abort_unknown_code(app, client):
    @app.route("/")
    def index():
        abort(999)

    with pytest.raises(LookupError):
        client.get("/")


def test_abort_401_has_no_www_authenticate_by_default(app, client):
    @app.route("/")
    def index():
        abort(401)

    response = client.get("/")
    assert response.status_code == 401
    assert "WWW-Authenticate" not in response.headers


def test_abort_outside_request():
    with pytest.raises(NotFound):
        abort(404)


def test_raise_http_exception_directly(app, client):
    @app.route("/")
    def index():
        raise Forbidden("nope")

    response = client.get("/")
    assert response.status_code == 403
    assert b"<p>nope</p>" in response.data


def test_return_http_exception(app, client):
    @app.route("/")
    def index():
        return NotFound()

    response = client.get("/")
    assert response.status_code == 404
    assert response.data == NOT_FOUND_BODY


def test_custom_http_exception_subclass(app, client):
    class PaymentRequired(HTTPException):
        code = 402
        description = "Pay up."

    @app.route("/")
    def index():
        raise PaymentRequired()

    response = client.get("/")
    assert response.status == "402 PAYMENT REQUIRED"
    assert b"<p>Pay up.</p>" in response.data


# ---------------------------------------------------------------------------
# Error handlers


def test_errorhandler_by_code(app, client):
    @app.errorhandler(404)
    def not_found(error):
        assert isinstance(error, NotFound)
        return {"error": "Resource not found"}, 404

    response = client.get("/missing")
    assert response.status_code == 404
    assert response.json == {"error": "Resource not found"}


def test_errorhandler_by_class_equals_code(app, client):
    @app.errorhandler(NotFound)
    def not_found(error):
        return "class handler", 404

    assert client.get("/missing").data == b"class handler"


def test_errorhandler_return_value_status_is_used_as_is(app, client):
    @app.errorhandler(404)
    def not_found(error):
        return "no status given"

    response = client.get("/missing")
    assert response.status_code == 200
    assert response.data == b"no status given"


def test_errorhandler_can_return_the_error(app, client):
    @app.errorhandler(403)
    def forbidden(error):
        error.description = "changed"
        return error

    @app.route("/")
    def index():
        abort(403)

    response = client.get("/")
    assert response.status_code == 403
    assert b"<p>changed</p>" in response.data


def test_errorhandler_for_abort_in_view(app, client):
    @app.errorhandler(403)
    def forbidden(error):
        return f"handled: {error.description}", 403

    @app.route("/")
    def index():
        abort(403, "secret")

    assert client.get("/").data == b"handled: secret"


def test_errorhandler_for_exception_class(app, client):
    class AppError(Exception):
        pass

    @app.errorhandler(AppError)
    def handle(error):
        return f"app error: {error}", 409

    @app.route("/")
    def index():
        raise AppError("conflict")

    response = client.get("/")
    assert response.status_code == 409
    assert response.data == b"app error: conflict"


def test_most_specific_class_handler_wins(app, client):
    class Base(Exception):
        pass

    class Middle(Base):
        pass

    class Leaf(Middle):
        pass

    @app.errorhandler(Base)
    def base(error):
        return "base", 500

    @app.errorhandler(Middle)
    def middle(error):
        return "middle", 500

    @app.route("/leaf")
    def leaf():
        raise Leaf()

    @app.route("/base")
    def base_view():
        raise Base()

    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/leaf").data == b"middle"
    assert client.get("/base").data == b"base"


def test_code_handler_beats_class_hierarchy(app, client):
    @app.errorhandler(HTTPException)
    def any_http(error):
        return f"generic {error.code}", error.code

    @app.errorhandler(404)
    def not_found(error):
        return "specific 404", 404

    @app.route("/forbidden")
    def forbidden():
        abort(403)

    assert client.get("/missing").data == b"specific 404"
    assert client.get("/forbidden").data == b"generic 403"


def test_http_exception_subclass_uses_code_handler(app, client):
    class MyNotFound(NotFound):
        pass

    @app.errorhandler(HTTPException)
    def any_http(error):
        return "generic", 400

    @app.errorhandler(404)
    def not_found(error):
        return f"404 handler: {type(error).__name__}", 404

    @app.route("/")
    def index():
        raise MyNotFound()

    assert client.get("/").data == b"404 handler: MyNotFound"


def test_handler_for_own_http_subclass_wins(app, client):
    class MyNotFound(NotFound):
        pass

    @app.errorhandler(404)
    def not_found(error):
        return "plain 404", 404

    @app.errorhandler(MyNotFound)
    def mine(error):
        return "my 404", 404

    @app.route("/")
    def index():
        raise MyNotFound()

    assert client.get("/").data == b"my 404"
    assert client.get("/missing").data == b"plain 404"


def test_exception_handler_also_catches_http_errors(app, client):
    @app.errorhandler(Exception)
    def everything(error):
        return f"caught {type(error).__name__}", 599

    assert client.get("/missing").data == b"caught NotFound"


def test_register_error_handler(app, client):
    def handle_bad_request(error):
        return "bad!", 400

    app.register_error_handler(400, handle_bad_request)

    @app.route("/")
    def index():
        raise BadRequest()

    assert client.get("/").data == b"bad!"


def test_register_error_handler_for_unknown_code_is_value_error(app):
    with pytest.raises(ValueError, match="not a recognized HTTP error code"):
        app.register_error_handler(999, lambda error: "x")


def test_register_error_handler_for_instance_is_type_error(app):
    with pytest.raises(TypeError, match="instance"):
        app.register_error_handler(NotFound(), lambda error: "x")


def test_register_error_handler_for_non_exception_is_value_error(app):
    with pytest.raises(ValueError):
        app.register_error_handler(str, lambda error: "x")


def test_errorhandler_decorator_for_unknown_code(app):
    with pytest.raises(ValueError):

        @app.errorhandler(1234)
        def handler(error):
            return "x"


def test_bad_request_key_error_handled_by_400_handler(app, client):
    @app.errorhandler(400)
    def bad(error):
        return f"handled {type(error).__name__}", 400

    @app.route("/", methods=["POST"])
    def index():
        return request.form["missing"]

    assert client.post("/", data={"a": "1"}).data == b"handled BadRequestKeyError"


def test_routing_redirect_is_not_handled(app, client):
    @app.errorhandler(HTTPException)
    def any_http(error):
        return "handled", 200

    @app.route("/folder/")
    def folder():
        return "folder"

    response = client.get("/folder")
    assert response.status_code == 308
    assert client.get("/nope").data == b"handled"


def test_405_handler(app, client):
    @app.errorhandler(405)
    def not_allowed(error):
        return f"allowed: {','.join(sorted(error.valid_methods))}", 405

    @app.route("/", methods=["POST"])
    def index():
        return "x"

    response = client.get("/")
    assert response.status_code == 405
    assert response.data == b"allowed: OPTIONS,POST"


def test_error_in_error_handler_propagates(app, client):
    @app.errorhandler(404)
    def not_found(error):
        raise RuntimeError("handler broke")

    with pytest.raises(RuntimeError, match="handler broke"):
        client.get("/missing")


# ---------------------------------------------------------------------------
# Unhandled exceptions


def test_unhandled_exception_propagates_when_testing(app, client):
    @app.route("/")
    def index():
        raise ZeroDivisionError("oops")

    with pytest.raises(ZeroDivisionError):
        client.get("/")


def test_unhandled_exception_is_500_when_not_testing(quiet_app):
    @quiet_app.route("/")
    def index():
        raise ZeroDivisionError("oops")

    response = quiet_app.test_client().get("/")
    assert response.status_code == 500


def test_propagate_exceptions_true(quiet_app):
    quiet_app.config["PROPAGATE_EXCEPTIONS"] = True

    @quiet_app.route("/")
    def index():
        raise ZeroDivisionError("oops")

    with pytest.raises(ZeroDivisionError):
        quiet_app.test_client().get("/")


def test_propagate_exceptions_false_beats_testing(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True

    @app.route("/")
    def index():
        raise ZeroDivisionError("oops")

    try:
        assert client.get("/").status_code == 500
    finally:
        app.logger.disabled = False


def test_debug_propagates(quiet_app):
    quiet_app.debug = True

    @quiet_app.route("/")
    def index():
        raise ZeroDivisionError("oops")

    with pytest.raises(ZeroDivisionError):
        quiet_app.test_client().get("/")


def test_500_handler_gets_original_exception(quiet_app):
    seen = []

    @quiet_app.errorhandler(500)
    def server_error(error):
        seen.append(error)
        return f"500 handler: {type(error.original_exception).__name__}", 500

    @quiet_app.route("/")
    def index():
        raise KeyError("inner")

    response = quiet_app.test_client().get("/")
    assert response.status_code == 500
    assert response.data == b"500 handler: KeyError"
    assert isinstance(seen[0], InternalServerError)
    assert isinstance(seen[0].original_exception, KeyError)


def test_internal_server_error_class_handler(quiet_app):
    @quiet_app.errorhandler(InternalServerError)
    def server_error(error):
        return "class 500", 500

    @quiet_app.route("/")
    def index():
        raise ValueError()

    assert quiet_app.test_client().get("/").data == b"class 500"


def test_abort_500_goes_to_500_handler_without_original(app, client):
    @app.errorhandler(500)
    def server_error(error):
        return f"original={error.original_exception!r}", 500

    @app.route("/")
    def index():
        abort(500)

    assert client.get("/").data == b"original=None"


def test_unhandled_exception_is_logged(quiet_app, caplog):
    quiet_app.logger.disabled = False

    @quiet_app.route("/boom")
    def index():
        raise RuntimeError("logged boom")

    with caplog.at_level(logging.ERROR):
        quiet_app.test_client().get("/boom")
    assert any(
        record.exc_info and "logged boom" in str(record.exc_info[1]) for record in caplog.records
    )
    assert any("/boom" in record.getMessage() for record in caplog.records)


def test_after_request_runs_on_500(quiet_app):
    @quiet_app.after_request
    def mark(response):
        response.headers["X-After"] = "ran"
        return response

    @quiet_app.route("/")
    def index():
        raise RuntimeError()

    response = quiet_app.test_client().get("/")
    assert response.status_code == 500
    assert response.headers["X-After"] == "ran"


def test_trap_http_exceptions(app, client):
    app.config["TRAP_HTTP_EXCEPTIONS"] = True

    @app.route("/")
    def index():
        abort(404)

    with pytest.raises(NotFound):
        client.get("/")


def test_trap_bad_request_errors(app, client):
    app.config["TRAP_BAD_REQUEST_ERRORS"] = True

    @app.route("/", methods=["POST"])
    def index():
        return request.form["missing"]

    with pytest.raises(KeyError):
        client.post("/", data={})


# ---------------------------------------------------------------------------
# Hooks


def test_before_request_returning_value_ends_request(app, client):
    calls = []

    @app.before_request
    def gate():
        calls.append("before")
        if request.args.get("block"):
            return "blocked", 403
        return None

    @app.after_request
    def after(response):
        calls.append("after")
        response.headers["X-After"] = "1"
        return response

    @app.route("/")
    def index():
        calls.append("view")
        return "view"

    response = client.get("/?block=1")
    assert response.status_code == 403
    assert response.data == b"blocked"
    assert response.headers["X-After"] == "1"
    assert calls == ["before", "after"]
    calls.clear()
    assert client.get("/").data == b"view"
    assert calls == ["before", "view", "after"]


def test_before_request_order_and_short_circuit(app, client):
    calls = []

    @app.before_request
    def first():
        calls.append("first")

    @app.before_request
    def second():
        calls.append("second")
        return "stop"

    @app.before_request
    def third():
        calls.append("third")

    @app.route("/")
    def index():
        return "view"

    assert client.get("/").data == b"stop"
    assert calls == ["first", "second"]


def test_before_request_runs_for_404(app, client):
    calls = []

    @app.before_request
    def before():
        calls.append(request.path)

    client.get("/missing")
    assert calls == ["/missing"]


def test_before_request_abort_goes_to_handler(app, client):
    @app.before_request
    def guard():
        abort(401)

    @app.errorhandler(401)
    def unauthorized(error):
        return "login first", 401

    @app.route("/")
    def index():
        return "secret"

    response = client.get("/")
    assert response.status_code == 401
    assert response.data == b"login first"


def test_after_request_reverse_order(app, client):
    order = []

    @app.after_request
    def first(response):
        order.append("first")
        return response

    @app.after_request
    def second(response):
        order.append("second")
        return response

    @app.route("/")
    def index():
        return "x"

    client.get("/")
    assert order == ["second", "first"]


def test_after_request_can_replace_response(app, client):
    @app.after_request
    def replace(response):
        return Response("replaced", status=201)

    @app.route("/")
    def index():
        return "original"

    response = client.get("/")
    assert response.status_code == 201
    assert response.data == b"replaced"


def test_after_request_runs_for_handled_errors(app, client):
    @app.after_request
    def mark(response):
        response.headers["X-Seen"] = str(response.status_code)
        return response

    assert client.get("/missing").headers["X-Seen"] == "404"


def test_teardown_request_gets_none_on_success(app, client):
    seen = []

    @app.teardown_request
    def teardown(exc):
        seen.append(exc)

    @app.route("/")
    def index():
        return "x"

    client.get("/")
    assert seen == [None]


def test_teardown_request_gets_the_exception(app, client):
    seen = []

    @app.teardown_request
    def teardown(exc):
        seen.append(exc)

    @app.route("/")
    def index():
        raise ValueError("in view")

    with pytest.raises(ValueError):
        client.get("/")
    assert len(seen) == 1
    assert isinstance(seen[0], ValueError)


def test_teardown_request_gets_the_exception_on_500(quiet_app):
    seen = []

    @quiet_app.teardown_request
    def teardown(exc):
        seen.append(exc)

    @quiet_app.route("/")
    def index():
        raise ValueError("in view")

    assert quiet_app.test_client().get("/").status_code == 500
    assert len(seen) == 1
    assert isinstance(seen[0], ValueError)


def test_teardown_request_gets_none_for_handled_error(app, client):
    seen = []

    @app.teardown_request
    def teardown(exc):
        seen.append(exc)

    @app.errorhandler(ValueError)
    def handle(error):
        return "handled", 400

    @app.route("/")
    def index():
        raise ValueError()

    assert client.get("/").status_code == 400
    assert seen == [None]


def test_teardown_order_and_context(app, client):
    order = []

    @app.teardown_request
    def first(exc):
        order.append(("first", request.path))

    @app.teardown_request
    def second(exc):
        order.append(("second", request.path))

    @app.teardown_appcontext
    def app_teardown(exc):
        order.append(("app", g.get("marker")))

    @app.route("/t")
    def index():
        g.marker = "set"
        return "x"

    client.get("/t")
    assert order == [("second", "/t"), ("first", "/t"), ("app", "set")]


def test_g_available_in_hooks(app, client):
    @app.before_request
    def load():
        g.user = "alice"

    @app.after_request
    def after(response):
        response.headers["X-User"] = g.user
        return response

    @app.route("/")
    def index():
        return f"hi {g.user}"

    response = client.get("/")
    assert response.data == b"hi alice"
    assert response.headers["X-User"] == "alice"


def test_hooks_registered_after_first_request_fail(app, client):
    @app.route("/")
    def index():
        return "x"

    client.get("/")
    with pytest.raises(AssertionError):
        app.before_request(lambda: None)
    with pytest.raises(AssertionError):
        app.errorhandler(404)(lambda error: "x")


# ---------------------------------------------------------------------------
# async views and hooks on WSGI


def test_async_view(app, client):
    @app.route("/")
    async def index():
        await asyncio.sleep(0)
        return f"async {request.args['x']}"

    assert client.get("/?x=1").data == b"async 1"


def test_async_view_with_tuple(app, client):
    @app.route("/")
    async def index():
        return {"async": True}, 201

    response = client.get("/")
    assert response.status_code == 201
    assert response.json == {"async": True}


def test_async_hooks_and_handler(app, client):
    calls = []

    @app.before_request
    async def before():
        await asyncio.sleep(0)
        calls.append("before")

    @app.after_request
    async def after(response):
        calls.append("after")
        response.headers["X-Async"] = "1"
        return response

    @app.errorhandler(404)
    async def not_found(error):
        return "async 404", 404

    @app.teardown_request
    async def teardown(exc):
        calls.append("teardown")

    response = client.get("/missing")
    assert response.data == b"async 404"
    assert response.headers["X-Async"] == "1"
    assert calls == ["before", "after", "teardown"]


def test_async_view_exception_propagates(app, client):
    @app.route("/")
    async def index():
        raise LookupError("async fail")

    with pytest.raises(LookupError, match="async fail"):
        client.get("/")


def test_async_view_abort(app, client):
    @app.route("/")
    async def index():
        abort(404)

    assert client.get("/").status_code == 404


def test_many_async_requests(app, client):
    @app.route("/<int:n>")
    async def index(n):
        await asyncio.sleep(0)
        return str(n * 2)

    for number in range(20):
        assert client.get(f"/{number}").data == str(number * 2).encode()


def test_app_repr_and_name():
    assert Flask("my_module").name == "my_module"


def test_error_raised_by_a_404_handler_is_not_handled_again(app, client):
    app.config["TESTING"] = False
    calls = []

    @app.errorhandler(404)
    def not_found(error):
        calls.append("404")
        raise ValueError("broken handler")

    @app.errorhandler(ValueError)
    def value_error(error):
        calls.append("ValueError")
        return "handled", 200

    # As in Flask: the handler's own error skips the user handlers and is a 500.
    response = client.get("/missing")
    assert response.status_code == 500
    assert calls == ["404"]

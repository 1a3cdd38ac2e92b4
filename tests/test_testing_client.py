"""The test client: request building, redirects, the cookie jar and the response object."""

from __future__ import annotations

import io
import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from carafe import make_response, redirect, request


@pytest.fixture
def echo_app(app):
    """An app whose view describes the request it got."""

    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @app.route("/echo/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo(rest=None):
        return {
            "method": request.method,
            "path": request.path,
            "args": request.args.to_dict(flat=False),
            "form": request.form.to_dict(flat=False),
            "files": {
                name: [storage.filename, storage.read().decode()]
                for name, storage in request.files.items()
            },
            "data": request.get_data(as_text=True),
            "json": request.get_json(silent=True),
            "content_type": request.content_type,
            "headers": {
                name: value
                for name, value in request.headers.items()
                if name.lower().startswith("x-")
            },
            "cookies": request.cookies.to_dict(),
        }

    return app


# ---------------------------------------------------------------------------
# Methods


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_method_helpers(echo_app, client, method):
    response = getattr(client, method)("/echo")
    assert response.status_code == 200
    assert response.json["method"] == method.upper()


def test_head_helper(echo_app, client):
    response = client.head("/echo")
    assert response.status_code == 200
    assert response.data == b""
    assert int(response.headers["Content-Length"]) > 0


def test_options_helper(echo_app, client):
    response = client.options("/echo")
    assert response.status_code == 200
    assert "GET" in response.headers["Allow"]


def test_open_with_method(echo_app, client):
    assert client.open("/echo", method="PUT").json["method"] == "PUT"
    assert client.open("/echo").json["method"] == "GET"


# ---------------------------------------------------------------------------
# Request bodies and parameters


def test_data_dict_is_form(echo_app, client):
    body = client.post("/echo", data={"a": "1", "b": ["2", "3"]}).json
    assert body["form"] == {"a": ["1"], "b": ["2", "3"]}
    assert body["content_type"] == "application/x-www-form-urlencoded"
    assert body["data"] == ""


def test_data_str_and_bytes_are_raw(echo_app, client):
    body = client.post("/echo", data="raw text").json
    assert body["data"] == "raw text"
    assert body["form"] == {}
    assert body["content_type"] is None
    body = client.post("/echo", data=b"\x00raw", content_type="application/octet-stream").json
    assert body["data"] == "\x00raw"
    assert body["content_type"] == "application/octet-stream"


def test_data_with_file_is_multipart(echo_app, client):
    body = client.post(
        "/echo", data={"field": "v", "upload": (io.BytesIO(b"contents"), "a.txt")}
    ).json
    assert body["form"] == {"field": ["v"]}
    assert body["files"] == {"upload": ["a.txt", "contents"]}
    assert body["content_type"].startswith("multipart/form-data; boundary=")


def test_json_argument(echo_app, client):
    body = client.post("/echo", json={"k": [1, 2]}).json
    assert body["json"] == {"k": [1, 2]}
    assert body["content_type"] == "application/json"


def test_json_and_data_together_is_type_error(echo_app, client):
    with pytest.raises(TypeError):
        client.post("/echo", json={"a": 1}, data="x")


def test_headers_argument(echo_app, client):
    body = client.get("/echo", headers={"X-One": "1", "X-Two": "2"}).json
    assert body["headers"] == {"X-One": "1", "X-Two": "2"}
    body = client.get("/echo", headers=[("X-List", "yes")]).json
    assert body["headers"] == {"X-List": "yes"}


def test_query_string_argument(echo_app, client):
    assert client.get("/echo", query_string={"a": "b c"}).json["args"] == {"a": ["b c"]}
    assert client.get("/echo", query_string="x=1&x=2").json["args"] == {"x": ["1", "2"]}
    assert client.get("/echo?in=path").json["args"] == {"in": ["path"]}


def test_content_type_argument(echo_app, client):
    body = client.post("/echo", data='{"a": 1}', content_type="application/json").json
    assert body["json"] == {"a": 1}
    assert body["content_type"] == "application/json"


def test_path_with_percent_escapes(echo_app, client):
    assert client.get("/echo/a%20b/c%C3%A9").json["path"] == "/echo/a b/c\u00e9"


def test_full_url_as_path(echo_app, client):
    @echo_app.route("/where")
    def where():
        return request.url

    assert client.get("https://example.org/where?x=1").data == b"https://example.org/where?x=1"


# ---------------------------------------------------------------------------
# The response


def test_response_attributes(app, client):
    @app.route("/")
    def index():
        return {"a": 1}, 201, {"X-H": "v"}

    response = client.get("/")
    assert response.status_code == 201
    assert response.status == "201 CREATED"
    assert response.headers["X-H"] == "v"
    assert response.headers["Content-Type"] == "application/json"
    assert response.data == b'{"a":1}\n'
    assert response.get_data() == b'{"a":1}\n'
    assert response.text == '{"a":1}\n'
    assert response.get_data(as_text=True) == '{"a":1}\n'
    assert response.json == {"a": 1}
    assert response.get_json() == {"a": 1}
    assert response.mimetype == "application/json"
    assert response.is_json
    assert response.request.path == "/"
    assert response.request.method == "GET"


def test_response_json_none_for_html(app, client):
    @app.route("/")
    def index():
        return "<p>x</p>"

    response = client.get("/")
    assert response.text == "<p>x</p>"
    assert response.get_json(silent=True) is None


def test_streamed_response_is_fully_read(app, client):
    @app.route("/")
    def index():
        def generate():
            yield "a"
            yield "b"

        return generate()

    assert client.get("/").data == b"ab"


def test_response_close_callbacks_run(app, client):
    closed = []

    @app.route("/")
    def index():
        response = make_response("x")
        response.call_on_close(lambda: closed.append(True))
        return response

    client.get("/")
    assert closed == [True]


def test_generator_finally_runs(app, client):
    finished = []

    @app.route("/")
    def index():
        def generate():
            try:
                yield "a"
            finally:
                finished.append(True)

        return generate()

    assert client.get("/").data == b"a"
    assert finished == [True]


# ---------------------------------------------------------------------------
# Redirects


@pytest.fixture
def redirect_app(app):
    @app.route("/start/<int:code>", methods=["GET", "POST", "PUT"])
    def start(code):
        return redirect("/target", code=code)

    @app.route("/target", methods=["GET", "POST", "PUT", "HEAD"])
    def target():
        return {
            "method": request.method,
            "form": request.form.to_dict(),
            "data": request.get_data(as_text=True),
        }

    @app.route("/chain")
    def chain():
        return redirect("/start/302")

    @app.route("/loop")
    def loop():
        return redirect("/loop")

    @app.route("/absolute")
    def absolute():
        return redirect("http://localhost/target?x=1")

    @app.route("/relative/")
    def relative():
        return redirect("../target")

    return app


def test_no_follow_by_default(redirect_app, client):
    response = client.get("/start/302")
    assert response.status_code == 302
    assert response.headers["Location"] == "/target"


def test_follow_redirects_history(redirect_app, client):
    response = client.get("/chain", follow_redirects=True)
    assert response.status_code == 200
    assert response.json["method"] == "GET"
    assert [item.status_code for item in response.history] == [302, 302]
    assert response.history[0].headers["Location"] == "/start/302"
    assert response.request.path == "/target"


@pytest.mark.parametrize("code", [302, 303])
def test_post_redirect_becomes_get(redirect_app, client, code):
    response = client.post(f"/start/{code}", data={"k": "v"}, follow_redirects=True)
    assert response.status_code == 200
    assert response.json == {"method": "GET", "form": {}, "data": ""}


@pytest.mark.parametrize("code", [307, 308])
def test_post_redirect_keeps_method_and_body(redirect_app, client, code):
    response = client.post(f"/start/{code}", data={"k": "v"}, follow_redirects=True)
    assert response.status_code == 200
    assert response.json == {"method": "POST", "form": {"k": "v"}, "data": ""}


def test_put_307_keeps_raw_body(redirect_app, client):
    response = client.put(
        "/start/307", data="raw", content_type="text/plain", follow_redirects=True
    )
    assert response.json == {"method": "PUT", "form": {}, "data": "raw"}


def test_redirect_absolute_location_with_query(redirect_app, client):
    @redirect_app.route("/q")
    def query():
        return request.args.to_dict()

    response = client.get("/absolute", follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == "/target"


def test_redirect_relative_location(redirect_app, client):
    response = client.get("/relative/", follow_redirects=True)
    assert response.request.path == "/target"


def test_redirect_loop_is_detected(redirect_app, client):
    with pytest.raises(Exception, match=r"[Ll]oop"):
        client.get("/loop", follow_redirects=True)


def test_follow_redirect_strict_slashes(app, client):
    @app.route("/dir/")
    def directory():
        return request.args.to_dict()

    response = client.get("/dir?a=1", follow_redirects=True)
    assert response.status_code == 200
    assert response.json == {"a": "1"}
    assert response.history[0].status_code == 308


def test_follow_redirects_sends_cookies(app, client):
    @app.route("/login")
    def login():
        response = redirect("/home")
        response.set_cookie("session", "abc")
        return response

    @app.route("/home")
    def home():
        return request.cookies.get("session", "none")

    assert client.get("/login", follow_redirects=True).data == b"abc"


# ---------------------------------------------------------------------------
# Cookie jar


@pytest.fixture
def cookie_app(app):
    @app.route("/set/<name>/<value>")
    def set_cookie(name, value):
        response = make_response("set")
        response.set_cookie(name, value)
        return response

    @app.route("/set-scoped")
    def set_scoped():
        response = make_response("set")
        response.set_cookie("scoped", "yes", path="/sub")
        return response

    @app.route("/set-short")
    def set_short():
        response = make_response("set")
        response.set_cookie("short", "lived", max_age=timedelta(seconds=3600))
        return response

    @app.route("/delete/<name>")
    def delete(name):
        response = make_response("deleted")
        response.delete_cookie(name)
        return response

    @app.route("/read")
    @app.route("/sub/read")
    def read():
        return request.cookies.to_dict()

    return app


def test_cookie_set_by_response_is_sent_next(cookie_app, client):
    client.get("/set/flavour/chocolate")
    assert client.get("/read").json == {"flavour": "chocolate"}


def test_get_cookie(cookie_app, client):
    client.get("/set/flavour/chocolate")
    cookie = client.get_cookie("flavour")
    assert cookie is not None
    assert cookie.key == "flavour"
    assert cookie.value == "chocolate"
    assert cookie.decoded_value == "chocolate"
    assert cookie.path == "/"
    assert client.get_cookie("missing") is None


def test_get_cookie_attributes(app, client):
    @app.route("/")
    def index():
        response = make_response("x")
        response.set_cookie(
            "full",
            "v",
            max_age=600,
            httponly=True,
            samesite="Strict",
        )
        return response

    client.get("/")
    cookie = client.get_cookie("full")
    assert cookie.http_only
    assert cookie.same_site == "Strict"
    assert not cookie.secure
    assert cookie.max_age == 600
    assert cookie.expires is not None


def test_client_set_cookie(cookie_app, client):
    client.set_cookie("mine", "value")
    assert client.get("/read").json == {"mine": "value"}
    assert client.get_cookie("mine").value == "value"


def test_client_delete_cookie(cookie_app, client):
    client.set_cookie("mine", "value")
    client.delete_cookie("mine")
    assert client.get("/read").json == {}
    assert client.get_cookie("mine") is None


def test_server_delete_cookie_removes_it(cookie_app, client):
    client.get("/set/a/1")
    client.get("/set/b/2")
    client.get("/delete/a")
    assert client.get("/read").json == {"b": "2"}
    assert client.get_cookie("a") is None


def test_cookie_overwritten(cookie_app, client):
    client.get("/set/a/1")
    client.get("/set/a/2")
    assert client.get("/read").json == {"a": "2"}


def test_cookie_path_scope(cookie_app, client):
    client.get("/set-scoped")
    assert client.get("/read").json == {}
    assert client.get("/sub/read").json == {"scoped": "yes"}
    assert client.get_cookie("scoped", path="/sub").value == "yes"


def test_cookie_with_max_age_is_kept(cookie_app, client):
    client.get("/set-short")
    assert client.get("/read").json == {"short": "lived"}


def test_expired_cookie_is_removed(app, client):
    @app.route("/set")
    def set_cookie():
        response = make_response("x")
        response.set_cookie("old", "v", expires=datetime(2000, 1, 1, tzinfo=timezone.utc))
        return response

    @app.route("/read")
    def read():
        return request.cookies.to_dict()

    client.set_cookie("old", "previous")
    client.get("/set")
    assert client.get_cookie("old") is None
    assert client.get("/read").json == {}


def test_cookie_expiring_later_is_dropped_when_due(app, client):
    @app.route("/set")
    def set_cookie():
        response = make_response("x")
        response.set_cookie("brief", "v", expires=time.time() + 1)
        return response

    client.get("/set")
    assert client.get_cookie("brief") is not None
    time.sleep(1.1)
    assert client.get_cookie("brief") is None


def test_secure_cookie_sent_over_http_too_as_werkzeug_does():
    # Werkzeug's client sends a Secure cookie whatever the scheme: the tests of an app
    # with SESSION_COOKIE_SECURE run over http.
    import flask

    import carafe

    answers = []
    for module in (flask, carafe):
        application = module.Flask(__name__)

        @application.route("/set")
        def set_cookie(module=module):
            response = module.make_response("x")
            response.set_cookie("sec", "1", secure=True)
            return response

        @application.route("/read")
        def read(module=module):
            return str(sorted(module.request.cookies.items()))

        test_client = application.test_client()
        test_client.get("/set", base_url="https://localhost")
        over_http = test_client.get("/read").text
        over_https = test_client.get("/read", base_url="https://localhost").text
        answers.append((over_http, over_https))
    assert answers[0] == answers[1] == ("[('sec', '1')]", "[('sec', '1')]")


def test_use_cookies_false(cookie_app):
    client = cookie_app.test_client(use_cookies=False)
    client.get("/set/a/1")
    assert client.get("/read").json == {}
    with pytest.raises(TypeError):
        client.get_cookie("a")


def test_cookie_with_special_value_round_trips(app, client):
    @app.route("/set")
    def set_cookie():
        response = make_response("x")
        response.set_cookie("special", 'a b;c"d')
        return response

    @app.route("/read")
    def read():
        return request.cookies.to_dict()

    client.get("/set")
    assert client.get("/read").json == {"special": 'a b;c"d'}


def test_separate_clients_have_separate_jars(cookie_app):
    first = cookie_app.test_client()
    second = cookie_app.test_client()
    first.get("/set/a/1")
    assert second.get("/read").json == {}
    assert json.loads(first.get("/read").data) == {"a": "1"}


def test_positional_arguments_follow_flasks_environ_builder(app, client):
    @app.route("/where", methods=["GET", "PUT"])
    def where():
        return f"{request.host} {request.args.get('q')} {request.method}"

    # (path, base_url, subdomain, url_scheme, ...), as Flask's EnvironBuilder takes them.
    assert client.open(
        "/where", "https://example.com/", query_string="q=1", method="PUT"
    ).data == (b"example.com 1 PUT")
    assert client.get("/where", "http://other.test/").data == b"other.test None GET"
    with app.test_request_context("/where", None, "api", "https"):
        assert (request.host, request.scheme) == ("api.localhost", "https")
    with pytest.raises(ValueError, match='with "base_url"'):
        client.get("/where", "http://other.test/", "api")


def test_auth_is_sent_as_the_authorization_header(app, client):
    @app.route("/auth")
    def auth():
        return request.headers.get("Authorization")

    assert client.get("/auth", auth=("user", "pass")).data == b"Basic dXNlcjpwYXNz"
    assert client.get("/auth", auth="Bearer token").data == b"Bearer token"


def test_errors_stream_and_wsgi_flags_reach_the_wsgi_environ(app):
    errors = io.StringIO()

    @app.route("/env")
    def env():
        environ = request.environ
        environ["wsgi.errors"].write("logged")
        return repr(
            [environ[f"wsgi.{flag}"] for flag in ("multithread", "multiprocess", "run_once")]
        )

    client = app.test_client(interface="wsgi")
    response = client.get("/env", errors_stream=errors, multithread=True, run_once=True)
    assert response.data == b"[True, False, True]"
    assert errors.getvalue() == "logged"

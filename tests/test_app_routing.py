"""Routing: converters, defaults, slashes, 404/405, HEAD/OPTIONS, registration, url_for."""

from __future__ import annotations

import uuid

import pytest

import carafe
from carafe import request, url_for
from carafe.routing import BaseConverter, ValidationError


def allow_set(response) -> set[str]:
    return {method.strip() for method in response.headers["Allow"].split(",")}


# ---------------------------------------------------------------------------
# Converters


def test_string_converter(app, client):
    @app.route("/user/<name>")
    def user(name):
        return f"{type(name).__name__}:{name}"

    assert client.get("/user/alice").data == b"str:alice"
    assert client.get("/user/caf%C3%A9").data == "str:caf\u00e9".encode()
    assert client.get("/user/a b").data == b"str:a b"
    assert client.get("/user/").status_code == 404
    assert client.get("/user/a/b").status_code == 404


def test_string_converter_length_arguments(app, client):
    @app.route("/code/<string(length=2):code>")
    def code(code):
        return code

    @app.route("/word/<string(minlength=2, maxlength=3):word>")
    def word(word):
        return word

    assert client.get("/code/fr").data == b"fr"
    assert client.get("/code/fra").status_code == 404
    assert client.get("/word/a").status_code == 404
    assert client.get("/word/abc").data == b"abc"
    assert client.get("/word/abcd").status_code == 404


def test_int_converter(app, client):
    @app.route("/item/<int:item_id>")
    def item(item_id):
        return f"{type(item_id).__name__}:{item_id}"

    assert client.get("/item/42").data == b"int:42"
    assert client.get("/item/007").data == b"int:7"
    assert client.get("/item/-1").status_code == 404
    assert client.get("/item/1.5").status_code == 404
    assert client.get("/item/abc").status_code == 404


def test_int_converter_arguments(app, client):
    @app.route("/signed/<int(signed=True):n>")
    def signed(n):
        return str(n)

    @app.route("/ranged/<int(min=1, max=10):n>")
    def ranged(n):
        return str(n)

    @app.route("/fixed/<int(fixed_digits=3):n>")
    def fixed(n):
        return str(n)

    assert client.get("/signed/-5").data == b"-5"
    assert client.get("/ranged/10").data == b"10"
    assert client.get("/ranged/11").status_code == 404
    assert client.get("/ranged/0").status_code == 404
    assert client.get("/fixed/012").data == b"12"
    assert client.get("/fixed/12").status_code == 404
    with app.test_request_context():
        assert url_for("fixed", n=7) == "/fixed/007"


def test_float_converter(app, client):
    @app.route("/price/<float:value>")
    def price(value):
        return f"{type(value).__name__}:{value}"

    assert client.get("/price/1.5").data == b"float:1.5"
    assert client.get("/price/10.25").data == b"float:10.25"
    assert client.get("/price/2").status_code == 404
    assert client.get("/price/-1.5").status_code == 404


def test_path_converter(app, client):
    @app.route("/files/<path:subpath>")
    def files(subpath):
        return subpath

    assert client.get("/files/a/b/c.txt").data == b"a/b/c.txt"
    assert client.get("/files/single").data == b"single"
    assert client.get("/files/").status_code == 404


def test_path_converter_in_the_middle(app, client):
    @app.route("/repo/<path:name>/edit")
    def edit(name):
        return name

    assert client.get("/repo/a/b/edit").data == b"a/b"


def test_uuid_converter(app, client):
    value = uuid.UUID("12345678-1234-5678-1234-567812345678")

    @app.route("/obj/<uuid:ident>")
    def obj(ident):
        assert isinstance(ident, uuid.UUID)
        return str(ident)

    assert client.get(f"/obj/{value}").data == str(value).encode()
    assert client.get("/obj/not-a-uuid").status_code == 404
    with app.test_request_context():
        assert url_for("obj", ident=value) == f"/obj/{value}"


def test_any_converter(app, client):
    @app.route("/<any(about, help, 'contact-us'):page>")
    def page(page):
        return page

    assert client.get("/about").data == b"about"
    assert client.get("/contact-us").data == b"contact-us"
    assert client.get("/other").status_code == 404
    with app.test_request_context():
        assert url_for("page", page="help") == "/help"


def test_several_converters_in_one_rule(app, client):
    @app.route("/<int:year>/<int:month>/<slug>")
    def post(year, month, slug):
        return f"{year}-{month}-{slug}"

    assert client.get("/2024/2/hello").data == b"2024-2-hello"


class ListConverter(BaseConverter):
    def to_python(self, value):
        return value.split(",")

    def to_url(self, value):
        return ",".join(str(item) for item in value)


def test_custom_converter(app, client):
    app.url_map.converters["list"] = ListConverter

    @app.route("/tags/<list:tags>")
    def tags(tags):
        return "|".join(tags)

    assert client.get("/tags/a,b,c").data == b"a|b|c"
    with app.test_request_context():
        assert url_for("tags", tags=["x", "y"]) == "/tags/x,y"


class EvenConverter(BaseConverter):
    regex = r"\d+"

    def to_python(self, value):
        number = int(value)
        if number % 2:
            raise ValidationError()
        return number


def test_custom_converter_validation_error_is_no_match(app, client):
    app.url_map.converters["even"] = EvenConverter

    @app.route("/n/<even:number>")
    def even(number):
        return f"even {number} {type(number).__name__}"

    assert client.get("/n/4").data == b"even 4 int"
    assert client.get("/n/5").status_code == 404


def test_custom_converter_with_regex_and_args(app, client):
    class RegexConverter(BaseConverter):
        def __init__(self, url_map, pattern):
            super().__init__(url_map)
            self.regex = pattern

    app.url_map.converters["re"] = RegexConverter

    @app.route("/hex/<re('[0-9a-f]+'):value>")
    def hexa(value):
        return value

    assert client.get("/hex/beef").data == b"beef"
    assert client.get("/hex/xyz").status_code == 404


def test_unknown_converter_is_an_error(app):
    with pytest.raises(LookupError):

        @app.route("/<nosuch:thing>")
        def view(thing):
            return thing


# ---------------------------------------------------------------------------
# Defaults, slashes, priorities


def test_defaults(app, client):
    @app.route("/page/", defaults={"number": 1})
    @app.route("/page/<int:number>")
    def page(number):
        return f"page {number}"

    assert client.get("/page/").data == b"page 1"
    assert client.get("/page/5").data == b"page 5"
    with app.test_request_context():
        assert url_for("page") == "/page/"
        assert url_for("page", number=3) == "/page/3"


def test_visiting_default_values_redirects_to_defaults_rule(app, client):
    @app.route("/page/", defaults={"number": 1})
    @app.route("/page/<int:number>")
    def page(number):
        return f"page {number}"

    response = client.get("/page/1")
    assert response.status_code == 308
    assert response.headers["Location"] == "http://localhost/page/"


def test_defaults_on_static_rule_without_argument(app, client):
    @app.route("/", defaults={"lang": "en"})
    def index(lang):
        return lang

    assert client.get("/").data == b"en"


def test_strict_slashes_redirects(app, client):
    @app.route("/folder/")
    def folder():
        return "folder"

    response = client.get("/folder")
    assert response.status == "308 PERMANENT REDIRECT"
    assert response.headers["Location"] == "http://localhost/folder/"
    assert client.get("/folder/").data == b"folder"


def test_strict_slashes_redirect_keeps_query_string(app, client):
    @app.route("/folder/")
    def folder():
        return "folder"

    response = client.get("/folder?a=1&b=two")
    assert response.status_code == 308
    assert response.headers["Location"] == "http://localhost/folder/?a=1&b=two"


def test_strict_slashes_redirect_on_dynamic_rule(app, client):
    @app.route("/user/<name>/")
    def user(name):
        return name

    response = client.get("/user/bob")
    assert response.status_code == 308
    assert response.headers["Location"] == "http://localhost/user/bob/"


def test_strict_slashes_redirect_for_post_keeps_method(app, client):
    @app.route("/submit/", methods=["POST"])
    def submit():
        return request.form["x"]

    response = client.post("/submit", data={"x": "kept"}, follow_redirects=True)
    assert response.status_code == 200
    assert response.data == b"kept"


def test_no_slash_rule_does_not_match_slash(app, client):
    @app.route("/file")
    def file():
        return "file"

    assert client.get("/file").status_code == 200
    assert client.get("/file/").status_code == 404


def test_strict_slashes_false(app, client):
    @app.route("/loose/", strict_slashes=False)
    def loose():
        return "loose"

    @app.route("/also", strict_slashes=False)
    def also():
        return "also"

    assert client.get("/loose").data == b"loose"
    assert client.get("/loose/").data == b"loose"
    assert client.get("/also").data == b"also"


def test_static_path_beats_dynamic(app, client):
    @app.route("/user/<name>")
    def user(name):
        return f"dynamic {name}"

    @app.route("/user/me")
    def me():
        return "static me"

    assert client.get("/user/me").data == b"static me"
    assert client.get("/user/you").data == b"dynamic you"


def test_int_rule_beats_string_rule(app, client):
    @app.route("/x/<name>")
    def by_name(name):
        return f"name {name}"

    @app.route("/x/<int:ident>")
    def by_id(ident):
        return f"id {ident}"

    assert client.get("/x/12").data == b"id 12"
    assert client.get("/x/abc").data == b"name abc"


def test_more_static_parts_win(app, client):
    @app.route("/<a>/<b>")
    def both(a, b):
        return "both"

    @app.route("/fixed/<b>")
    def fixed(b):
        return "fixed"

    assert client.get("/fixed/1").data == b"fixed"
    assert client.get("/other/1").data == b"both"


def test_path_rule_loses_to_specific_rule(app, client):
    @app.route("/<path:anything>")
    def catch_all(anything):
        return f"catch {anything}"

    @app.route("/api/<name>")
    def api(name):
        return f"api {name}"

    assert client.get("/api/x").data == b"api x"
    assert client.get("/api/x/y").data == b"catch api/x/y"


# ---------------------------------------------------------------------------
# 404, 405, HEAD, OPTIONS


def test_404(app, client):
    response = client.get("/missing")
    assert response.status == "404 NOT FOUND"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"<title>404 Not Found</title>" in response.data


def test_405_with_allow(app, client):
    @app.route("/only-post", methods=["POST"])
    def only_post():
        return "posted"

    response = client.get("/only-post")
    assert response.status == "405 METHOD NOT ALLOWED"
    assert allow_set(response) == {"POST", "OPTIONS"}
    assert b"<title>405 Method Not Allowed</title>" in response.data
    assert client.post("/only-post").data == b"posted"


def test_405_allow_collects_methods_of_all_rules(app, client):
    @app.route("/thing", methods=["POST"])
    def create():
        return "c"

    @app.route("/thing", methods=["PUT"])
    def replace():
        return "r"

    response = client.delete("/thing")
    assert response.status_code == 405
    assert allow_set(response) == {"POST", "PUT", "OPTIONS"}
    assert client.put("/thing").data == b"r"


def test_405_on_dynamic_rule(app, client):
    @app.route("/obj/<int:ident>", methods=["DELETE"])
    def remove(ident):
        return "gone"

    response = client.get("/obj/1")
    assert response.status_code == 405
    assert allow_set(response) == {"DELETE", "OPTIONS"}


def test_automatic_head(app, client):
    @app.route("/")
    def index():
        return "body"

    response = client.head("/")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == "4"


def test_automatic_options(app, client):
    @app.route("/", methods=["GET", "POST"])
    def index():
        return "body"

    response = client.options("/")
    assert response.status_code == 200
    assert allow_set(response) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert response.data == b""


def test_automatic_options_does_not_call_view(app, client):
    called = []

    @app.route("/")
    def index():
        called.append(True)
        return "body"

    client.options("/")
    assert called == []


def test_options_lists_methods_of_all_matching_rules(app, client):
    @app.route("/r", methods=["GET"])
    def read():
        return "r"

    @app.route("/r", methods=["PATCH"])
    def patch():
        return "p"

    assert allow_set(client.options("/r")) == {"GET", "HEAD", "PATCH", "OPTIONS"}


def test_explicit_options_handler(app, client):
    @app.route("/", methods=["GET", "OPTIONS"])
    def index():
        if request.method == "OPTIONS":
            return "custom options", 200, {"X-Custom": "1"}
        return "get"

    response = client.options("/")
    assert response.data == b"custom options"
    assert response.headers["X-Custom"] == "1"


def test_provide_automatic_options_false(app, client):
    @app.route("/", provide_automatic_options=False)
    def index():
        return "x"

    assert client.options("/").status_code == 405


def test_head_not_allowed_on_post_only(app, client):
    @app.route("/p", methods=["POST"])
    def post_only():
        return "x"

    assert client.head("/p").status_code == 405


def test_methods_are_case_insensitive(app, client):
    @app.route("/", methods=["post"])
    def index():
        return request.method

    assert client.post("/").data == b"POST"


def test_methods_as_string_is_a_type_error(app):
    with pytest.raises(TypeError):
        app.route("/", methods="POST")(lambda: "x")


# ---------------------------------------------------------------------------
# Registration


@pytest.mark.parametrize("method", ["get", "post", "put", "delete", "patch"])
def test_method_shortcuts(app, client, method):
    @getattr(app, method)("/m")
    def view():
        return request.method

    response = client.open("/m", method=method.upper())
    assert response.status_code == 200
    assert response.data == method.upper().encode()
    other = "POST" if method == "get" else "GET"
    assert client.open("/m", method=other).status_code == 405


def test_method_shortcut_rejects_methods(app):
    with pytest.raises(TypeError):
        app.get("/", methods=["POST"])


def test_add_url_rule(app, client):
    def hello():
        return "hello"

    app.add_url_rule("/hello", "greeting", hello)
    assert client.get("/hello").data == b"hello"
    assert app.view_functions["greeting"] is hello
    with app.test_request_context():
        assert url_for("greeting") == "/hello"


def test_add_url_rule_endpoint_from_function_name(app, client):
    def my_view():
        return "mine"

    app.add_url_rule("/mine", view_func=my_view, methods=["GET", "POST"])
    assert client.post("/mine").data == b"mine"
    assert "my_view" in app.view_functions


def test_add_url_rule_then_endpoint_decorator(app, client):
    app.add_url_rule("/later", "later_view")

    @app.endpoint("later_view")
    def later():
        return "later"

    assert client.get("/later").data == b"later"


def test_route_endpoint_argument(app, client):
    @app.route("/named", endpoint="custom_name")
    def some_function():
        return "n"

    assert "custom_name" in app.view_functions
    with app.test_request_context():
        assert url_for("custom_name") == "/named"


def test_endpoint_conflict(app):
    @app.route("/a")
    def view():
        return "a"

    with pytest.raises(AssertionError, match="overwriting an existing endpoint"):

        @app.route("/b", endpoint="view")
        def other_view():
            return "b"


def test_same_function_on_two_rules(app, client):
    @app.route("/one")
    @app.route("/two")
    def both():
        return request.path

    assert client.get("/one").data == b"/one"
    assert client.get("/two").data == b"/two"


def test_view_args_rule_and_endpoint(app, client):
    @app.route("/u/<int:uid>")
    def user(uid):
        return {
            "view_args": request.view_args,
            "rule": request.url_rule.rule,
            "endpoint": request.endpoint,
        }

    assert client.get("/u/9").json == {
        "view_args": {"uid": 9},
        "rule": "/u/<int:uid>",
        "endpoint": "user",
    }


def test_registration_after_first_request_fails(app, client):
    @app.route("/")
    def index():
        return "x"

    client.get("/")
    with pytest.raises(AssertionError):
        app.add_url_rule("/late", "late", lambda: "late")


def test_url_map_iter_rules(app):
    @app.route("/a")
    def a():
        return "a"

    rules = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    assert rules["/a"] == "a"


# ---------------------------------------------------------------------------
# url_for


@pytest.fixture
def url_app(app):
    @app.route("/")
    def index():
        return "index"

    @app.route("/user/<name>")
    def user(name):
        return name

    @app.route("/post/<int:post_id>")
    def post(post_id):
        return str(post_id)

    @app.route("/files/<path:subpath>")
    def files(subpath):
        return subpath

    @app.route("/items", methods=["GET"], endpoint="items")
    @app.route("/items/new", methods=["POST"], endpoint="items")
    def items():
        return request.method

    return app


def test_url_for_basic(url_app):
    with url_app.test_request_context():
        assert url_for("index") == "/"
        assert url_for("user", name="alice") == "/user/alice"
        assert url_for("post", post_id=7) == "/post/7"
        assert url_for("files", subpath="a/b c.txt") == "/files/a/b%20c.txt"


def test_url_for_quotes_arguments(url_app):
    with url_app.test_request_context():
        assert url_for("user", name="a b/c") == "/user/a%20b/c"
        assert url_for("user", name="caf\u00e9") == "/user/caf%C3%A9"


def test_url_for_extra_args_become_query(url_app):
    with url_app.test_request_context():
        assert url_for("index", q="a b", page=2) == "/?q=a+b&page=2"
        assert url_for("user", name="bob", tab="x") == "/user/bob?tab=x"
        assert url_for("index", tag=["a", "b"]) == "/?tag=a&tag=b"
        assert url_for("index", skipped=None) == "/"


def test_url_for_external(url_app):
    with url_app.test_request_context():
        assert url_for("user", name="x", _external=True) == "http://localhost/user/x"
    with url_app.test_request_context(base_url="https://example.org:8443/root"):
        assert url_for("index", _external=True) == "https://example.org:8443/root/"
        assert url_for("index") == "/root/"


def test_url_for_anchor(url_app):
    with url_app.test_request_context():
        assert url_for("index", _anchor="top") == "/#top"
        assert url_for("index", _anchor="a b") == "/#a%20b"
        assert url_for("user", name="x", q="1", _anchor="s") == "/user/x?q=1#s"


def test_url_for_method(url_app):
    with url_app.test_request_context():
        assert url_for("items", _method="GET") == "/items"
        assert url_for("items", _method="POST") == "/items/new"


def test_url_for_scheme(url_app):
    with url_app.test_request_context():
        assert url_for("index", _scheme="https", _external=True) == "https://localhost/"
        with pytest.raises(ValueError):
            url_for("index", _scheme="https", _external=False)


def test_url_for_missing_argument_is_a_build_error(url_app):
    with url_app.test_request_context(), pytest.raises(LookupError):
        url_for("user")


def test_url_for_unknown_endpoint_is_a_build_error(url_app):
    with url_app.test_request_context(), pytest.raises(LookupError):
        url_for("nope")


def test_url_for_in_a_view(url_app):
    @url_app.route("/links")
    def links():
        return url_for("user", name="z", _external=True)

    client = url_app.test_client()
    assert client.get("/links").data == b"http://localhost/user/z"
    assert client.get("/links", base_url="https://secure.example").data == (
        b"https://secure.example/user/z"
    )


def test_url_for_outside_request_without_server_name(url_app):
    with url_app.app_context(), pytest.raises(RuntimeError):
        url_for("index")


def test_url_for_outside_request_with_server_name(url_app):
    url_app.config["SERVER_NAME"] = "example.com"
    with url_app.app_context():
        assert url_for("user", name="x") == "http://example.com/user/x"
        assert url_for("index", _external=False) == "/"
    url_app.config["PREFERRED_URL_SCHEME"] = "https"
    url_app.config["APPLICATION_ROOT"] = "/app"
    with url_app.app_context():
        assert url_for("index") == "https://example.com/app/"


def test_url_for_outside_app_context(url_app):
    with pytest.raises(RuntimeError):
        url_for("index")


def test_app_url_for_method(url_app):
    url_app.config["SERVER_NAME"] = "example.com"
    with url_app.app_context():
        assert url_app.url_for("post", post_id=3) == "http://example.com/post/3"


def test_url_for_takes_a_self_argument(app):
    # (app.url_for's own self is positional-only, as Flask's.)
    @app.route("/<self>")
    def index(self: str) -> str:
        return self

    with app.test_request_context():
        assert url_for("index", self="2") == "/2"
        assert app.url_for("index", self="3") == "/3"


def test_repeated_slashes_redirect_to_the_merged_url_as_in_flask(app, client):
    import flask

    def build(module):
        application = module.Flask(__name__)
        application.add_url_rule("/a/b", "ab", lambda: "ab")
        application.add_url_rule("/u/<int:number>", "u", lambda number: str(number))
        return application.test_client()

    for path in ("/a//b", "/a///b/", "/u//3", "/nothing//here"):
        theirs, ours = build(flask).get(path), build(carafe).get(path)
        assert ours.status_code == theirs.status_code, path
        assert ours.headers.get("Location") == theirs.headers.get("Location"), path
    assert build(carafe).get("/a//b", follow_redirects=True).data == b"ab"


def test_werkzeug_rules_and_endpoint_expecting(app, client):
    werkzeug_routing = pytest.importorskip("werkzeug.routing")
    app.url_map.add(werkzeug_routing.Rule("/foo/<int:number>", endpoint="bar"))

    @app.endpoint("bar")
    def bar(number):
        return f"bar {number}"

    assert client.get("/foo/3").data == b"bar 3"
    assert app.url_map.is_endpoint_expecting("bar", "number")
    assert not app.url_map.is_endpoint_expecting("bar", "number", "other")
    assert not app.url_map.is_endpoint_expecting("missing", "number")

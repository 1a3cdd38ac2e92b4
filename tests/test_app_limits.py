"""Limits on by default, each at the limit and one past it (WSGI and ASGI); the Host check."""

from __future__ import annotations

import io

import pytest

import carafe
from carafe import request, url_for
from carafe.http.hosts import host_is_trusted, parse_host
from carafe.http.nesting import json_depth_exceeds, json_nesting_depth


@pytest.fixture
def quiet_app() -> carafe.Flask:
    """An app whose errors are answered (not raised), as in production."""
    return carafe.Flask("limits")


# -- the body --------------------------------------------------------------------------


def test_default_body_limit_is_16_mib(quiet_app):
    @quiet_app.route("/", methods=["POST"])
    def view():
        return str(len(request.get_data()))

    client = quiet_app.test_client()
    limit = 16 * 1024 * 1024
    response = client.post("/", data=b"x" * limit, content_type="application/octet-stream")
    assert (response.status_code, response.data) == (200, str(limit).encode())
    response = client.post("/", data=b"x" * (limit + 1), content_type="application/octet-stream")
    assert response.status_code == 413


def test_body_limit_none_lifts_it(quiet_app):
    quiet_app.config["MAX_CONTENT_LENGTH"] = None

    @quiet_app.route("/", methods=["POST"])
    def view():
        return str(len(request.get_data()))

    size = 16 * 1024 * 1024 + 1
    response = quiet_app.test_client().post("/", data=b"x" * size)
    assert (response.status_code, response.data) == (200, str(size).encode())


def test_body_over_the_limit_is_413_before_it_is_read(quiet_app):
    quiet_app.config["MAX_CONTENT_LENGTH"] = 10

    @quiet_app.route("/", methods=["POST"])
    def view():
        return request.get_data()

    client = quiet_app.test_client()
    assert client.post("/", data=b"x" * 10).data == b"x" * 10
    assert client.post("/", data=b"x" * 11).status_code == 413


# -- forms -----------------------------------------------------------------------------


def test_multipart_parts_at_the_limit_and_past_it(quiet_app):
    quiet_app.config["MAX_FORM_PARTS"] = 5

    @quiet_app.route("/", methods=["POST"])
    def view():
        return str(len(request.form) + len(request.files))

    client = quiet_app.test_client()
    fields = {f"f{index}": (io.BytesIO(b"x"), f"{index}.txt") for index in range(5)}
    assert client.post("/", data=fields).data == b"5"
    fields = {f"f{index}": (io.BytesIO(b"x"), f"{index}.txt") for index in range(6)}
    assert client.post("/", data=fields).status_code == 413


def test_form_memory_at_the_limit_and_past_it(quiet_app):
    quiet_app.config["MAX_FORM_MEMORY_SIZE"] = 100

    @quiet_app.route("/", methods=["POST"])
    def view():
        return str(len(request.form["a"]))

    client = quiet_app.test_client()
    urlencoded = "application/x-www-form-urlencoded"
    assert client.post("/", data=b"a=" + b"x" * 98, content_type=urlencoded).data == b"98"
    assert client.post("/", data=b"a=" + b"x" * 99, content_type=urlencoded).status_code == 413
    # Multipart (a file part makes the test client send one): the field is bounded too.
    fields = {"a": "x" * 100, "f": (io.BytesIO(b"y" * 1000), "f.txt")}
    assert client.post("/", data=fields).data == b"100"
    fields = {"a": "x" * 101, "f": (io.BytesIO(b"y" * 1000), "f.txt")}
    assert client.post("/", data=fields).status_code == 413


def test_urlencoded_fields_at_the_limit_and_past_it(quiet_app):
    quiet_app.config["MAX_FORM_PARTS"] = 3

    @quiet_app.route("/", methods=["POST"])
    def view():
        return str(len(request.form))

    client = quiet_app.test_client()
    urlencoded = "application/x-www-form-urlencoded"
    assert client.post("/", data=b"a=1&b=2&c=3", content_type=urlencoded).data == b"3"
    assert client.post("/", data=b"a=1&b=2&c=3&d=4", content_type=urlencoded).status_code == 413


# -- the URL and the query string --------------------------------------------------------


def test_url_length_at_the_limit_and_past_it(quiet_app):
    quiet_app.config["MAX_URL_LENGTH"] = 20

    @quiet_app.route("/<path:rest>")
    def view(rest):
        return dict(request.args)

    client = quiet_app.test_client()
    # The path is checked when routed, with the query string when request.args reads it.
    # The "?" is not counted: path and query, 12 + 8 = 20.
    assert client.get("/" + "a" * 11 + "?q=123456").status_code == 200
    assert client.get("/" + "a" * 11 + "?q=1234567").status_code == 414
    assert client.get("/" + "a" * 19).status_code == 200
    assert client.get("/" + "a" * 19 + "?q").status_code == 414
    response = client.get("/" + "a" * 20)
    assert response.status_code == 414
    assert b"414 Request URI Too Long" in response.data


def test_default_url_length_is_8192(quiet_app):
    @quiet_app.route("/<path:rest>")
    def view(rest):
        return "ok"

    client = quiet_app.test_client()
    assert client.get("/" + "a" * 8191).status_code == 200
    assert client.get("/" + "a" * 8192).status_code == 414
    quiet_app.config["MAX_URL_LENGTH"] = None
    assert client.get("/" + "a" * 20_000).status_code == 200


def test_query_fields_at_the_limit_and_past_it(quiet_app):
    quiet_app.config["MAX_QUERY_FIELDS"] = 3

    @quiet_app.route("/")
    def view():
        return str(len(request.args))

    client = quiet_app.test_client()
    assert client.get("/?a=1&b=2&c=3").data == b"3"
    assert client.get("/?a=1&b=2&c=3&d=4").status_code == 414
    # A view that never reads the query string is not refused for it.
    quiet_app.view_functions["view"] = lambda: "untouched"
    assert client.get("/?a=1&b=2&c=3&d=4").data == b"untouched"


def test_default_query_fields_is_1000(quiet_app):
    @quiet_app.route("/")
    def view():
        return str(len(request.args))

    client = quiet_app.test_client()
    assert client.get("/?" + "&".join(f"f{n}=1" for n in range(1000))).data == b"1000"
    assert client.get("/?" + "&".join(f"f{n}=1" for n in range(1001))).status_code == 414


# -- JSON ------------------------------------------------------------------------------


def test_json_size_at_the_limit_and_past_it(quiet_app):
    quiet_app.config["MAX_JSON_SIZE"] = 12

    @quiet_app.route("/", methods=["POST"])
    def view():
        return {"got": request.get_json()}

    client = quiet_app.test_client()
    assert client.post("/", data=b'"1234567890"', content_type="application/json").json == {
        "got": "1234567890"
    }
    response = client.post("/", data=b'"12345678901"', content_type="application/json")
    assert response.status_code == 413


def test_json_size_applies_to_a_body_read_first(quiet_app):
    quiet_app.config["MAX_JSON_SIZE"] = 4

    @quiet_app.route("/", methods=["POST"])
    def view():
        request.get_data()
        return {"got": request.get_json()}

    response = quiet_app.test_client().post("/", data=b"12345", content_type="application/json")
    assert response.status_code == 413


def test_default_json_size_is_1_mib(quiet_app):
    @quiet_app.route("/", methods=["POST"])
    def view():
        return str(len(request.json))

    client = quiet_app.test_client()
    limit = 1024 * 1024
    body = b'"' + b"x" * (limit - 2) + b'"'
    assert client.post("/", data=body, content_type="application/json").data == b"1048574"
    body = b'"' + b"x" * (limit - 1) + b'"'
    assert client.post("/", data=body, content_type="application/json").status_code == 413


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_depth_at_the_limit_and_past_it(quiet_app, opening):
    closing = "]" if opening == "[" else "}"

    @quiet_app.route("/", methods=["POST"])
    def view():
        return {"silent": request.get_json(silent=True) is None, "value": request.json}

    client = quiet_app.test_client()
    at_limit = opening * 100 + "1" + closing * 100
    response = client.post("/", data=at_limit, content_type="application/json")
    assert response.status_code == 200
    assert response.json["silent"] is False
    past = opening * 101 + "1" + closing * 101
    response = client.post("/", data=past, content_type="application/json")
    assert response.status_code == 400


def test_json_depth_silent_is_none(quiet_app):
    @quiet_app.route("/", methods=["POST"])
    def view():
        return {"value": request.get_json(silent=True)}

    body = "[" * 101 + "]" * 101
    response = quiet_app.test_client().post("/", data=body, content_type="application/json")
    assert response.json == {"value": None}


def test_json_depth_counts_structure_not_strings(quiet_app):
    quiet_app.config["MAX_JSON_DEPTH"] = 2

    @quiet_app.route("/", methods=["POST"])
    def view():
        return {"value": request.json}

    client = quiet_app.test_client()
    body = '[["[[[[\\"[[[", {"a": "{{{{"}]]'
    response = client.post("/", data=body, content_type="application/json")
    assert response.status_code == 400  # three levels: [[ and the object
    body = '[["[[[[\\"[[[", "{{{{"], [1, 2], [3]]'
    response = client.post("/", data=body, content_type="application/json")
    assert response.json == {"value": [['[[[["[[[', "{{{{"], [1, 2], [3]]}
    quiet_app.config["MAX_JSON_DEPTH"] = None
    body = "[" * 500 + "]" * 500
    assert client.post("/", data=body, content_type="application/json").status_code == 200


@pytest.mark.parametrize(
    ("data", "depth"),
    [
        (b"1", 0),
        (b'"[[["', 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b"[[], [], [[]]]", 3),
        (b'["\\\\", ["\\""]]', 2),
        (b"[[[", 3),
        (b"]]][", 0),  # invalid JSON: refused by the parser, whatever its depth
        (b'"unterminated [[', 2),
    ],
)
def test_json_nesting_depth(data, depth):
    assert json_nesting_depth(data) == depth
    assert json_depth_exceeds(data, depth) is False
    if depth > 0:
        assert json_depth_exceeds(data, depth - 1) is True


# -- Host ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "example.com/abc?x=",
        "a.example,b.example",
        "a.example, b.example",
        "a b",
        "exa_mple.com",
        "example.com:abc",
        "example.com:",
        "example.com:0",
        "example.com:65536",
        "example.com:080",
        "user@example.com",
        "ex%41mple.com",
        "caf\u00e9.example",
        "[zz]",
        "[::1",
        "example.com\\x",
        "a" * 254,
    ],
)
def test_invalid_host_is_400(quiet_app, host):
    @quiet_app.route("/whoami")
    def whoami():
        return request.url

    response = quiet_app.test_client().get("/whoami", headers={"Host": host})
    assert response.status_code == 400
    assert host.encode() not in response.data


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("example.com", "example.com"),
        ("example.com:80", "example.com"),
        ("example.com:8080", "example.com:8080"),
        ("EXAMPLE.com:65535", "EXAMPLE.com:65535"),
        ("1.2.3.4", "1.2.3.4"),
        ("[::1]:5000", "[::1]:5000"),
        ("[::ffff:1.2.3.4]", "[::ffff:1.2.3.4]"),
        ("localhost", "localhost"),
    ],
)
def test_valid_host(quiet_app, header, host):
    @quiet_app.route("/whoami")
    def whoami():
        return {
            "host": request.host,
            "url": request.url,
            "external": url_for("whoami", _external=True),
        }

    response = quiet_app.test_client().get("/whoami", headers={"Host": header})
    assert response.json == {
        "host": host,
        "url": f"http://{host}/whoami",
        "external": f"http://{host}/whoami",
    }


def test_two_host_headers_are_400_on_asgi_and_wsgi(quiet_app, interface):
    @quiet_app.route("/")
    def index():
        return request.host

    headers = [("Host", "a.example"), ("Host", "b.example")]
    response = quiet_app.test_client().get("/", headers=headers)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("protocol", "host", "expected"),
    [
        ("HTTP/1.1", None, "400"),
        ("HTTP/1.1", "", "400"),
        ("HTTP/1.0", None, "internal:8080"),
        ("HTTP/2", None, "internal:8080"),
    ],
    ids=["http11-no-host", "http11-empty-host", "http10-no-host", "http2-no-host"],
)
def test_http11_request_without_host_is_400(quiet_app, protocol, host, expected):
    # RFC 9112 3.2: an HTTP/1.1 request with no Host header is a 400 (Flask answers it
    # from SERVER_NAME), and so is an empty one (an http URL always has a host);
    # HTTP/1.0 and HTTP/2 (whose :authority some servers keep out of the headers)
    # fall back to SERVER_NAME:SERVER_PORT.
    @quiet_app.route("/")
    def index():
        return request.host

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "internal",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": protocol,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
    }
    if host is not None:
        environ["HTTP_HOST"] = host
    statuses = []
    body = b"".join(quiet_app(environ, lambda status, headers: statuses.append(status)))
    if expected == "400":
        assert statuses == ["400 BAD REQUEST"]
        assert b"Host header" in body
    else:
        assert statuses == ["200 OK"]
        assert body == expected.encode()


def test_invalid_host_does_not_redirect_anywhere(quiet_app):
    @quiet_app.route("/folder/")
    def folder():
        return "folder"

    response = quiet_app.test_client().get("/folder", headers={"Host": "evil.example/x?"})
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_trusted_hosts(quiet_app):
    quiet_app.config["TRUSTED_HOSTS"] = ["good.example", ".trusted.example"]

    @quiet_app.route("/")
    def index():
        return request.host

    client = quiet_app.test_client()
    for host in ("good.example", "GOOD.example:8000", "trusted.example", "a.b.trusted.example"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    for host in ("evil.example", "good.example.evil", "nottrusted.example", "localhost"):
        assert client.get("/", headers={"Host": host}).status_code == 400, host
    quiet_app.config["TRUSTED_HOSTS"] = None
    assert client.get("/", headers={"Host": "evil.example"}).data == b"evil.example"


def test_external_urls_name_server_name_not_the_clients_host(quiet_app):
    quiet_app.config["SERVER_NAME"] = "good.example:8000"

    @quiet_app.route("/u")
    def u():
        return url_for("u", _external=True)

    response = quiet_app.test_client().get("/u", headers={"Host": "evil.example"})
    assert response.data == b"http://good.example:8000/u"


@pytest.mark.parametrize("path", ["//evil.example", "///evil.example", "/\\evil.example"])
def test_trailing_slash_redirect_is_never_an_open_redirect(quiet_app, path):
    @quiet_app.route("/<path:anything>/")
    def folder(anything):
        return anything

    # The path as the server hands it over (the test client would read "//x" as a host).
    response = quiet_app.test_client().get(
        "/", headers={"Host": "good.example"}, environ_overrides={"PATH_INFO": path}
    )
    assert response.status_code == 308
    location = response.headers["Location"]
    # Absolute, on the request's own (validated) host: never "//evil.example/".
    assert location.startswith("http://good.example/"), location


@pytest.mark.parametrize(
    ("host", "trusted", "expected"),
    [
        ("example.com", ["example.com"], True),
        ("example.com:8080", ["example.com"], True),
        ("example.com", ["example.com:8080"], True),
        ("Example.COM", ["example.com"], True),
        ("a.example.com", [".example.com"], True),
        ("example.com", [".example.com"], True),
        ("badexample.com", [".example.com"], False),
        ("xn--bcher-kva.example", ["b\u00fccher.example"], True),
        ("[::1]:80", ["::1"], True),
        ("[::1]", ["[::1]"], True),
        ("[::2]", ["[::1]"], False),
        ("evil.com", ["example.com"], False),
        ("example.com.evil.com", ["example.com"], False),
    ],
)
def test_host_is_trusted(host, trusted, expected):
    assert host_is_trusted(host, trusted) is expected


def test_parse_host_drops_the_default_port_of_the_scheme():
    assert parse_host("example.com:443", "https") == "example.com"
    assert parse_host("example.com:443", "http") == "example.com:443"
    assert parse_host("example.com:80", "ws") == "example.com"
    assert parse_host("[::1]:443", "https") == "[::1]"
    assert parse_host("example.com/x") is None

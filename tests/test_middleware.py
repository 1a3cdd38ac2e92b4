"""ProxyFix and ProxyFixASGI: Werkzeug's trust rules, validated values, both interfaces."""

from __future__ import annotations

import asyncio
import itertools
import random
from typing import Any

import httpx
import pytest
from werkzeug.middleware.proxy_fix import ProxyFix as WerkzeugProxyFix

import carafe
from carafe.middleware import ProxyFix, ProxyFixASGI, split_header_list

# The environ keys either middleware may set; PATH_INFO must be left alone by both.
COMPARED_KEYS = (
    "REMOTE_ADDR",
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "PATH_INFO",
)
HOPS = ("x_for", "x_proto", "x_host", "x_port", "x_prefix")
HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
)
# Valid values only: on those both middlewares must agree exactly.
FORWARDED_VALUES: dict[str, list[str | None]] = {
    "HTTP_X_FORWARDED_FOR": [
        None,
        "",
        "203.0.113.9",
        "198.51.100.1, 203.0.113.9",
        "198.51.100.1,203.0.113.9 , 192.0.2.7",
        "2001:db8::1, ::1",
        '"198.51.100.1", 203.0.113.9',
        "198.51.100.1,, 203.0.113.9,",
        "10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4",
    ],
    "HTTP_X_FORWARDED_PROTO": [None, "https", "http", "http, https", "https,http", "wss"],
    "HTTP_X_FORWARDED_HOST": [
        None,
        "example.com",
        "example.com:8443",
        "outer.example, inner.example:81",
        "[::1]",
        "[2001:db8::1]:8080",
        "127.0.0.1:5000",
        "a.example,b.example,c.example",
    ],
    "HTTP_X_FORWARDED_PORT": [None, "443", "8080, 443", "1, 2, 3"],
    "HTTP_X_FORWARDED_PREFIX": [None, "/app", "/app/", "/outer, /inner", "/", "/a/b/c"],
}
BASE_ENVIRONS: list[dict[str, Any]] = [
    {"HTTP_HOST": "internal:8000", "SERVER_NAME": "internal", "SERVER_PORT": "8000"},
    {"HTTP_HOST": "localhost", "SERVER_NAME": "localhost", "SERVER_PORT": "80"},
    {"SERVER_NAME": "bare", "SERVER_PORT": "8000"},
    {"HTTP_HOST": "[::1]:8000", "SERVER_NAME": "::1", "SERVER_PORT": "8000"},
    {"HTTP_HOST": "[::1]", "SERVER_NAME": "::1", "SERVER_PORT": "80", "SCRIPT_NAME": "/mount"},
]


def make_environ(base: dict[str, Any], headers: dict[str, str | None]) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/here",
        **base,
    }
    environ.update({name: value for name, value in headers.items() if value is not None})
    return environ


def seen_by_app(middleware: type[Any], environ: dict[str, Any], **hops: int) -> dict[str, Any]:
    """The environ the wrapped app receives from ``middleware``."""
    seen: dict[str, Any] = {}

    def inner(env: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(env)
        return []

    middleware(inner, **hops)(dict(environ), None)
    return seen


def assert_same_as_werkzeug(environ: dict[str, Any], hops: dict[str, int]) -> None:
    ours = seen_by_app(ProxyFix, environ, **hops)
    theirs = seen_by_app(WerkzeugProxyFix, environ, **hops)
    context = f"hops={hops} environ={environ}"
    for key in COMPARED_KEYS:
        assert ours.get(key) == theirs.get(key), f"{key}: {context}"
    assert ours["werkzeug.proxy_fix.orig"] == theirs["werkzeug.proxy_fix.orig"], context
    assert ours["carafe.proxy_fix.orig"] == theirs["werkzeug.proxy_fix.orig"], context


# -- differential: the same environ as Werkzeug's ProxyFix --------------------


@pytest.mark.parametrize("header", HEADERS)
@pytest.mark.parametrize("base", BASE_ENVIRONS)
def test_each_header_alone_matches_werkzeug(header: str, base: dict[str, Any]) -> None:
    hop_name = HOPS[HEADERS.index(header)]
    for value, hops in itertools.product(FORWARDED_VALUES[header], range(5)):
        # The other headers' defaults (x_for=1, x_proto=1) stay on; their headers are absent.
        assert_same_as_werkzeug(make_environ(base, {header: value}), {hop_name: hops})


def test_header_combinations_match_werkzeug() -> None:
    chooser = random.Random(20240531)
    for _ in range(3000):
        headers = {name: chooser.choice(values) for name, values in FORWARDED_VALUES.items()}
        hops = {name: chooser.randrange(4) for name in HOPS}
        assert_same_as_werkzeug(make_environ(chooser.choice(BASE_ENVIRONS), headers), hops)


def test_all_trusted_headers_together_match_werkzeug() -> None:
    environ = make_environ(
        BASE_ENVIRONS[0],
        {
            "HTTP_X_FORWARDED_FOR": "192.0.2.1, 198.51.100.1, 203.0.113.9",
            "HTTP_X_FORWARDED_PROTO": "http, https",
            "HTTP_X_FORWARDED_HOST": "example.com:8443, lb.internal",
            "HTTP_X_FORWARDED_PORT": "8443, 80",
            "HTTP_X_FORWARDED_PREFIX": "/app, /",
        },
    )
    hops = dict.fromkeys(HOPS, 2)
    assert_same_as_werkzeug(environ, hops)
    seen = seen_by_app(ProxyFix, environ, **hops)
    assert seen["REMOTE_ADDR"] == "198.51.100.1"
    assert seen["wsgi.url_scheme"] == "http"
    assert seen["HTTP_HOST"] == "example.com:8443"
    assert (seen["SERVER_NAME"], seen["SERVER_PORT"]) == ("example.com", "8443")
    assert seen["SCRIPT_NAME"] == "/app"


def test_defaults_are_werkzeugs() -> None:
    fix = ProxyFix(carafe.Flask("defaults"))
    assert (fix.x_for, fix.x_proto, fix.x_host, fix.x_port, fix.x_prefix) == (1, 1, 0, 0, 0)
    asgi_fix = ProxyFixASGI(carafe.Flask("defaults").asgi)
    assert (asgi_fix.x_for, asgi_fix.x_proto, asgi_fix.x_host) == (1, 1, 0)


@pytest.mark.parametrize("hops", [-1, 1.5, "1"])
def test_bad_hop_counts_are_refused(hops: Any) -> None:
    with pytest.raises(ValueError, match="x_host must be a number of proxies"):
        ProxyFix(carafe.Flask("bad"), x_host=hops)


def test_list_splitting_matches_werkzeugs_items() -> None:
    assert split_header_list(' "a,b" , c,, d ,') == ["a,b", "c", "d"]
    assert split_header_list('"a\\"b", x') == ['a"b', "x"]
    assert split_header_list(" , ") == []


# -- SECURITY: what Werkzeug would trust and Carafe refuses --------------------

INVALID_VALUES = [
    ("HTTP_X_FORWARDED_FOR", "x_for", "not-an-address"),
    ("HTTP_X_FORWARDED_FOR", "x_for", "203.0.113.9\r\nX-Injected: 1"),
    ("HTTP_X_FORWARDED_FOR", "x_for", "fe80::1%eth0\r\n"),
    ("HTTP_X_FORWARDED_FOR", "x_for", "<script>"),
    ("HTTP_X_FORWARDED_FOR", "x_for", "203.0.113.9:4711"),
    ("HTTP_X_FORWARDED_PROTO", "x_proto", "javascript"),
    ("HTTP_X_FORWARDED_PROTO", "x_proto", "https\r\n"),
    ("HTTP_X_FORWARDED_HOST", "x_host", "evil.example\r\nSet-Cookie: a=b"),
    ("HTTP_X_FORWARDED_HOST", "x_host", "evil.example/path"),
    ("HTTP_X_FORWARDED_HOST", "x_host", "user@evil.example"),
    ("HTTP_X_FORWARDED_HOST", "x_host", "evil example"),
    ("HTTP_X_FORWARDED_HOST", "x_host", "example.com:99999"),
    ("HTTP_X_FORWARDED_HOST", "x_host", "example.com:８０"),
    ("HTTP_X_FORWARDED_HOST", "x_host", "exämple.com"),
    ("HTTP_X_FORWARDED_HOST", "x_host", "[::1"),
    ("HTTP_X_FORWARDED_PORT", "x_port", "https"),
    ("HTTP_X_FORWARDED_PORT", "x_port", "65536"),
    ("HTTP_X_FORWARDED_PORT", "x_port", "-1"),
    ("HTTP_X_FORWARDED_PORT", "x_port", "８０"),
    ("HTTP_X_FORWARDED_PREFIX", "x_prefix", "//evil.example"),
    ("HTTP_X_FORWARDED_PREFIX", "x_prefix", "/a//b"),
    ("HTTP_X_FORWARDED_PREFIX", "x_prefix", "relative"),
    ("HTTP_X_FORWARDED_PREFIX", "x_prefix", "/app\r\n"),
    ("HTTP_X_FORWARDED_PREFIX", "x_prefix", "/app?x=1"),
    ("HTTP_X_FORWARDED_PREFIX", "x_prefix", "/app\\evil"),
]


@pytest.mark.parametrize(("header", "hop_name", "value"), INVALID_VALUES)
def test_invalid_trusted_values_are_ignored(header: str, hop_name: str, value: str) -> None:
    environ = make_environ(BASE_ENVIRONS[0], {header: value})
    seen = seen_by_app(ProxyFix, environ, **{hop_name: 1})
    for key in COMPARED_KEYS:
        assert seen.get(key) == environ.get(key), key


def test_an_invalid_value_is_not_replaced_by_its_neighbour() -> None:
    environ = make_environ(BASE_ENVIRONS[0], {"HTTP_X_FORWARDED_FOR": "203.0.113.9, garbage"})
    assert seen_by_app(ProxyFix, environ, x_for=1)["REMOTE_ADDR"] == "127.0.0.1"


def test_proto_is_lowercased() -> None:
    environ = make_environ(BASE_ENVIRONS[0], {"HTTP_X_FORWARDED_PROTO": "HTTPS"})
    assert seen_by_app(ProxyFix, environ)["wsgi.url_scheme"] == "https"


# -- through a Carafe app and its test client ---------------------------------


def proxied_app(**hops: int) -> carafe.Flask:
    app = carafe.Flask("proxied")
    app.config["TESTING"] = True

    @app.route("/where")
    def where() -> dict[str, Any]:
        request = carafe.request
        return {
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "is_secure": request.is_secure,
            "host": request.host,
            "url_root": request.url_root,
            "url": request.url,
            "external": carafe.url_for("where", _external=True),
            "relative": carafe.url_for("where"),
        }

    @app.route("/go")
    def go() -> Any:
        return carafe.redirect(carafe.url_for("where", _external=True))

    app.wsgi_app = ProxyFix(app.wsgi_app, **hops)  # type: ignore[method-assign]
    return app


NGINX_LIKE = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "www.example.com",
    "X-Forwarded-Prefix": "/shop",
}


def test_request_attributes_follow_trusted_headers() -> None:
    client = proxied_app(x_for=1, x_proto=1, x_host=1, x_prefix=1).test_client()
    answer = client.get("/where", headers=NGINX_LIKE).get_json()
    assert answer == {
        "remote_addr": "203.0.113.9",
        "scheme": "https",
        "is_secure": True,
        "host": "www.example.com",
        "url_root": "https://www.example.com/shop/",
        "url": "https://www.example.com/shop/where",
        "external": "https://www.example.com/shop/where",
        "relative": "/shop/where",
    }


def test_redirects_follow_trusted_headers() -> None:
    client = proxied_app(x_for=1, x_proto=1, x_host=1, x_prefix=1).test_client()
    response = client.get("/go", headers=NGINX_LIKE)
    assert response.status_code == 302
    assert response.headers["Location"] == "https://www.example.com/shop/where"


def test_forwarded_port_goes_into_urls() -> None:
    client = proxied_app(x_proto=1, x_host=1, x_port=1).test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "example.com"}
    answer = client.get("/where", headers={**headers, "X-Forwarded-Port": "8443"}).get_json()
    assert answer["host"] == "example.com:8443"
    assert answer["external"] == "https://example.com:8443/where"


def test_untrusted_headers_change_nothing() -> None:
    # Defaults: X-Forwarded-Host and -Prefix are not trusted at all.
    client = proxied_app().test_client()
    answer = client.get(
        "/where", headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Prefix": "/x"}
    ).get_json()
    assert answer["host"] == "localhost"
    assert answer["external"] == "http://localhost/where"
    assert answer["remote_addr"] == "127.0.0.1"


def test_client_forged_values_to_the_left_are_not_trusted() -> None:
    client = proxied_app(x_for=1).test_client()
    # The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended the real address.
    answer = client.get("/where", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"}).get_json()
    assert answer["remote_addr"] == "203.0.113.9"


def test_fewer_values_than_hops_are_ignored() -> None:
    client = proxied_app(x_for=2, x_proto=2).test_client()
    answer = client.get(
        "/where", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    ).get_json()
    assert answer["remote_addr"] == "127.0.0.1"
    assert answer["scheme"] == "http"


def test_forged_host_with_crlf_is_not_trusted() -> None:
    client = proxied_app(x_host=1).test_client()
    forged = "evil.example\r\nLocation: http://evil.example/"
    response = client.get("/go", environ_base={"HTTP_X_FORWARDED_HOST": forged})
    assert response.headers["Location"] == "http://localhost/where"


def test_originals_are_kept_for_the_app() -> None:
    app = proxied_app(x_for=1, x_proto=1, x_host=1)

    @app.route("/orig")
    def orig() -> dict[str, Any]:
        environ = carafe.request.environ
        assert environ["carafe.proxy_fix.orig"] is environ["werkzeug.proxy_fix.orig"]
        return dict(environ["carafe.proxy_fix.orig"])

    answer = app.test_client().get("/orig", headers=NGINX_LIKE).get_json()
    assert answer["REMOTE_ADDR"] == "127.0.0.1"
    assert answer["HTTP_HOST"] == "localhost"
    assert answer["wsgi.url_scheme"] == "http"


# -- ASGI: ProxyFixASGI gives the app what ProxyFix gives it over WSGI ---------


def asgi_scope(**overrides: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/here",
        "raw_path": b"/here",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"internal:8000"), (b"accept", b"*/*")],
        "server": ("internal", 8000),
        "client": ("127.0.0.1", 50000),
    }
    scope.update(overrides)
    return scope


def with_headers(*pairs: tuple[str, str]) -> dict[str, Any]:
    scope = asgi_scope()
    scope["headers"] = scope["headers"] + [(n.encode(), v.encode()) for n, v in pairs]
    return scope


def test_scope_rewrite() -> None:
    fix = ProxyFixASGI(carafe.Flask("asgi").asgi, x_for=1, x_proto=1, x_host=1, x_prefix=1)
    scope = with_headers(
        ("X-Forwarded-For", "6.6.6.6, 203.0.113.9"),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "www.example.com:8443"),
        ("X-Forwarded-Prefix", "/shop"),
    )
    original = {**scope, "headers": list(scope["headers"])}
    new = fix.rewrite_scope(scope)
    assert scope == original, "the server's scope must not be changed"
    assert new["client"] == ("203.0.113.9", 0)
    assert new["scheme"] == "https"
    assert new["server"] == ("www.example.com", 8443)
    assert new["headers"][0] == (b"host", b"www.example.com:8443")
    assert [name for name, _ in new["headers"]].count(b"host") == 1
    assert (new["root_path"], new["path"], new["raw_path"]) == (
        "/shop",
        "/shop/here",
        b"/shop/here",
    )
    assert new["carafe.proxy_fix.orig"] == {
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "host": "internal:8000",
        "server": ("internal", 8000),
        "root_path": "",
    }


def test_scope_prefix_replaces_an_existing_root_path() -> None:
    fix = ProxyFixASGI(carafe.Flask("asgi").asgi, x_prefix=1)
    scope = asgi_scope(root_path="/old", path="/old/here", raw_path=b"/old/here")
    scope["headers"].append((b"x-forwarded-prefix", b"/new/"))
    new = fix.rewrite_scope(scope)
    assert (new["root_path"], new["path"], new["raw_path"]) == ("/new", "/new/here", b"/new/here")


def test_scope_port_only() -> None:
    fix = ProxyFixASGI(carafe.Flask("asgi").asgi, x_port=1)
    new = fix.rewrite_scope(with_headers(("x-forwarded-port", "443")))
    assert new["server"] == ("internal", 443)
    assert (b"host", b"internal:443") in new["headers"]


def test_scope_repeated_header_lines_form_one_list() -> None:
    fix = ProxyFixASGI(carafe.Flask("asgi").asgi, x_for=2)
    scope = with_headers(
        ("x-forwarded-for", "6.6.6.6, 198.51.100.1"), ("x-forwarded-for", "10.1.1.1")
    )
    assert fix.rewrite_scope(scope)["client"] == ("198.51.100.1", 0)


def test_scope_websocket_scheme() -> None:
    fix = ProxyFixASGI(carafe.Flask("asgi").asgi)
    scope = with_headers(("x-forwarded-proto", "https"))
    scope.update(type="websocket", scheme="ws")
    assert fix.rewrite_scope(scope)["scheme"] == "wss"


def test_scope_invalid_values_are_ignored() -> None:
    fix = ProxyFixASGI(carafe.Flask("asgi").asgi, x_for=1, x_proto=1, x_host=1, x_prefix=1)
    scope = with_headers(
        ("x-forwarded-for", "nope"),
        ("x-forwarded-proto", "gopher"),
        ("x-forwarded-host", "evil.example/x"),
        ("x-forwarded-prefix", "//evil.example"),
    )
    new = fix.rewrite_scope(scope)
    for key in ("client", "scheme", "server", "headers", "root_path", "path"):
        assert new[key] == scope[key], key


def test_non_http_scopes_pass_through_untouched() -> None:
    received: list[dict[str, Any]] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        received.append(scope)

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    asyncio.run(ProxyFixASGI(inner)(scope, None, None))  # type: ignore[arg-type]
    assert received == [scope]
    assert received[0] is scope


def ask(transport: httpx.BaseTransport | httpx.AsyncBaseTransport, headers: dict[str, str]) -> Any:
    """GET /where through an httpx transport (sync for WSGI, async for ASGI)."""
    url = "http://internal:8000/where"
    if isinstance(transport, httpx.AsyncBaseTransport):

        async def fetch() -> httpx.Response:
            async with httpx.AsyncClient(transport=transport) as client:
                return await client.get(url, headers=headers)

        response = asyncio.run(fetch())
    else:
        with httpx.Client(transport=transport) as client:
            response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_asgi_app_sees_what_the_wsgi_app_sees() -> None:
    chooser = random.Random(7)
    names = [name[5:].replace("_", "-").title() for name in HEADERS]
    for _ in range(40):
        headers = {
            name: value
            for name, values in zip(names, FORWARDED_VALUES.values())
            # An ASGI http scope's scheme is http or https, so "wss" becomes "https"
            # there while WSGI keeps it, as Werkzeug does.
            if (value := chooser.choice(values)) and value != "wss"
        }
        hops = {name: chooser.randrange(3) for name in HOPS}
        app = proxied_app(**hops)
        wsgi_transport = httpx.WSGITransport(app=app, remote_addr="10.0.0.1")  # type: ignore[arg-type]
        over_wsgi = ask(wsgi_transport, headers)
        asgi_app = ProxyFixASGI(app.asgi, **hops)
        over_asgi = ask(httpx.ASGITransport(app=asgi_app, client=("10.0.0.1", 4000)), headers)
        assert over_asgi == over_wsgi, f"hops={hops} headers={headers}"

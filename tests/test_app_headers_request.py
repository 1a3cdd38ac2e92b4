"""The request's header fields as a view reads them (``request.accept_mimetypes``,
``request.authorization``, ``request.if_none_match``, ...), side by side with Flask,
on WSGI and ASGI; and malformed values never failing a request."""

from __future__ import annotations

import base64
from typing import Any

import flask
import pytest

import carafe
from carafe import request
from carafe.request import Request, UserAgent


def _both(setup, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """The same app on Flask and on Carafe, asked the same request: their answers."""
    answers = []
    for framework in (flask, carafe):
        app = framework.Flask("headers_app")
        app.config["TESTING"] = True
        setup(framework, app)
        answers.append(app.test_client().open(*args, **kwargs))
    return answers[0], answers[1]


def _same_json(view, headers: dict[str, str]) -> Any:
    """Run ``view(framework)`` as ``/`` on both, with ``headers``; the (equal) JSON."""

    def setup(framework, app):
        app.route("/")(lambda: view(framework))

    theirs, ours = _both(setup, "/", headers=headers)
    assert ours.status_code == theirs.status_code == 200, ours.data
    assert ours.get_json() == theirs.get_json()
    return ours.get_json()


# ---------------------------------------------------------------------------
# Content negotiation


def _accept_view(framework):
    accept = framework.request.accept_mimetypes
    return {
        "list": [list(pair) for pair in accept],
        "best": accept.best,
        "provided": accept.provided,
        "values": list(accept.values()),
        "header": accept.to_header(),
        "html": accept.accept_html,
        "xhtml": accept.accept_xhtml,
        "json": accept.accept_json,
        "quality_html": accept.quality("text/html"),
        "item_json": accept["application/json"],
        "has_png": "image/png" in accept,
        "best_match": accept.best_match(["application/json", "text/html"]),
        "best_match_default": accept.best_match(["image/gif"], default="none"),
    }


@pytest.mark.parametrize(
    "header",
    [
        None,
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "application/json",
        "application/json;q=0.5, text/html;q=0.5",
        "text/*;q=0.3, text/html;q=0.7, text/html;level=1",
        "image/*",
        "text/html;q=nope, application/json;q=2, */*;q=0.1",
        ";;, ,",
    ],
)
def test_accept_mimetypes_as_flask(header):
    _same_json(_accept_view, {} if header is None else {"Accept": header})


def _other_accepts_view(framework):
    req = framework.request
    return {
        "languages": [list(pair) for pair in req.accept_languages],
        "language": req.accept_languages.best_match(["en", "de-DE", "fr"]),
        "language_fallback": req.accept_languages.best_match(["de-AT", "en-GB"], "none"),
        "charsets": [list(pair) for pair in req.accept_charsets],
        "utf8": req.accept_charsets.quality("UTF8"),
        "charset": req.accept_charsets.best_match(["latin1", "utf-8"]),
        "encodings": [list(pair) for pair in req.accept_encodings],
        "gzip": "gzip" in req.accept_encodings,
        "encoding": req.accept_encodings.best,
    }


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {
            "Accept-Language": "de-CH, de;q=0.9, en-US;q=0.8, *;q=0.1",
            "Accept-Charset": "utf-8, iso-8859-1;q=0.5",
            "Accept-Encoding": "br;q=1.0, gzip;q=0.8, *;q=0.1",
        },
        {"Accept-Language": "en_us", "Accept-Charset": "*", "Accept-Encoding": "identity"},
        {"Accept-Language": "=;q=", "Accept-Charset": ",,", "Accept-Encoding": "gzip;q=x"},
    ],
)
def test_other_accept_headers_as_flask(headers):
    _same_json(_other_accepts_view, headers)


def test_the_accept_objects_are_parsed_once_per_request(app, client):
    @app.route("/")
    def index():
        return {
            "same": request.accept_mimetypes is request.accept_mimetypes,
            "types": [
                type(request.accept_mimetypes).__name__,
                type(request.accept_languages).__name__,
                type(request.accept_charsets).__name__,
                type(request.accept_encodings).__name__,
            ],
        }

    assert client.get("/", headers={"Accept": "text/html"}).json == {
        "same": True,
        "types": ["MIMEAccept", "LanguageAccept", "CharsetAccept", "Accept"],
    }


def test_content_negotiation_picks_a_representation(app, client):
    @app.route("/thing")
    def thing():
        best = request.accept_mimetypes.best_match(["application/json", "text/html"])
        if best == "application/json":
            return {"thing": 1}
        return "<p>thing</p>"

    assert client.get("/thing", headers={"Accept": "application/json"}).json == {"thing": 1}
    assert client.get("/thing", headers={"Accept": "text/html"}).data == b"<p>thing</p>"
    # No Accept header: nothing matches (as in Werkzeug), the view's fallback answers.
    assert client.get("/thing").data == b"<p>thing</p>"


# ---------------------------------------------------------------------------
# Credentials


def _auth_view(framework):
    auth = framework.request.authorization
    if auth is None:
        return {"auth": None}
    return {
        "type": auth.type,
        "username": auth.username,
        "password": auth.password,
        "token": auth.token,
        "parameters": auth.parameters,
        "realm": auth.get("realm"),
        "header": auth.to_header(),
    }


def _basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode()


@pytest.mark.parametrize(
    "header",
    [
        None,
        _basic(b"alice:s3cret"),
        _basic("jos\u00e9:p\u00e4ss:word".encode()),
        _basic(b"\xff\xfe"),
        "Basic !!!not base64",
        "Bearer eyJhbGciOi.payload.sig",
        'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b", qop=auth',
        "Token",
        "",
    ],
)
def test_authorization_as_flask(header):
    _same_json(_auth_view, {} if header is None else {"Authorization": header})


def test_basic_auth_guards_a_view(app, client):
    @app.route("/secret")
    def secret():
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != ("admin", "pw"):
            return "", 401, {"WWW-Authenticate": 'Basic realm="Secret"'}
        return f"hello {auth.username}"

    assert client.get("/secret").status_code == 401
    assert client.get("/secret", headers={"Authorization": _basic(b"admin:no")}).status_code == 401
    answer = client.get("/secret", headers={"Authorization": _basic(b"admin:pw")})
    assert answer.data == b"hello admin"


# ---------------------------------------------------------------------------
# Caching and conditional headers


def _conditions_view(framework):
    req = framework.request
    cache_control = req.cache_control
    if_range = req.if_range
    span = req.range
    return {
        "cc": dict(cache_control),
        "cc_attrs": [
            cache_control.no_cache,
            cache_control.no_store,
            cache_control.max_age,
            cache_control.max_stale,
            cache_control.min_fresh,
            cache_control.only_if_cached,
            cache_control.no_transform,
        ],
        "pragma": sorted(req.pragma.as_set()),
        "if_match": sorted(req.if_match.as_set(include_weak=True)),
        "if_match_star": req.if_match.star_tag,
        "if_none_match": sorted(req.if_none_match.as_set(include_weak=True)),
        "inm_contains": [
            "abc" in req.if_none_match,
            req.if_none_match.contains_weak("weak"),
            req.if_none_match.is_weak("weak"),
        ],
        "ims": str(req.if_modified_since),
        "ius": str(req.if_unmodified_since),
        "date": str(req.date),
        "if_range": [if_range.etag, str(if_range.date), if_range.to_header()],
        "range": None
        if span is None
        else [span.units, [list(pair) for pair in span.ranges], span.to_header()],
        "range_for_1000": None if span is None else span.range_for_length(1000),
        "content_range": None if span is None else span.to_content_range_header(1000),
    }


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {
            "Cache-Control": "no-cache, max-age=0, max-stale, min-fresh=10",
            "Pragma": "no-cache",
            "If-Match": '"abc", W/"weak"',
            "If-None-Match": '"abc", W/"weak", "x"',
            "If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT",
            "If-Unmodified-Since": "Sat, 29 Oct 1994 19:43:31 GMT",
            "Date": "Tue, 15 Nov 1994 08:12:31 GMT",
            "If-Range": '"abc"',
            "Range": "bytes=0-499",
        },
        {"If-Match": "*", "If-Range": "Wed, 21 Oct 2015 07:28:00 GMT", "Range": "bytes=-500"},
        {
            "Cache-Control": "max-age=soon, only-if-cached, no-transform",
            "If-None-Match": "not-quoted, ,,",
            "If-Modified-Since": "yesterday",
            "If-Unmodified-Since": "Wed, 32 Oct 2015 07:28:00 GMT",
            "Date": "",
            "If-Range": "",
            "Range": "bytes=9-1",
        },
        {"Range": "bytes=0-1,4-5", "Cache-Control": ",=,", "Pragma": '"unclosed'},
        {"Range": "lines=1-2"},
    ],
)
def test_caching_and_conditional_headers_as_flask(headers):
    _same_json(_conditions_view, headers)


def test_the_request_cache_control_cannot_be_changed(app, client):
    @app.route("/")
    def index():
        with pytest.raises(TypeError):
            request.cache_control.max_age = 5
        return "ok"

    assert client.get("/", headers={"Cache-Control": "max-age=1"}).data == b"ok"


# ---------------------------------------------------------------------------
# Other headers


def _other_view(framework):
    req = framework.request
    agent = req.user_agent
    return {
        "ua": [agent.string, str(agent), bool(agent), repr(agent), agent.to_header()],
        "ua_parts": [agent.platform, agent.browser, agent.version, agent.language],
        "referrer": req.referrer,
        "origin": req.origin,
        "content_md5": req.content_md5,
        "content_encoding": req.content_encoding,
        "max_forwards": req.max_forwards,
        "acr_headers": None
        if req.access_control_request_headers is None
        else sorted(req.access_control_request_headers.as_set()),
        "acr_method": req.access_control_request_method,
        "access_route": req.access_route,
        "is_json": req.is_json,
        "mimetype": req.mimetype,
        "mimetype_params": req.mimetype_params,
    }


@pytest.mark.parametrize(
    "headers",
    [
        # The test clients send their own User-Agent unless given one.
        {"User-Agent": ""},
        {
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
            "Referer": "https://example.com/from",
            "Origin": "https://example.com",
            "Content-MD5": "Q2hlY2sgSW50ZWdyaXR5IQ==",
            "Content-Encoding": "gzip",
            "Max-Forwards": "10",
            "Access-Control-Request-Headers": "X-Token, Content-Type",
            "Access-Control-Request-Method": "PUT",
            "X-Forwarded-For": "203.0.113.7, 198.51.100.1,, ",
            "Content-Type": "application/vnd.api+json; charset=UTF-8",
        },
        {
            "User-Agent": "x",
            "Max-Forwards": "ten",
            "X-Forwarded-For": "",
            "Content-Type": "text/plain; a=b",
        },
    ],
)
def test_other_request_headers_as_flask(headers):
    _same_json(_other_view, headers)


def test_a_user_agent_class_parses_the_header(app, client):
    class BrowserAgent(UserAgent):
        def __init__(self, string):
            super().__init__(string)
            self.browser = string.partition("/")[0] or None

    class MyRequest(Request):
        user_agent_class = BrowserAgent

    app.request_class = MyRequest

    @app.route("/")
    def index():
        agent = request.user_agent
        return {"browser": agent.browser, "bool": bool(agent), "repr": repr(agent)}

    assert client.get("/", headers={"User-Agent": "Firefox/120"}).json == {
        "browser": "Firefox",
        "bool": True,
        "repr": "<BrowserAgent Firefox/None>",
    }
    assert client.get("/", headers={"User-Agent": ""}).json["bool"] is False


# ---------------------------------------------------------------------------
# Bad input


NASTY = [
    "",
    " ",
    ",",
    ";",
    '"',
    "=",
    "*",
    "\t\t",
    "q=0.5",
    ";q=1e999",
    "a" * 2000,
    "\u00ff\u00fe",
    "Basic " + "=" * 10,
    "bytes=99999999999999999999-",
    "Fri, 31 Dec 9999 23:59:59 +2359",
    ", ".join(["x"] * 200),
]
FIELD_HEADERS = [
    "Accept",
    "Accept-Charset",
    "Accept-Encoding",
    "Accept-Language",
    "Authorization",
    "Cache-Control",
    "Pragma",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
    "If-Range",
    "Range",
    "Date",
    "User-Agent",
    "Max-Forwards",
    "Access-Control-Request-Headers",
    "X-Forwarded-For",
]


@pytest.mark.parametrize("value", NASTY)
def test_malformed_header_values_never_fail_the_request(app, client, value):
    @app.route("/")
    def index():
        accept = request.accept_mimetypes
        seen = [
            accept.best,
            accept.best_match(["text/html"]),
            accept.accept_json,
            request.accept_charsets.best_match(["utf-8"]),
            request.accept_encodings.best,
            request.accept_languages.best_match(["en"]),
            request.authorization,
            dict(request.cache_control),
            request.cache_control.max_age,
            request.pragma.to_header(),
            request.if_match.to_header(),
            request.if_none_match.as_set(),
            request.if_modified_since,
            request.if_unmodified_since,
            request.if_range.to_header(),
            request.range and request.range.range_for_length(100),
            request.date,
            str(request.user_agent),
            request.max_forwards,
            request.access_control_request_headers,
            request.access_route,
        ]
        return {"ok": len(seen)}

    headers = {name: value for name in FIELD_HEADERS}
    assert client.get("/", headers=headers).json == {"ok": 21}


def test_a_request_built_by_hand_reads_its_headers():
    req = Request(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/",
            "HTTP_ACCEPT": "application/json",
            "HTTP_IF_NONE_MATCH": '"v1"',
        }
    )
    assert req.accept_mimetypes.best == "application/json"
    assert "v1" in req.if_none_match
    assert req.authorization is None and req.range is None


def test_reading_header_fields_over_asgi_builds_no_environ(app, client, interface):
    # PERF: the ASGI request reads these headers from the scope; the WSGI-style
    # environ (a dict of every header) is built only when something asks for it.
    @app.route("/")
    def index():
        current = request._get_current_object()
        seen = [
            request.accept_mimetypes.best,
            request.authorization,
            request.if_none_match.as_set(),
            request.user_agent.string,
            request.access_route,
        ]
        built = getattr(current, "_lazy_environ", "wsgi") is not None
        return {"seen": len(seen), "environ_built": built}

    answer = client.get("/", headers={"Accept": "text/html", "X-Forwarded-For": "192.0.2.1"})
    assert answer.json == {"seen": 5, "environ_built": interface == "wsgi"}

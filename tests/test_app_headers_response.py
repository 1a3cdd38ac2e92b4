"""The response's header fields as a view sets them (``response.cache_control``,
``response.expires``, ``response.vary``, ``set_etag``, ...), side by side with Flask,
on WSGI and ASGI."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import flask
import pytest
from werkzeug.datastructures import WWWAuthenticate as WerkzeugWWWAuthenticate

import carafe
from carafe import Response
from carafe.http.auth import WWWAuthenticate
from carafe.http.ranges import ContentRange

MOMENT = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)
SKIPPED = {"date", "server", "retry-after"}


def _headers(response: Any) -> list[tuple[str, str]]:
    return sorted(
        (name.lower(), value) for name, value in response.headers if name.lower() not in SKIPPED
    )


def _same_answer(change, read=None) -> Any:
    """A view making a response and calling ``change(response)`` on it, on Flask and
    on Carafe: the same status, headers and body; and ``read(response)`` the same."""
    answers = []
    readings = []
    for framework in (flask, carafe):
        app = framework.Flask("headers_app")
        app.config["TESTING"] = True

        @app.route("/")
        def index(framework=framework):
            response = framework.make_response("body")
            change(response)
            if read is not None:
                readings.append(read(response))
            return response

        answers.append(app.test_client().get("/"))
    theirs, ours = answers
    assert (ours.status, ours.data) == (theirs.status, theirs.data)
    assert _headers(ours) == _headers(theirs)
    if read is not None:
        assert readings[1] == readings[0]
        return readings[1]
    return ours


# ---------------------------------------------------------------------------
# Cache-Control


def _set(**values):
    def change(response):
        for name, value in values.items():
            setattr(response.cache_control, name, value)

    return change


@pytest.mark.parametrize(
    "change",
    [
        _set(max_age=300),
        _set(max_age=300, public=True),
        _set(no_cache=True, no_store=True, must_revalidate=True),
        _set(private=True, max_age=0),
        _set(private="Set-Cookie", no_cache="Authorization"),
        _set(s_maxage=60, proxy_revalidate=True, immutable=True),
        _set(stale_while_revalidate=30, stale_if_error=60, must_understand=True),
        _set(max_age=10, public=False),
        _set(max_age="20", no_transform=True),
    ],
)
def test_cache_control_changes_write_the_header_as_flask(change):
    _same_answer(change)


def test_cache_control_reads_and_removes_as_flask():
    def change(response):
        response.headers["Cache-Control"] = "max-age=60, public, no-cache"
        response.cache_control.public = False
        del response.cache_control.max_age
        response.cache_control.no_cache = None

    _same_answer(change)

    def emptied(response):
        response.headers["Cache-Control"] = "public"
        response.cache_control.public = False

    assert "cache-control" not in dict(_headers(_same_answer(emptied)))

    def read(response):
        response.headers["Cache-Control"] = "max-age=60, s-maxage=x, private"
        cache_control = response.cache_control
        return [
            cache_control.max_age,
            cache_control.s_maxage,
            cache_control.private,
            cache_control.public,
            dict(cache_control),
        ]

    _same_answer(lambda response: None, read)


# ---------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("expires", MOMENT),
        ("expires", datetime(2015, 10, 21, 9, 28, tzinfo=timezone(timedelta(hours=2)))),
        ("expires", datetime(2015, 10, 21, 7, 28)),
        ("expires", date(2020, 1, 2)),
        ("expires", 1445412480),
        ("last_modified", MOMENT),
        ("date", MOMENT),
        ("age", 120),
        ("age", timedelta(minutes=5)),
    ],
)
def test_date_and_age_fields_as_flask(name, value):
    def change(response):
        setattr(response, name, value)

    reading = _same_answer(change, lambda response: str(getattr(response, name)))
    assert reading != "None"


def test_date_fields_read_none_when_absent_or_malformed():
    def read(response):
        response.headers["Expires"] = "soon"
        response.headers["Age"] = "-5"
        return [response.expires, response.last_modified, response.age, response.date]

    assert _same_answer(lambda response: None, read) == [None, None, None, None]


def test_a_date_field_takes_the_header_text(app, client):
    @app.route("/")
    def index():
        response = Response("x")
        response.expires = "Thu, 01 Dec 1994 16:00:00 GMT"
        response.last_modified = MOMENT
        response.last_modified = None
        return response

    answer = client.get("/")
    assert answer.headers["Expires"] == "Thu, 01 Dec 1994 16:00:00 GMT"
    assert "Last-Modified" not in answer.headers
    assert answer.expires == datetime(1994, 12, 1, 16, tzinfo=timezone.utc)


def test_a_negative_age_is_refused():
    with pytest.raises(ValueError):
        Response().age = -1


def test_retry_after_as_flask():
    def read(response):
        response.retry_after = MOMENT
        first = [response.headers["Retry-After"], str(response.retry_after)]
        response.retry_after = 120
        seconds = response.retry_after - datetime.now(timezone.utc)
        return [*first, response.headers["Retry-After"], 110 < seconds.total_seconds() <= 120]

    assert _same_answer(lambda response: None, read)[-1] is True


def test_retry_after_without_a_header_or_with_text(app, client):
    response = Response()
    assert response.retry_after is None
    response.retry_after = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert response.retry_after == MOMENT
    response.retry_after = None
    assert "Retry-After" not in response.headers


# ---------------------------------------------------------------------------
# Header sets and plain fields


@pytest.mark.parametrize("name", ["vary", "allow", "content_language"])
def test_header_sets_as_flask(name):
    def change(response):
        field = getattr(response, name)
        field.add("Accept")
        field.add("accept")
        field.update(["Cookie", "X-Custom"])
        getattr(response, name).discard("cookie")

    _same_answer(change)

    def assign(response):
        setattr(response, name, ["Origin", "Accept-Encoding"])

    _same_answer(assign)

    def assign_text(response):
        setattr(response, name, "Origin, Cookie")

    reading = _same_answer(assign_text, lambda response: sorted(getattr(response, name)))
    assert reading == ["Cookie", "Origin"]


def test_a_header_set_emptied_or_set_to_none_removes_the_header():
    response = Response("x")
    response.vary = "Cookie"
    response.vary.remove("cookie")
    assert "Vary" not in response.headers
    response.allow = ["GET"]
    response.allow = None
    assert "Allow" not in response.headers
    response.content_language = []
    assert "Content-Language" not in response.headers


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("content_encoding", "gzip"),
        ("content_location", "/things/1"),
        ("content_md5", "Q2hlY2sgSW50ZWdyaXR5IQ=="),
        ("accept_ranges", "bytes"),
        ("location", "/elsewhere"),
        ("content_type", "text/csv"),
        ("content_length", 4),
    ],
)
def test_plain_fields_as_flask(name, value):
    def change(response):
        setattr(response, name, value)

    assert _same_answer(change, lambda response: getattr(response, name)) == value


def test_setting_a_field_to_none_removes_its_header():
    response = Response("x", headers={"Content-Encoding": "gzip", "Location": "/a"})
    response.content_encoding = None
    response.location = None
    response.content_length = None
    assert [name for name, _ in response.headers] == ["Content-Type"]


# ---------------------------------------------------------------------------
# Content type and its parameters


def test_mimetype_params_changes_rewrite_the_content_type_as_flask():
    def change(response):
        response.mimetype_params["charset"] = "latin-1"
        response.mimetype_params["format"] = "flowed"
        params = response.mimetype_params
        del params["format"]

    reading = _same_answer(change, lambda response: response.mimetype_params)
    assert reading == {"charset": "latin-1"}


@pytest.mark.parametrize("mimetype", ["text/plain", "Text/HTML", "application/sql", "image/png"])
def test_mimetype_as_flask(mimetype):
    def change(response):
        response.mimetype = mimetype

    assert _same_answer(change, lambda response: response.mimetype) == mimetype


# ---------------------------------------------------------------------------
# Entity tags


def test_etags_as_flask():
    def change(response):
        response.set_etag("abc")

    assert _same_answer(change, lambda response: response.get_etag()) == ("abc", False)

    def weak(response):
        response.set_etag("abc", weak=True)

    assert _same_answer(weak, lambda response: response.get_etag()) == ("abc", True)

    def added(response):
        response.add_etag()
        response.add_etag(overwrite=False)

    _same_answer(added)

    def overwritten(response):
        response.set_etag("old")
        response.add_etag(overwrite=True, weak=True)

    _same_answer(overwritten)
    reading = _same_answer(lambda response: None, lambda response: response.get_etag())
    assert reading == (None, None)


def test_a_tag_with_a_quote_is_refused():
    with pytest.raises(ValueError):
        Response().set_etag('a"b')


def test_freeze_buffers_the_body_and_tags_it(app, client):
    @app.route("/")
    def index():
        response = Response(chunk for chunk in (b"ab", "cd"))
        response.freeze()
        return response

    answer = client.get("/")
    assert answer.data == b"abcd"
    assert answer.headers["Content-Length"] == "4"
    reference = flask.Response(iter([b"ab", b"cd"]))
    reference.freeze()
    assert answer.headers["ETag"] == reference.headers["ETag"]


# ---------------------------------------------------------------------------
# Ranges and authentication challenges


def test_content_range_as_flask():
    def change(response):
        response.content_range = "bytes 0-3/10"
        content_range = response.content_range
        content_range.length = 20

    assert _same_answer(change, lambda response: str(response.content_range)) == "bytes 0-3/20"

    def unset(response):
        response.headers["Content-Range"] = "bytes 0-3/10"
        response.content_range.unset()

    _same_answer(unset)

    def from_object(response):
        from_header = response.content_range
        from_header.set(0, 5, 100)

    _same_answer(from_object)


def test_content_range_assigned_and_cleared():
    response = Response("x")
    assert not response.content_range
    response.content_range = ContentRange("bytes", 0, 1, 2)
    assert response.headers["Content-Range"] == "bytes 0-0/2"
    response.content_range = None
    assert "Content-Range" not in response.headers


def test_www_authenticate_as_flask():
    def change(response):
        response.www_authenticate.realm = "Login"

    assert _same_answer(change, lambda response: response.www_authenticate.type) == "basic"

    def digest(response):
        challenge = (
            WWWAuthenticate if isinstance(response, carafe.Response) else WerkzeugWWWAuthenticate
        )
        response.www_authenticate = challenge("digest", {"realm": "r", "nonce": "n"})
        response.www_authenticate.qop = "auth"

    _same_answer(digest)


def test_several_challenges_and_removal(app, client):
    @app.route("/")
    def index():
        response = Response("", 401)
        response.www_authenticate = [
            WWWAuthenticate("basic", {"realm": "a"}),
            WWWAuthenticate("bearer", None, "x"),
        ]
        return response

    answer = client.get("/")
    assert answer.headers.getlist("WWW-Authenticate") == ["Basic realm=a", "Bearer x"]
    assert answer.www_authenticate.realm == "a"
    answer.www_authenticate = None
    assert "WWW-Authenticate" not in answer.headers

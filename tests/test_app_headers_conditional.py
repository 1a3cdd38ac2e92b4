"""``response.make_conditional``: 304, 412, 206 and 416 answers to conditional and
range requests, side by side with Flask, on WSGI and ASGI."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import flask
import pytest

import carafe
from carafe import Response, request
from carafe.exceptions import RequestedRangeNotSatisfiable

BODY = bytes(range(100))
MOMENT = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)
LAST = "Wed, 21 Oct 2015 07:28:00 GMT"
EARLIER = "Wed, 21 Oct 2015 07:00:00 GMT"


def _answers(
    headers: dict[str, str],
    method: str = "GET",
    accept_ranges: bool | str = True,
    complete_length: int | None = len(BODY),
    streamed: bool = False,
    tagged: bool = True,
) -> tuple[Any, Any]:
    answers = []
    for framework in (flask, carafe):
        app = framework.Flask("conditional_app")

        @app.route("/", methods=["GET", "HEAD", "POST"])
        def index(framework=framework):
            body = (BODY[i : i + 7] for i in range(0, len(BODY), 7)) if streamed else BODY
            response = framework.Response(body, mimetype="application/octet-stream")
            if tagged:
                response.set_etag("v1")
                response.last_modified = MOMENT
            return response.make_conditional(
                framework.request, accept_ranges=accept_ranges, complete_length=complete_length
            )

        answers.append(app.test_client().open("/", method=method, headers=headers))
    return answers[0], answers[1]


def _same(theirs: Any, ours: Any, skipped: frozenset[str] = frozenset({"date"})) -> None:
    def headers(answer):
        return sorted((k.lower(), v) for k, v in answer.headers if k.lower() not in skipped)

    assert ours.status == theirs.status
    assert headers(ours) == headers(theirs)
    assert ours.data == theirs.data
    assert ("Date" in ours.headers) == ("Date" in theirs.headers)


CASES = [
    {},
    {"If-None-Match": '"v1"'},
    {"If-None-Match": 'W/"v1"'},
    {"If-None-Match": '"v2", "v1"'},
    {"If-None-Match": '"v2"'},
    {"If-None-Match": "*"},
    {"If-Modified-Since": LAST},
    {"If-Modified-Since": EARLIER},
    {"If-Modified-Since": "garbage"},
    {"If-None-Match": '"v2"', "If-Modified-Since": LAST},
    {"If-Match": '"v1"'},
    {"If-Match": '"v2"'},
    {"If-Match": 'W/"v1"'},
    {"If-Match": "*"},
    {"Range": "bytes=0-9"},
    {"Range": "bytes=90-"},
    {"Range": "bytes=-5"},
    {"Range": "bytes=95-200"},
    {"Range": "bytes=100-"},
    {"Range": "bytes=0-1,5-6"},
    {"Range": "bytes=9-1"},
    {"Range": "lines=0-1"},
    {"Range": "bytes=0-9", "If-Range": '"v1"'},
    {"Range": "bytes=0-9", "If-Range": '"v2"'},
    {"Range": "bytes=0-9", "If-Range": LAST},
    {"Range": "bytes=0-9", "If-Range": EARLIER},
    {"Range": "bytes=0-9", "If-None-Match": '"v1"'},
    {"If-Range": '"v1"'},
]


@pytest.mark.parametrize("headers", CASES)
def test_conditional_answers_as_flask(headers):
    theirs, ours = _answers(headers)
    if "," in headers.get("Range", ""):
        # Deliberate: several ranges are one multipart/byteranges answer in Carafe;
        # Werkzeug answers them with a 416.
        assert (theirs.status_code, ours.status_code) == (416, 206)
        assert ours.mimetype == "multipart/byteranges"
        return
    _same(theirs, ours)


def test_several_ranges_are_one_multipart_answer(app, client):
    @app.route("/")
    def index():
        return Response(BODY, mimetype="text/plain").make_conditional(
            request, accept_ranges=True, complete_length=100
        )

    from email.parser import BytesParser

    answer = client.get("/", headers={"Range": "bytes=0-1,50-52,-3"})
    assert answer.status_code == 206
    assert "Content-Range" not in answer.headers
    assert int(answer.headers["Content-Length"]) == len(answer.data)
    message = BytesParser().parsebytes(
        f"Content-Type: {answer.headers['Content-Type']}\r\n\r\n".encode() + answer.data
    )
    parts = message.get_payload()
    assert [part["Content-Range"] for part in parts] == [
        "bytes 0-1/100",
        "bytes 50-52/100",
        "bytes 97-99/100",
    ]
    assert [part.get_payload(decode=True) for part in parts] == [
        BODY[0:2],
        BODY[50:53],
        BODY[97:100],
    ]
    assert {part["Content-Type"] for part in parts} == {"text/plain; charset=utf-8"}
    # More ranges than Carafe answers one by one: the whole body.
    many = ",".join(f"{n * 5}-{n * 5 + 1}" for n in range(17))
    whole = client.get("/", headers={"Range": f"bytes={many}"})
    assert (whole.status_code, whole.data) == (200, BODY)


@pytest.mark.parametrize("headers", CASES[:3] + CASES[14:17])
@pytest.mark.parametrize(
    "options",
    [
        {"method": "HEAD"},
        {"method": "POST"},
        {"accept_ranges": False},
        {"accept_ranges": "none"},
        {"complete_length": None},
        {"complete_length": 0},
        {"streamed": True},
        {"tagged": False},
    ],
)
def test_conditional_answers_with_options_as_flask(headers, options):
    theirs, ours = _answers(headers, **options)
    if options.get("streamed") and ours.status_code == 200:
        # Deliberate: Werkzeug reads a streamed body whole to add its Content-Length;
        # Carafe leaves it streamed (an endless stream would never end there).
        _same(theirs, ours, frozenset({"date", "content-length"}))
        assert "Content-Length" in theirs.headers and "Content-Length" not in ours.headers
    else:
        _same(theirs, ours)


def test_a_partial_answer_carries_its_range(app, client):
    @app.route("/")
    def index():
        return Response(BODY).make_conditional(request, accept_ranges=True, complete_length=100)

    answer = client.get("/", headers={"Range": "bytes=10-19"})
    assert answer.status_code == 206
    assert answer.data == BODY[10:20]
    assert answer.headers["Content-Range"] == "bytes 10-19/100"
    assert answer.headers["Content-Length"] == "10"
    assert answer.headers["Accept-Ranges"] == "bytes"
    assert answer.content_range.start == 10 and answer.content_range.stop == 20


def test_an_unsatisfiable_range_is_a_416_with_the_length(app, client):
    @app.route("/")
    def index():
        return Response(BODY).make_conditional(request, accept_ranges=True, complete_length=100)

    answer = client.get("/", headers={"Range": "bytes=500-"})
    assert answer.status_code == 416
    assert answer.headers["Content-Range"] == "bytes */100"


def test_a_304_keeps_expires_and_content_location_as_flask():
    for framework in (flask, carafe):
        app = framework.Flask("keep")

        @app.route("/")
        def index(framework=framework):
            response = framework.Response("x", headers={"Content-Location": "/x"})
            response.expires = MOMENT
            response.set_etag("v1")
            response.content_language = ["en"]
            return response.make_conditional(framework.request)

        answer = app.test_client().get("/", headers={"If-None-Match": '"v1"'})
        assert answer.status_code == 304
        assert answer.headers["Expires"] == "Wed, 21 Oct 2015 07:28:00 GMT"
        assert answer.headers["Content-Location"] == "/x"
        assert "Content-Language" not in answer.headers
        assert "Content-Type" not in answer.headers
        assert answer.data == b""


def test_make_conditional_takes_an_environ():
    environ = {"REQUEST_METHOD": "GET", "HTTP_IF_NONE_MATCH": '"v1"'}
    response = Response("x")
    response.set_etag("v1")
    assert response.make_conditional(environ) is response
    assert response.status_code == 304


def test_make_conditional_raises_416_outside_a_view():
    environ = {"REQUEST_METHOD": "GET", "HTTP_RANGE": "bytes=5-1"}
    with pytest.raises(RequestedRangeNotSatisfiable) as caught:
        Response(BODY).make_conditional(environ, accept_ranges=True, complete_length=100)
    assert caught.value.length == 100


def test_a_streamed_partial_body_closes_its_source(app, client):
    closed = []

    def chunks():
        try:
            yield from (BODY[i : i + 10] for i in range(0, 100, 10))
        finally:
            closed.append(True)

    @app.route("/")
    def index():
        response = Response(chunks())
        return response.make_conditional(request, accept_ranges=True, complete_length=100)

    answer = client.get("/", headers={"Range": "bytes=25-34"})
    assert (answer.status_code, answer.data) == (206, BODY[25:35])
    assert closed == [True]


class _SeekableBody:
    """A body that reads its own ranges (as a file's does)."""

    def __init__(self, data, offset=0):
        self.data = data
        self.offset = offset
        self.parts = []

    def part(self, offset, length):
        piece = _SeekableBody(self.data[offset : offset + length], offset)
        self.parts.append((offset, length))
        return piece

    def __iter__(self):
        return iter([self.data])


def test_a_body_that_reads_its_own_ranges_gives_the_part(app, client):
    bodies = []

    @app.route("/")
    def index():
        body = _SeekableBody(BODY)
        bodies.append(body)
        response = Response(body, direct_passthrough=True)
        return response.make_conditional(request, accept_ranges=True, complete_length=100)

    answer = client.get("/", headers={"Range": "bytes=40-49"})
    assert (answer.status_code, answer.data) == (206, BODY[40:50])
    assert bodies[0].parts == [(40, 10)]

"""carafe.request_body: reading a request body within its limits.

``parse_content_length`` is checked value for value against Werkzeug 3.1's
``get_content_length`` (both its WSGI and sans-IO forms); the bounded stream and
``_read_capped`` directly, over an in-memory source; and the same through a view
reading ``request.stream``, on Carafe and on Flask.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

import carafe
from carafe import Flask, request
from carafe.exceptions import BadRequest, ClientDisconnected, RequestEntityTooLarge
from carafe.request_body import (
    _EXHAUSTED,
    _BoundedStream,
    _read_capped,
    is_chunked,
    parse_content_length,
)
from server_environ import server_environ

flask = pytest.importorskip("flask")
werkzeug_wsgi = pytest.importorskip("werkzeug.wsgi")
werkzeug_utils = pytest.importorskip("werkzeug.sansio.utils")


class CountingSource(io.BytesIO):
    """A server's input stream that records how much was asked of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.requested: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.requested.append(-1 if size is None else size)
        return super().read(size)


# ---------------------------------------------------------------------------
# parse_content_length, as Werkzeug reads Content-Length


VALUES = [
    None,
    "0",
    "12",
    "007",
    " 12",
    "12 ",
    "\t12\t",
    "",
    " ",
    "+5",
    "-5",
    "-0",
    "--1",
    "5_0",
    "1e3",
    "0x10",
    "12abc",
    "1 2",
    "\u0661\u0662",  # Arabic-Indic digits: isdigit(), but not ASCII
    "\u00b2",  # superscript two: isdigit(), but not a number int() takes
    "99999999999999999999999",
]


@pytest.mark.parametrize("value", VALUES)
def test_content_length_is_read_as_werkzeug_reads_it(value: str | None) -> None:
    expected = werkzeug_utils.get_content_length(value, None)
    assert parse_content_length(value, None) == expected
    environ = {} if value is None else {"CONTENT_LENGTH": value}
    assert werkzeug_wsgi.get_content_length(environ) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("12", 12), ("007", 7), (" 12\t", 12), ("-5", 0), ("+5", 0), ("x", 0)],
)
def test_content_length_values(value: str | None, expected: int | None) -> None:
    assert parse_content_length(value, None) == expected


@pytest.mark.parametrize(
    "transfer_encoding", ["chunked", "Chunked", "CHUNKED ", "gzip, chunked", "gzip,chunked"]
)
def test_chunked_body_has_no_length(transfer_encoding: str) -> None:
    assert werkzeug_utils.get_content_length("5", transfer_encoding) is None
    assert parse_content_length("5", transfer_encoding) is None


@pytest.mark.parametrize("transfer_encoding", [None, "identity", "gzip"])
def test_other_transfer_encodings_keep_the_length(transfer_encoding: str | None) -> None:
    assert werkzeug_utils.get_content_length("5", transfer_encoding) == 5
    assert parse_content_length("5", transfer_encoding) == 5


@pytest.mark.parametrize("value", ["12\n", "\n12", "12\r", "\x0b12", "\x0c12", "\u00a012"])
def test_content_length_with_other_whitespace_is_zero_as_in_werkzeug(value: str) -> None:
    assert werkzeug_utils.get_content_length(value, None) == 0
    assert parse_content_length(value, None) == 0


@pytest.mark.parametrize("transfer_encoding", ["notchunked", "chunked-x", "gzip; chunked"])
def test_chunked_is_a_token_not_a_substring(transfer_encoding: str) -> None:
    assert werkzeug_utils.get_content_length("5", transfer_encoding) == 5
    assert parse_content_length("5", transfer_encoding) == 5


# ---------------------------------------------------------------------------
# _BoundedStream: a known length


def test_bounded_stream_stops_at_the_length() -> None:
    source = CountingSource(b"hello world")
    stream = _BoundedStream(source, 5, None)
    assert stream.read() == b"hello"
    assert stream.read() == b""
    assert stream.read(10) == b""
    # Never a byte past the length is asked of the server's stream.
    assert source.tell() == 5


def test_bounded_stream_reads_in_parts() -> None:
    stream = _BoundedStream(io.BytesIO(b"abcdefgh-next request"), 8, None)
    assert stream.read(3) == b"abc"
    assert stream.read(100) == b"defgh"
    assert stream.read(1) == b""


@pytest.mark.parametrize("size", [-1, None])
def test_bounded_stream_read_all(size: int | None) -> None:
    assert _BoundedStream(io.BytesIO(b"abc-rest"), 3, None).read(size) == b"abc"


def test_bounded_stream_read_zero_reads_nothing() -> None:
    source = CountingSource(b"abc")
    assert _BoundedStream(source, 3, None).read(0) == b""
    assert source.tell() == 0


def test_zero_length_reads_nothing_from_the_source() -> None:
    source = CountingSource(b"not the body")
    stream = _BoundedStream(source, 0, None)
    assert stream.read() == b""
    assert stream.read(5) == b""
    assert stream.readline() == b""
    assert source.tell() == 0


def test_bounded_stream_read_all_over_a_source_giving_parts() -> None:
    class Trickle(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            return super().read(min(2, size if size is not None and size >= 0 else 2))

    assert _BoundedStream(Trickle(b"abcdefg-rest"), 7, None).read() == b"abcdefg"


def test_short_body_is_client_disconnected() -> None:
    stream = _BoundedStream(io.BytesIO(b"abc"), 10, None)
    with pytest.raises(ClientDisconnected) as error:
        stream.read()
    assert error.value.code == 400
    assert isinstance(error.value, BadRequest)


def test_short_body_read_in_parts_fails_at_the_missing_part() -> None:
    stream = _BoundedStream(io.BytesIO(b"abc"), 10, None)
    assert stream.read(2) == b"ab"
    assert stream.read(5) == b"c"
    with pytest.raises(ClientDisconnected, match="less data than its Content-Length"):
        stream.read(5)


def test_readline_stops_at_the_length() -> None:
    stream = _BoundedStream(io.BytesIO(b"line one\nline two\nnext"), 13, None)
    assert stream.readline() == b"line one\n"
    assert stream.readline() == b"line"
    assert stream.readline() == b""


def test_readline_with_a_size() -> None:
    stream = _BoundedStream(io.BytesIO(b"abcdef\n"), 7, None)
    assert stream.readline(3) == b"abc"
    assert stream.readline(10) == b"def\n"


def test_iteration_gives_lines() -> None:
    stream = _BoundedStream(io.BytesIO(b"a\nb\nc-ignored"), 5, None)
    assert list(stream) == [b"a\n", b"b\n", b"c"]


def test_readinto_fills_the_buffer_up_to_the_length() -> None:
    stream = _BoundedStream(io.BytesIO(b"abcdef"), 5, None)
    buffer = bytearray(3)
    assert stream.readinto(buffer) == 3
    assert buffer == bytearray(b"abc")
    assert stream.readinto(buffer) == 2
    assert buffer[:2] == bytearray(b"de")
    assert stream.readinto(buffer) == 0


def test_readinto_a_memoryview() -> None:
    stream = _BoundedStream(io.BytesIO(b"xyz"), 3, None)
    target = bytearray(5)
    assert stream.readinto(memoryview(target)) == 3
    assert target == bytearray(b"xyz\x00\x00")


def test_buffered_reader_over_the_stream() -> None:
    """A RawIOBase: io.BufferedReader can wrap it (what multipart parsers do)."""
    reader = io.BufferedReader(_BoundedStream(io.BytesIO(b"buffered-rest"), 8, None))
    assert reader.read(3) == b"buf"
    assert reader.read() == b"fered"


def test_stream_is_readable() -> None:
    stream = _BoundedStream(io.BytesIO(b""), 0, None)
    assert stream.readable()
    assert not stream.writable()
    assert not stream.seekable()


# ---------------------------------------------------------------------------
# _BoundedStream: no length (chunked), bounded by a limit


def test_chunked_stream_reads_to_the_end_under_the_limit() -> None:
    stream = _BoundedStream(io.BytesIO(b"abcdefg"), None, 10)
    assert stream.read() == b"abcdefg"
    assert stream.read() == b""


def test_chunked_stream_exactly_at_the_limit_is_allowed() -> None:
    assert _BoundedStream(io.BytesIO(b"abcd"), None, 4).read() == b"abcd"


def test_chunked_stream_past_the_limit_is_413() -> None:
    with pytest.raises(RequestEntityTooLarge) as error:
        _BoundedStream(io.BytesIO(b"abcdefghij"), None, 4).read()
    assert error.value.code == 413


def test_chunked_stream_past_the_limit_in_parts_is_413() -> None:
    stream = _BoundedStream(io.BytesIO(b"abcdefghij"), None, 4)
    assert stream.read(3) == b"abc"
    with pytest.raises(RequestEntityTooLarge):
        stream.read(3)


def test_chunked_stream_readline_past_the_limit_is_413() -> None:
    stream = _BoundedStream(io.BytesIO(b"a long line without end"), None, 4)
    with pytest.raises(RequestEntityTooLarge):
        stream.readline()


def test_chunked_stream_without_a_limit_reads_everything() -> None:
    body = b"x" * 200_000
    assert _BoundedStream(io.BytesIO(body), None, None).read() == body


# ---------------------------------------------------------------------------
# _read_capped


def test_read_capped_without_a_limit_reads_all() -> None:
    assert _read_capped(io.BytesIO(b"everything"), None) == b"everything"


@pytest.mark.parametrize("size", [0, 1, 9, 10])
def test_read_capped_under_or_at_the_limit(size: int) -> None:
    assert _read_capped(io.BytesIO(b"x" * size), 10) == b"x" * size


@pytest.mark.parametrize(
    ("limit", "size"), [(0, 1), (10, 11), (10, 1_000_000), (100_000, 300_000)]
)
def test_read_capped_past_the_limit_is_413_after_at_most_one_byte_more(
    limit: int, size: int
) -> None:
    source = CountingSource(b"x" * size)
    with pytest.raises(RequestEntityTooLarge):
        _read_capped(source, limit)
    # It stops as soon as it knows: no more than the limit and one byte is read.
    assert source.tell() <= limit + 1


def test_read_capped_large_body_in_chunks() -> None:
    body = bytes(range(256)) * 1000
    source = CountingSource(body)
    assert _read_capped(source, len(body)) == body
    assert max(source.requested) <= 64 * 1024


# ---------------------------------------------------------------------------
# _EXHAUSTED


def test_exhausted_stream_reads_nothing() -> None:
    assert _EXHAUSTED.read() == b""
    assert _EXHAUSTED.read(10) == b""
    assert _EXHAUSTED.read(None) == b""  # type: ignore[arg-type]
    assert _EXHAUSTED.readline() == b""
    assert _EXHAUSTED.readline(5) == b""
    assert _EXHAUSTED.readable()


def test_stream_after_get_data_is_exhausted(app: Flask, client: Any) -> None:
    @app.route("/", methods=["POST"])
    def index() -> Any:
        data = request.get_data()
        return {"data": data.decode(), "rest": request.stream.read().decode()}

    assert client.post("/", data=b"body").get_json() == {"data": "body", "rest": ""}


# ---------------------------------------------------------------------------
# Through a view: request.stream, on Carafe and on Flask


def post_environ(
    body: bytes, content_length: str | None, *, terminated: bool = False
) -> dict[str, Any]:
    environ = server_environ("POST", body=body)
    environ.pop("CONTENT_LENGTH", None)
    if content_length is not None:
        environ["CONTENT_LENGTH"] = content_length
    if terminated:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
    return environ


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"CONTENT_LENGTH": "7"}, 7),
        ({"CONTENT_LENGTH": " 7 "}, 7),
        ({"CONTENT_LENGTH": "-7"}, 0),
        ({"CONTENT_LENGTH": "seven"}, 0),
        ({"CONTENT_LENGTH": "7", "HTTP_TRANSFER_ENCODING": "chunked"}, None),
    ],
)
def test_request_content_length_is_werkzeugs(
    headers: dict[str, str], expected: int | None
) -> None:
    environ = {**post_environ(b"", None), **headers}
    assert werkzeug_wsgi.get_content_length(environ) == expected
    assert carafe.Request(environ).content_length == expected
    assert flask.Request(environ).content_length == expected


def stream_app(module: Any, how: str, limit: int | None) -> Any:
    app = module.Flask("request_body")
    app.config["MAX_CONTENT_LENGTH"] = limit

    @app.route("/", methods=["POST"])
    def index() -> str:
        stream = module.request.stream
        if how == "read":
            return repr(stream.read())
        if how == "parts":
            return repr([stream.read(2), stream.read(100), stream.read(1)])
        if how == "readline":
            return repr([stream.readline(), stream.readline(), stream.readline()])
        return repr(list(stream))

    return app


def run(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    statuses: list[str] = []
    body = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    return statuses[0], b"".join(body)


@pytest.mark.parametrize("how", ["read", "parts", "readline", "lines"])
@pytest.mark.parametrize(
    ("body", "content_length", "terminated", "limit"),
    [
        (b"ab\ncd\nefgh", "5", False, None),  # the stream stops at the length
        (b"abc", "10", False, None),  # short body: 400
        (b"abcdefghijkl", "12", False, 8),  # declared over the limit: 413
        (b"ab\ncdef", None, True, 8),  # chunked, under the limit
        (b"", "0", False, None),
    ],
    ids=["length", "short", "declared-too-large", "chunked", "empty"],
)
def test_request_stream_reads_as_flask(
    how: str, body: bytes, content_length: str | None, terminated: bool, limit: int | None
) -> None:
    def answer(module: Any) -> tuple[str, bytes]:
        environ = post_environ(body, content_length, terminated=terminated)
        return run(stream_app(module, how, limit), environ)

    ours, theirs = answer(carafe), answer(flask)
    assert ours[0] == theirs[0]
    if ours[0] == "200 OK":
        assert ours[1] == theirs[1]
    else:
        # The error page's description may be Carafe's own (the short body's is).
        assert ours[1].startswith(theirs[1].split(b"<p>")[0])


@pytest.mark.parametrize("how", ["read", "parts", "readline", "lines"])
def test_chunked_request_stream_past_the_limit_is_413(how: str) -> None:
    """Werkzeug's read() of a chunked body stops silently at the limit; Carafe says 413."""
    environ = post_environ(b"abcdefghijkl", None, terminated=True)
    status, _body = run(stream_app(carafe, how, 8), environ)
    assert status == "413 REQUEST ENTITY TOO LARGE"


def test_chunked_body_without_input_terminated_is_not_read(app: Flask) -> None:
    """Without the server's word that the stream ends, reading could block: empty."""
    source = CountingSource(b"abc")

    @app.route("/", methods=["POST"])
    def index() -> bytes:
        return request.stream.read()

    environ = post_environ(b"", None)
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ["wsgi.input"] = source
    assert run(app, environ) == ("200 OK", b"")
    assert source.requested == []


@pytest.mark.parametrize(
    ("transfer_encoding", "expected"),
    [
        (None, False),
        ("chunked", True),
        ("Chunked", True),
        ("gzip, chunked", True),
        ("gzip,chunked ", True),
        ("notchunked", False),
        ("chunked-x", False),
        ("gzip", False),
    ],
)
def test_is_chunked_reads_the_coding_tokens(transfer_encoding: str | None, expected: bool) -> None:
    assert is_chunked(transfer_encoding) is expected
    # The same answer as Werkzeug's (a length is dropped exactly when chunked).
    assert (werkzeug_utils.get_content_length("5", transfer_encoding) is None) is expected

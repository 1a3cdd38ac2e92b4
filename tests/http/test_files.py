"""carafe.http.files: safe_join's refusals (the one gate between a URL and the file
system), FileBody's reads, and carafe.http.byteranges' multipart answers."""

from __future__ import annotations

import io
import re

import pytest

from carafe.http.byteranges import MAX_RANGES, ByteRanges, plan_ranges
from carafe.http.files import FileBody, safe_join

SAFE = [
    ("a.txt", "/srv/static/a.txt"),
    ("css/site.css", "/srv/static/css/site.css"),
    ("css/../a.txt", "/srv/static/a.txt"),
    ("./a.txt", "/srv/static/a.txt"),
    ("a..b.txt", "/srv/static/a..b.txt"),
    ("..a", "/srv/static/..a"),
    ("console.txt", "/srv/static/console.txt"),
]

UNSAFE = [
    "..",
    "../secret",
    "../static1.txt",
    "a/../../secret",
    "/etc/passwd",
    "//etc/passwd",
    "a\\..\\..\\secret",
    "..\\secret",
    "C:secret",
    "C:/secret",
    "file.txt:stream",
    "a\x00.txt",
    "NUL",
    "nul",
    "CON.txt",
    "con.tar.gz",
    "sub/AUX",
    "nul.d/x",
    "COM1.log",
    "LPT9",
    "NUL ",
    "con.",
    "secret.",
    "secret ",
]


@pytest.mark.parametrize(("name", "joined"), SAFE)
def test_safe_names_are_joined(name: str, joined: str) -> None:
    assert safe_join("/srv/static", name) == joined


@pytest.mark.parametrize("name", UNSAFE)
def test_names_that_could_leave_the_directory_are_refused(name: str) -> None:
    assert safe_join("/srv/static", name) is None


def test_several_parts_are_each_checked() -> None:
    assert safe_join("/srv", "static", "a.txt") == "/srv/static/a.txt"
    assert safe_join("/srv", "static", "../../x") is None
    assert safe_join("/srv", "") == "/srv"


def test_matches_werkzeug_where_werkzeug_refuses() -> None:
    werkzeug_security = pytest.importorskip("werkzeug.security")
    for name in [*UNSAFE, *(name for name, _ in SAFE)]:
        if werkzeug_security.safe_join("/srv/static", name) is None:
            # Carafe refuses at least what Werkzeug refuses (it refuses more: backslashes,
            # drives and device names on every platform).
            assert safe_join("/srv/static", name) is None, name


def test_file_body_reads_in_blocks_from_its_offset() -> None:
    data = bytes(range(256)) * 10
    body = FileBody(io.BytesIO(data), block_size=100)
    assert body.whole
    assert b"".join(body) == data
    part = body.part(10, 250)
    assert not part.whole
    chunks = list(part)
    assert b"".join(chunks) == data[10:260]
    assert max(len(chunk) for chunk in chunks) == 100
    assert b"".join(body.part(2500, 100)) == data[2500:]  # the file ends first
    body.close()
    assert body.file.closed


def test_file_body_without_offset_reads_from_where_the_file_is() -> None:
    file = io.BytesIO(b"0123456789")
    file.seek(4)
    assert b"".join(FileBody(file)) == b"456789"


def test_ranges_are_sorted_and_merged() -> None:
    assert plan_ranges([(50, 60), (0, 10), (5, 20), (20, 25)], 100) == [(0, 25), (50, 60)]


def test_too_many_ranges_or_bytes_answer_the_whole_body() -> None:
    many = [(number * 2, number * 2 + 1) for number in range(MAX_RANGES + 1)]
    assert plan_ranges(many, 1000) is None
    assert plan_ranges(many[:MAX_RANGES], 1000) is not None
    # Overlapping ranges asking for more than the body: the body, once.
    assert plan_ranges([(0, 80), (10, 90)], 100) is None


def test_multipart_byteranges_body_and_length() -> None:
    data = b"abcdefghijklmnopqrstuvwxyz"
    answer = ByteRanges(
        [(0, 3), (10, 12)], len(data), "text/plain", lambda start, n: [data[start : start + n]]
    )
    body = b"".join(answer)
    assert len(body) == answer.length
    boundary = answer.boundary
    assert answer.content_type == f"multipart/byteranges; boundary={boundary}"
    assert (
        body
        == (
            f"--{boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-2/26\r\n\r\n"
            f"abc\r\n--{boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 10-11/26\r\n"
            f"\r\nkl\r\n--{boundary}--\r\n"
        ).encode()
    )
    assert re.fullmatch(r"[0-9a-f]{32}", boundary)


def test_multipart_parts_parse_back_with_the_standard_library() -> None:
    from email.parser import BytesParser

    data = bytes(range(200))
    answer = ByteRanges(
        [(0, 50), (100, 150)], len(data), None, lambda start, n: [data[start : start + n]]
    )
    message = BytesParser().parsebytes(
        f"Content-Type: {answer.content_type}\r\n\r\n".encode() + b"".join(answer)
    )
    parts = message.get_payload()
    assert [part["Content-Range"] for part in parts] == ["bytes 0-49/200", "bytes 100-149/200"]
    assert [part.get_payload(decode=True) for part in parts] == [data[0:50], data[100:150]]

"""Tests for carafe.http.forms, compared with what Werkzeug/Flask parse from the same bytes."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WRequest

from carafe.http.datastructures import FileStorage
from carafe.http.forms import (
    FormError,
    FormTooLarge,
    MalformedForm,
    parse_multipart,
    parse_urlencoded,
    parse_urlencoded_lists,
)

# -- urlencoded ------------------------------------------------------------------------

QUERIES = [
    "",
    "a=1",
    "a=1&a=2",
    "a=1&b=2&a=3",
    "%zz",
    "%",
    "%e9",
    "a=%e9%41",
    "&&&",
    "=x",
    "=",
    "a",
    "a&b=&=c",
    "a;b=1",
    "a+b=c+d",
    "a=%2B+%20",
    "a=%C3%A9",
    "%C3",
    "%41%4",
    "a=b=c",
    "%f0%9f%98%80x%f0%9f",
    "%00=%0d%0a",
    "k=" + "v" * 1000,
]


def werkzeug_args(query: str) -> list[tuple[str, str]]:
    environ = EnvironBuilder().get_environ()
    environ["QUERY_STRING"] = query
    return list(WRequest(environ).args.items(multi=True))


def werkzeug_form(body: bytes) -> list[tuple[str, str]]:
    environ = EnvironBuilder(
        method="POST", data=body, content_type="application/x-www-form-urlencoded"
    ).get_environ()
    return list(WRequest(environ).form.items(multi=True))


def grouped(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Group by key, as Werkzeug's MultiDict lists them."""
    keys = dict.fromkeys(key for key, _ in pairs)
    return [(key, value) for key in keys for k, value in pairs if k == key]


@pytest.mark.parametrize("query", QUERIES)
def test_query_string_matches_werkzeug(query: str) -> None:
    ours = parse_urlencoded(query.encode("latin-1"))
    assert grouped(ours) == werkzeug_args(query)
    assert grouped(ours) == werkzeug_form(query.encode("latin-1"))


def lists_of(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for key, value in pairs:
        lists.setdefault(key, []).append(value)
    return lists


@pytest.mark.parametrize("max_fields", [None, 1000])
@pytest.mark.parametrize("query", QUERIES)
def test_grouped_parse_is_the_pairs_grouped(query: str, max_fields: int | None) -> None:
    body = query.encode("latin-1")
    expected = lists_of(parse_urlencoded(body, max_fields=max_fields))
    assert parse_urlencoded_lists(body, max_fields=max_fields) == expected


def test_grouped_parse_examples() -> None:
    # Both the plain path (nothing to unquote, no limit) and the unquoting one.
    for limit in (None, 10):
        assert parse_urlencoded_lists(b"a=1&&b=2&a=3&c&d=x=y", max_fields=limit) == {
            "a": ["1", "3"],
            "b": ["2"],
            "c": [""],
            "d": ["x=y"],
        }
        assert parse_urlencoded_lists(b"a=%41+b&a=%zz", max_fields=limit) == {"a": ["A b", "%zz"]}
    assert parse_urlencoded_lists(b"") == {}
    with pytest.raises(FormTooLarge):
        parse_urlencoded_lists(b"a&b&c", max_fields=2)


def test_urlencoded_examples() -> None:
    assert parse_urlencoded(b"a=1&b=2&a=3") == [("a", "1"), ("b", "2"), ("a", "3")]
    assert parse_urlencoded(b"name=J%C3%BCrgen+M&x=%zz") == [("name", "Jürgen M"), ("x", "%zz")]
    assert parse_urlencoded(b"a=%e9") == [("a", "%E9")]


def test_urlencoded_fuzz_matches_werkzeug() -> None:
    alphabet = ["a", "b", "=", "&", "+", "%", "2", "B", "e", "9", "C3", "A9", ";", " "]
    rng = random.Random(7)
    for _ in range(1500):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 16)))
        assert grouped(parse_urlencoded(query.encode())) == werkzeug_args(query), query
        assert parse_urlencoded_lists(query.encode(), max_fields=None) == lists_of(
            werkzeug_args(query)
        ), query


def test_raw_invalid_utf8_is_replaced_not_raised() -> None:
    # Werkzeug raises UnicodeDecodeError for args and silently drops the whole form.
    assert parse_urlencoded(b"a=\xe9&b=\xc3\xa9") == [("a", "\ufffd"), ("b", "é")]
    assert werkzeug_form(b"a=\xe9&b=2") == []


def test_max_fields() -> None:
    body = "&".join(f"k{i}=v" for i in range(1000)).encode()
    assert len(parse_urlencoded(body)) == 1000
    with pytest.raises(FormTooLarge, match="1001 fields") as info:
        parse_urlencoded(body + b"&extra=1")
    assert info.value.status_code == 413
    # Empty segments do not count as fields.
    assert len(parse_urlencoded(b"&" * 5000 + b"a=1", max_fields=1)) == 1
    assert len(parse_urlencoded(body * 3, max_fields=None)) == 2998
    with pytest.raises(FormTooLarge):
        parse_urlencoded(b"a&b&c", max_fields=2)


# -- multipart helpers -------------------------------------------------------------------

BOUNDARY = "----carafeBoundary7MA4YWxkTrZu0gW"


def part(
    name: str,
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    extra: str = "",
) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"Content-Disposition: {disposition}\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    head += extra
    return head.encode() + b"\r\n" + data


def body_of(*parts: bytes, boundary: str = BOUNDARY) -> bytes:
    delimiter = b"--" + boundary.encode()
    out = b"".join(delimiter + b"\r\n" + p + b"\r\n" for p in parts)
    return out + delimiter + b"--\r\n"


OPENED: list[FileStorage] = []


@pytest.fixture(autouse=True)
def close_uploads() -> Iterator[None]:
    """Close every file a test parsed (pytest turns ResourceWarning into errors)."""
    yield
    while OPENED:
        OPENED.pop().close()


def parse(
    body: bytes, **kwargs: Any
) -> tuple[list[tuple[str, str]], list[tuple[str, FileStorage]]]:
    kwargs.setdefault("boundary", BOUNDARY)
    kwargs.setdefault("content_length", len(body))
    fields, files = parse_multipart(io.BytesIO(body), **kwargs)
    OPENED.extend(storage for _, storage in files)
    return fields, files


def werkzeug_multipart(body: bytes) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
    environ = EnvironBuilder(
        method="POST", data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    ).get_environ()
    request = WRequest(environ)
    try:
        return list(request.form.items(multi=True)), files_summary(
            list(request.files.items(multi=True))
        )
    finally:
        request.close()


def files_summary(files: list[tuple[str, Any]]) -> list[tuple[Any, ...]]:
    summary = []
    for name, storage in files:
        summary.append(
            (
                name,
                storage.filename,
                storage.name,
                storage.content_type,
                storage.mimetype,
                storage.read(),
            )
        )
    return summary


# -- multipart behaviour -------------------------------------------------------------------

# Binary data with CRLFs and boundary-like bytes (but never a real delimiter,
# CRLF + "--" + boundary, which RFC 2046 forbids inside a part).
BINARY = (
    bytes(range(256)) * 4
    + b"--"
    + BOUNDARY.encode()
    + b"\r\n\r\n--\r\n--"
    + BOUNDARY[:-1].encode()
    + b"\r"
    + b"\r\n-"
    + BOUNDARY.encode()
    + b"--\r"
)
# Werkzeug also ends a part at LF + "--" + boundary (no CR) and so truncates this
# file; RFC 2046 delimiters start with CRLF, and we keep every byte.
BINARY_LF = BINARY + b"x\n--" + BOUNDARY.encode() + b"--\r\n" + b"tail"

BODIES = {
    "simple": body_of(part("a", b"1"), part("b", b"two words")),
    "repeated": body_of(part("a", b"1"), part("b", b"2"), part("a", b"3")),
    "utf8": body_of(part("n\u00e4me", "välue €".encode())),
    "charset": body_of(
        part("l", "café".encode("latin-1"), content_type="text/plain; charset=iso-8859-1")
    ),
    "bad-utf8": body_of(part("x", b"\xff\xfeok")),
    "empty-field": body_of(part("e", b"")),
    "file": body_of(part("f", b"file data", filename="a.txt", content_type="text/plain")),
    "file-no-type": body_of(part("f", b"data", filename="b.bin")),
    "file-empty-name": body_of(
        part("f", b"", filename="", content_type="application/octet-stream")
    ),
    "binary": body_of(
        part("bin", BINARY, filename="x.bin", content_type="application/octet-stream")
    ),
    "mixed": body_of(
        part("title", b"hello"),
        part("f1", b"one", filename="1.txt", content_type="text/plain"),
        part("f1", b"two\r\n", filename="2.txt", content_type="text/plain"),
        part("tail", b"bye"),
    ),
    "crlf-values": body_of(part("a", b"\r\nline\r\n\r\n")),
    "rfc2231-filename": body_of(
        b"Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''%E2%82%AC.txt\r\n\r\neuro"
    ),
    "quoted-names": body_of(
        b'Content-Disposition: form-data; name="a%22b\\"c"; filename="x%0Ay.txt"\r\n\r\nq',
        b"Content-Disposition: form-data; name=unquoted\r\n\r\nu",
    ),
    "utf8-filename": body_of(part("f", b"d", filename="r\u00e9sum\u00e9.pdf")),
    "preamble": b"preamble text\r\n" + body_of(part("a", b"1")) + b"epilogue",
}


@pytest.mark.parametrize("key", list(BODIES))
def test_multipart_matches_werkzeug(key: str) -> None:
    body = BODIES[key]
    fields, files = parse(body)
    their_fields, their_files = werkzeug_multipart(body)
    assert grouped(fields) == their_fields
    assert sorted(files_summary(files), key=repr) == sorted(their_files, key=repr)


DISPOSITIONS = [
    'form-data; name="plain"',
    'form-data; name=""',
    'form-data; name="with space; and=semicolon"',
    'form-data; name="per%22cent"',
    'form-data; name="back\\\\slash"',
    'form-data; name="esc\\"aped"',
    'form-data; name="n\u00e4me \u20ac"',
    'form-data; name="tab\there"',
    "form-data; name=unquoted",
    'Form-Data; name="upper"',
    'form-data;name="no-space"',
    'form-data;  name="two-spaces"',
    'form-data; name="a"; name="b"',
    'form-data; name="x"; other="y"',
    "form-data; name*=UTF-8''%E2%82%AC",
    'form-data; NAME="upper-param"',
    'form-data; name="trailing"; ',
]


@pytest.mark.parametrize("disposition", DISPOSITIONS)
def test_multipart_field_names_match_werkzeug(disposition: str) -> None:
    # The usual spelling takes a shortcut; every other one is parsed in full.
    raw = f"Content-Disposition: {disposition}\r\n\r\nvalue".encode()
    body = body_of(raw)
    fields, files = parse(body)
    their_fields, their_files = werkzeug_multipart(body)
    assert (grouped(fields), files_summary(files)) == (their_fields, their_files)


def test_multipart_unterminated_name_is_kept_under_empty_name() -> None:
    # Werkzeug files the value under the key None; it is kept, under "".
    fields, _files = parse(body_of(b'Content-Disposition: form-data; name="open\r\n\r\nvalue'))
    assert fields == [("", "value")]


def test_multipart_file_details() -> None:
    fields, files = parse(BODIES["mixed"])
    assert fields == [("title", "hello"), ("tail", "bye")]
    assert [name for name, _ in files] == ["f1", "f1"]
    first = files[0][1]
    assert isinstance(first, FileStorage)
    assert first.filename == "1.txt"
    assert first.name == "f1"
    assert first.content_type == "text/plain"
    assert first.headers["Content-Disposition"] == 'form-data; name="f1"; filename="1.txt"'
    assert first.tell() == 0
    assert first.read() == b"one"
    assert files[1][1].read() == b"two\r\n"
    _, files = parse(BODIES["file-empty-name"])
    assert files[0][1].filename == ""
    assert not files[0][1]


def test_lf_boundary_inside_file_is_data() -> None:
    body = body_of(part("bin", BINARY_LF, filename="x.bin"))
    assert parse(body)[1][0][1].read() == BINARY_LF
    assert werkzeug_multipart(body)[1][0][5] != BINARY_LF  # Werkzeug cuts it short


def test_multipart_binary_and_large_files_byte_exact() -> None:
    rng = random.Random(99)
    big = rng.randbytes(3 * 1024 * 1024) + BINARY
    body = body_of(
        part("big", big, filename="big.bin", content_type="application/octet-stream"),
        part("bin", BINARY, filename="x.bin"),
        part("after", b"ok"),
    )
    for chunk_size in (64 * 1024, 1000, 7):
        if chunk_size == 7:
            body_small = body_of(part("bin", BINARY, filename="x.bin"), part("after", b"ok"))
            fields, files = parse(body_small, chunk_size=chunk_size)
            assert files[0][1].read() == BINARY
            assert fields == [("after", "ok")]
            continue
        fields, files = parse(body, chunk_size=chunk_size)
        assert files[0][1].read() == big
        assert files[1][1].read() == BINARY
        assert fields == [("after", "ok")]
        # Large files spill to disk; small ones stay in memory.
        assert files[0][1].stream._rolled  # type: ignore[attr-defined]
        assert not files[1][1].stream._rolled  # type: ignore[attr-defined]


def test_multipart_content_length_none_reads_to_eof() -> None:
    fields, _ = parse(BODIES["simple"], content_length=None)
    assert fields == [("a", "1"), ("b", "two words")]


def test_multipart_reads_at_most_content_length() -> None:
    body = BODIES["simple"]
    stream = io.BytesIO(body + b"NEXT REQUEST BYTES")
    fields, _ = parse_multipart(stream, boundary=BOUNDARY, content_length=len(body))
    assert fields == [("a", "1"), ("b", "two words")]
    assert stream.read() == b"NEXT REQUEST BYTES"


def test_multipart_short_reads() -> None:
    class Trickle:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def read(self, size: int) -> bytes:
            chunk, self.data = self.data[:3], self.data[3:]
            return chunk

    body = BODIES["mixed"]
    fields, files = parse_multipart(Trickle(body), boundary=BOUNDARY, content_length=len(body))
    OPENED.extend(storage for _, storage in files)
    assert fields == [("title", "hello"), ("tail", "bye")]
    assert files[1][1].read() == b"two\r\n"


def test_multipart_empty_body_is_empty_form() -> None:
    assert parse(b"") == ([], [])
    assert parse(b"", content_length=None) == ([], [])


def test_multipart_no_parts() -> None:
    assert parse(b"--" + BOUNDARY.encode() + b"--\r\n") == ([], [])


# -- multipart limits and hostile input --------------------------------------------------------


def test_field_larger_than_memory_limit() -> None:
    body = body_of(part("big", b"x" * 101))
    assert parse(body, max_form_memory_size=101)[0] == [("big", "x" * 101)]
    with pytest.raises(FormTooLarge, match="'big' is larger than the limit of 100 bytes"):
        parse(body, max_form_memory_size=100)
    # Spread over many chunks, the limit still holds.
    with pytest.raises(FormTooLarge):
        parse(body, max_form_memory_size=100, chunk_size=5)
    # Files are not held in memory, so the limit does not apply to them.
    _, files = parse(body_of(part("f", b"x" * 1000, filename="f")), max_form_memory_size=100)
    assert files[0][1].read() == b"x" * 1000
    assert parse(body, max_form_memory_size=None)[0] == [("big", "x" * 101)]


def test_too_many_parts() -> None:
    body = body_of(*(part(f"p{i}", b"v") for i in range(11)))
    assert len(parse(body, max_form_parts=11)[0]) == 11
    with pytest.raises(FormTooLarge) as info:
        parse(body, max_form_parts=10)
    assert info.value.status_code == 413
    assert len(parse(body, max_form_parts=None)[0]) == 11


def test_default_part_limit_is_1000() -> None:
    body = body_of(*(part("p", b"") for i in range(1001)))
    with pytest.raises(FormTooLarge):
        parse(body)


def test_huge_part_header() -> None:
    body = body_of(part("a", b"1", extra="X-Long: " + "y" * 10000 + "\r\n"))
    with pytest.raises(FormTooLarge):
        parse(body)


full = BODIES["mixed"]
MALFORMED = {
    "truncated-mid-body": full[: len(full) // 2],
    "truncated-before-final": full[:-10],
    "no-final-boundary": full[: full.rindex(b"--" + BOUNDARY.encode())],
    "garbage": b"this is not multipart at all, not even close" * 10,
    "wrong-boundary": body_of(part("a", b"1"), boundary="other-boundary"),
    "lf-only": body_of(part("a", b"1")).replace(b"\r\n", b"\n"),
    "no-disposition": b"--"
    + BOUNDARY.encode()
    + b"\r\nContent-Type: text/plain\r\n\r\nx\r\n--"
    + BOUNDARY.encode()
    + b"--\r\n",
    "bad-disposition": body_of(b'Content-Disposition: attachment; name="a"\r\n\r\n1'),
    "header-without-colon": body_of(b"Content-Disposition form-data\r\n\r\n1"),
    "nul-in-header": body_of(part("a", b"1", extra="X-Bad: a\x00b\r\n")),
    "lf-in-header": body_of(part("a", b"1", extra="X-Bad: a\nb\r\n")),
    "junk-after-boundary": full.replace(
        b"\r\n--" + BOUNDARY.encode() + b"\r\n", b"\r\n--" + BOUNDARY.encode() + b"XY", 1
    ),
}


@pytest.mark.parametrize("key", list(MALFORMED))
def test_malformed_bodies_raise_malformed_form(key: str) -> None:
    with pytest.raises(MalformedForm) as info:
        parse(MALFORMED[key])
    assert info.value.status_code == 400
    assert "malformed" in str(info.value) or "invalid" in str(info.value)


def test_stream_shorter_than_content_length() -> None:
    body = BODIES["simple"]
    with pytest.raises(MalformedForm):
        parse_multipart(io.BytesIO(body[:-5]), boundary=BOUNDARY, content_length=len(body))


@pytest.mark.parametrize("boundary", ["", " ", "a" * 201, "bad\r\nboundary", "trailing ", "é"])
def test_invalid_boundary(boundary: str) -> None:
    with pytest.raises(MalformedForm, match="boundary"):
        parse(BODIES["simple"], boundary=boundary)


def test_negative_content_length() -> None:
    with pytest.raises(MalformedForm):
        parse(BODIES["simple"], content_length=-1)


def test_fuzzed_bodies_only_raise_form_errors() -> None:
    rng = random.Random(5)
    base = BODIES["mixed"]
    for _ in range(400):
        mutated = bytearray(base)
        for _ in range(rng.randrange(1, 6)):
            position = rng.randrange(len(mutated))
            action = rng.randrange(3)
            if action == 0:
                mutated[position] = rng.randrange(256)
            elif action == 1:
                del mutated[position : position + rng.randrange(1, 20)]
            else:
                mutated[position:position] = rng.choice(
                    [b"\r\n", b"--", b'"', b";", b"\x00", b"\n"]
                )
        try:
            _, files = parse(bytes(mutated), chunk_size=rng.choice([7, 64, 4096]))
        except FormError:
            continue
        for _name, storage in files:
            storage.close()


def test_files_closed_when_parsing_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    created: list[Any] = []

    class Recording(tempfile.SpooledTemporaryFile):  # type: ignore[type-arg]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", Recording)
    body = MALFORMED["truncated-before-final"]
    with pytest.raises(MalformedForm):
        parse(body)
    assert len(created) == 2
    assert all(spool.closed for spool in created)


def test_import_carafe_http_does_not_import_multipart() -> None:
    code = "import sys, carafe.http.forms; assert 'multipart' not in sys.modules"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_utf8_names_and_filenames() -> None:
    fields, files = parse(BODIES["utf8"])
    assert fields == [("n\u00e4me", "välue €")]
    _, files = parse(BODIES["utf8-filename"])
    assert files[0][1].filename == "r\u00e9sum\u00e9.pdf"
    _, files = parse(BODIES["rfc2231-filename"])
    assert files[0][1].filename == "\u20ac.txt"
    # Header bytes that are not UTF-8 are replaced, not fatal.
    body = body_of(b'Content-Disposition: form-data; name="\xff"\r\n\r\nv')
    assert parse(body)[0] == [("\ufffd", "v")]


def test_multipart_preamble_outcome_does_not_depend_on_chunks() -> None:
    # Found by fuzz/fuzz_multipart.py: the parser library took a boundary at the start
    # of a chunk as the start of the body once the preamble before it was skipped, so
    # these bodies were a 400 or an empty form depending on how they were cut.
    for chunk_size in (1, 2, 3, 5, 7, 11, 64, 65536):
        # The first "--BOUND" follows "x", not a line break: refused, however cut.
        with pytest.raises(MalformedForm, match="in front of the first boundary"):
            parse(b"0123456789x--BOUND--", boundary="BOUND", chunk_size=chunk_size)
        # After a line break (CRLF, LF or CR, as Werkzeug allows): the preamble is skipped.
        for body in (b"--\r\n-BOUND---\n--BOUND--", b"pre\r\namble\r\n--BOUND--", b"\r--BOUND--"):
            assert parse(body, boundary="BOUND", chunk_size=chunk_size) == ([], [])


def test_multipart_bare_lf_in_a_part_header_does_not_depend_on_chunks() -> None:
    # Found by fuzz/fuzz_multipart.py: the library refused a bare LF in a header line
    # only while the line's CRLF was not in the chunk yet, and read whole, took
    # "Content-Disposition\n" as the header's name.
    body = b"--BOUND\r\nContent-Disposition\n:form-data\r\n\r\n\r\n--BOUND--"
    for chunk_size in (1, 7, 8, 64, 65536):
        with pytest.raises(MalformedForm, match="Invalid line break in segment header"):
            parse(body, boundary="BOUND", chunk_size=chunk_size)

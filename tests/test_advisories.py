"""Regression tests for the published Werkzeug and multipart-parser advisories.

Each test replays the input that triggered an advisory against Carafe, through
the test client (``request.form``, ``request.files``, ``request.cookies``) and
where useful through the parsers in :mod:`carafe.http.forms` directly. The
outcome must be a clean 413 (a limit) or 400 (malformed), or the body parsed
correctly: never a 500, never unbounded memory, never quadratic time. Inputs
are large enough (megabytes) that a quadratic parser would take far longer
than the suite allows, so no timings are asserted.

Where the behaviour must equal Werkzeug 3.1's (``filename*=``, the reported
filename, ``secure_filename``, nameless cookies), the test asks Werkzeug too.
"""

from __future__ import annotations

import io
import os

import pytest
import werkzeug.http
import werkzeug.utils
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

from carafe import Flask, request
from carafe.http.cookies import parse_cookie_header
from carafe.http.forms import FormTooLarge, MalformedForm, parse_multipart
from carafe.http.headers import parse_options_header
from carafe.utils import secure_filename

# Every behaviour through the test client, over WSGI and over ASGI.
pytestmark = pytest.mark.parametrize("interface", ["wsgi", "asgi"], indirect=True)

BOUNDARY = "advisory-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
MIB = 1024 * 1024
CHUNK = 64 * 1024  # The parser's read size.


def part(name: str, content: bytes, *, filename: str | None = None, extra: str = "") -> bytes:
    """One multipart part (its leading delimiter included) with ``content`` as sent."""
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n{extra}\r\n"
    return head.encode() + content + b"\r\n"


def multipart(*parts: bytes, preamble: bytes = b"", epilogue: bytes = b"") -> bytes:
    """A whole body: ``preamble``, the parts, the closing delimiter, ``epilogue``."""
    return preamble + b"".join(parts) + f"--{BOUNDARY}--\r\n".encode() + epilogue


def parse(body: bytes, **limits: int | None):  # type: ignore[no-untyped-def]
    """:func:`parse_multipart` over ``body``, as the request would call it."""
    return parse_multipart(io.BytesIO(body), boundary=BOUNDARY, content_length=len(body), **limits)


@pytest.fixture
def echo(app: Flask):  # type: ignore[no-untyped-def]
    """A client for an app whose view answers the parsed form and files as JSON."""

    @app.post("/")
    def index():  # type: ignore[no-untyped-def]
        return {
            "form": {name: request.form.getlist(name) for name in request.form},
            "sizes": {name: len(value) for name, value in request.form.items()},
            "files": {
                name: [storage.filename, len(storage.read())]
                for name, storage in request.files.items()
            },
        }

    return app.test_client()


# ---------------------------------------------------------------------------
# 1. CVE-2023-25577 (Werkzeug < 2.2.3): a multipart body with unlimited parts
# exhausted CPU and memory. MAX_FORM_PARTS (default 1000) bounds the parts.


def _parts(count: int) -> bytes:
    return multipart(*(part(f"f{index}", b"v") for index in range(count)))


def test_form_parts_at_default_limit_are_parsed(echo):
    response = echo.post("/", data=_parts(1000), content_type=MULTIPART)
    assert response.status_code == 200
    assert len(response.get_json()["form"]) == 1000


def test_form_parts_over_default_limit_are_413(echo):
    response = echo.post("/", data=_parts(1001), content_type=MULTIPART)
    assert response.status_code == 413


def test_file_parts_count_towards_the_parts_limit(echo):
    body = multipart(*(part(f"f{index}", b"v", filename="a.txt") for index in range(1001)))
    assert echo.post("/", data=body, content_type=MULTIPART).status_code == 413


def test_form_parts_limit_is_the_config_value(app, echo):
    app.config["MAX_FORM_PARTS"] = 10
    assert echo.post("/", data=_parts(10), content_type=MULTIPART).status_code == 200
    assert echo.post("/", data=_parts(11), content_type=MULTIPART).status_code == 413


def test_parser_counts_parts_exactly():
    fields, _files = parse(_parts(1000), max_form_parts=1000)
    assert len(fields) == 1000
    with pytest.raises(FormTooLarge):
        parse(_parts(1001), max_form_parts=1000)


def test_hundred_thousand_empty_parts_are_cut_off_at_the_limit(echo):
    # The flood the advisory describes: tiny parts, as many as the body holds.
    body = multipart(
        *[f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\n\r\n".encode()] * 100_000
    )
    assert echo.post("/", data=body, content_type=MULTIPART).status_code == 413


# ---------------------------------------------------------------------------
# 2. CVE-2024-49767 (Werkzeug < 3.0.6): a non-file field arriving in several
# read chunks was checked against MAX_FORM_MEMORY_SIZE one chunk at a time, so
# a field of any size fitted in memory. The limit applies to the whole field.

FIELD_LIMIT = 4 * CHUNK + 123  # A field of this size spans five reads.


@pytest.mark.parametrize("size", [FIELD_LIMIT - 1, FIELD_LIMIT])
def test_field_up_to_memory_limit_across_chunks_is_parsed(app, echo, size):
    app.config["MAX_FORM_MEMORY_SIZE"] = FIELD_LIMIT
    body = multipart(part("big", b"x" * size))
    response = echo.post("/", data=body, content_type=MULTIPART)
    assert response.status_code == 200
    assert response.get_json()["sizes"] == {"big": size}


def test_field_over_memory_limit_across_chunks_is_413(app, echo):
    app.config["MAX_FORM_MEMORY_SIZE"] = FIELD_LIMIT
    body = multipart(part("big", b"x" * (FIELD_LIMIT + 1)))
    assert echo.post("/", data=body, content_type=MULTIPART).status_code == 413


def test_field_over_default_memory_limit_is_413(echo):
    # The default MAX_FORM_MEMORY_SIZE is 500 000 bytes, about eight reads.
    ok = multipart(part("big", b"x" * 500_000))
    assert echo.post("/", data=ok, content_type=MULTIPART).status_code == 200
    too_big = multipart(part("big", b"x" * 500_001))
    assert echo.post("/", data=too_big, content_type=MULTIPART).status_code == 413


def test_huge_field_is_refused_without_reading_it_all(app, echo):
    # 64 MiB of field behind a 100 KiB limit: refused after the limit, not buffered.
    app.config["MAX_FORM_MEMORY_SIZE"] = 100_000
    body = multipart(part("big", b"x" * (64 * MIB)))
    assert echo.post("/", data=body, content_type=MULTIPART).status_code == 413


def test_memory_limit_does_not_apply_to_files(app, echo):
    app.config["MAX_FORM_MEMORY_SIZE"] = 1000
    body = multipart(part("upload", b"x" * (2 * MIB), filename="big.bin"))
    response = echo.post("/", data=body, content_type=MULTIPART)
    assert response.status_code == 200
    assert response.get_json()["files"] == {"upload": ["big.bin", 2 * MIB]}


class TrickleStream:
    """A body that hands out at most ``step`` bytes per read, as a slow socket does."""

    def __init__(self, data: bytes, step: int) -> None:
        self.buffer = io.BytesIO(data)
        self.step = step

    def read(self, size: int, /) -> bytes:
        return self.buffer.read(min(size, self.step))


@pytest.mark.parametrize("known_length", [True, False], ids=["content-length", "until-eof"])
@pytest.mark.parametrize("step", [1000, CHUNK - 1, CHUNK, CHUNK + 1])
def test_parser_limits_field_split_across_reads(step, known_length):
    limit = 3 * CHUNK + 7

    def run(size: int) -> list[tuple[str, str]]:
        body = multipart(part("big", b"y" * size), part("after", b"z"))
        stream = TrickleStream(body, step)
        fields, _files = parse_multipart(
            stream,
            boundary=BOUNDARY,
            content_length=len(body) if known_length else None,
            max_form_memory_size=limit,
        )
        return fields

    assert run(limit) == [("big", "y" * limit), ("after", "z")]
    with pytest.raises(FormTooLarge):
        run(limit + 1)


def test_parser_limit_counts_bytes_of_multibyte_text():
    # The limit is on the bytes sent, not on the decoded characters.
    value = "é" * 1000  # 2000 bytes of UTF-8.
    assert parse(multipart(part("t", value.encode())), max_form_memory_size=2000)[0] == [
        ("t", value)
    ]
    with pytest.raises(FormTooLarge):
        parse(multipart(part("t", value.encode())), max_form_memory_size=1999)


# ---------------------------------------------------------------------------
# 3. CVE-2023-46136 (Werkzeug < 3.0.1, 2.3.8): a file part starting with CR or
# LF followed by megabytes without one made the boundary search quadratic. The
# content must also come back byte for byte.

FILE_CONTENTS = [
    pytest.param(b"\r\n" + b"a" * (8 * MIB), id="crlf-then-8MiB"),
    pytest.param(b"\r" + b"a" * (8 * MIB), id="cr-then-8MiB"),
    pytest.param(b"\n" + b"a" * (8 * MIB), id="lf-then-8MiB"),
    pytest.param(b"\r\n-" * (2 * MIB), id="boundary-prefix-repeated"),
    pytest.param((b"\r\n--" + BOUNDARY[:-1].encode()) * 200_000, id="near-boundaries"),
    pytest.param(b"\r" * (4 * MIB), id="only-cr"),
    pytest.param(b"\n" * (4 * MIB), id="only-lf"),
    pytest.param(b"a" * (8 * MIB) + b"\r\n", id="8MiB-then-crlf"),
]


@pytest.mark.parametrize("content", FILE_CONTENTS)
def test_file_with_leading_newline_and_no_other_is_kept_exactly(app, content):
    received: dict[str, object] = {}

    @app.post("/")
    def index():  # type: ignore[no-untyped-def]
        storage = request.files["upload"]
        received["content"] = storage.read()
        received["filename"] = storage.filename
        return "ok"

    body = multipart(part("upload", content, filename="blob.bin"))
    response = app.test_client().post("/", data=body, content_type=MULTIPART)
    assert response.status_code == 200
    assert received == {"content": content, "filename": "blob.bin"}


@pytest.mark.parametrize("content", FILE_CONTENTS[:3])
def test_parser_keeps_file_content_exactly(content):
    _fields, files = parse(multipart(part("upload", content, filename="blob.bin")))
    [(name, storage)] = files
    assert name == "upload"
    assert storage.read() == content
    storage.close()


# ---------------------------------------------------------------------------
# 4. CR/LF floods and huge preambles/epilogues (CVE-2024-53981 in
# python-multipart: per-byte work on CR/LF before the first or after the last
# boundary). A preamble and an epilogue are ignored as RFC 2046 says; a body of
# nothing but newlines is malformed.


@pytest.mark.parametrize(
    ("preamble", "epilogue"),
    [
        (b"\r\n" * (4 * MIB), b""),
        (b"", b"\r\n" * (4 * MIB)),
        (b"\r\n" * (2 * MIB), b"\r\n" * (2 * MIB)),
        (b"\n" * (4 * MIB), b"\r" * (4 * MIB)),
        (b"preamble text " * 300_000 + b"\r\n", b"epilogue text " * 300_000),
    ],
    ids=["crlf-preamble", "crlf-epilogue", "both", "lf-and-cr", "text"],
)
def test_huge_preamble_and_epilogue_are_ignored(echo, preamble, epilogue):
    body = multipart(part("a", b"1"), part("b", b"2"), preamble=preamble, epilogue=epilogue)
    response = echo.post("/", data=body, content_type=MULTIPART)
    assert response.status_code == 200
    assert response.get_json()["form"] == {"a": ["1"], "b": ["2"]}


@pytest.mark.parametrize(
    "body",
    [b"\r\n" * (4 * MIB), b"\n" * (4 * MIB), b"\r" * (4 * MIB), b"-" * (4 * MIB)],
    ids=["crlf", "lf", "cr", "dashes"],
)
def test_body_of_only_newlines_is_400(echo, body):
    assert echo.post("/", data=body, content_type=MULTIPART).status_code == 400


@pytest.mark.parametrize("flood", [b"\r\n", b"\n", b"\r"], ids=["crlf", "lf", "cr"])
def test_parser_refuses_body_of_only_newlines(flood):
    with pytest.raises(MalformedForm):
        parse(flood * (4 * MIB))


def test_newlines_after_a_part_header_start_are_400_or_413(echo):
    # A part whose headers never end: newline floods where header lines belong.
    body = f"--{BOUNDARY}\r\n".encode() + b"X-A: b\r\n" * 200_000
    assert echo.post("/", data=body, content_type=MULTIPART).status_code in (400, 413)


def test_newline_flood_inside_a_field_is_bounded_by_the_memory_limit(echo):
    body = multipart(part("a", b"\r\n" * (4 * MIB)))
    assert echo.post("/", data=body, content_type=MULTIPART).status_code == 413


def test_newline_flood_inside_a_file_is_kept(app, echo):
    body = multipart(part("upload", b"\r\n" * (4 * MIB), filename="n.txt"))
    response = echo.post("/", data=body, content_type=MULTIPART)
    assert response.status_code == 200
    assert response.get_json()["files"] == {"upload": ["n.txt", 8 * MIB]}


# ---------------------------------------------------------------------------
# 5. ReDoS-shaped Content-Type parameters (CVE-2024-24762 in python-multipart
# and the same shape in the multipart library's option parser): the option
# parser must stay linear in the header's length.

HOSTILE_OPTIONS = [
    pytest.param("multipart/form-data; boundary=" + ";" * 50_000, id="semicolons"),
    pytest.param("multipart/form-data; " + ";" * 100_000, id="only-semicolons"),
    pytest.param('multipart/form-data; boundary="' + "\\" * 100_000 + '"', id="backslashes"),
    pytest.param('multipart/form-data; boundary="' + '\\"' * 50_000, id="escaped-quotes-open"),
    pytest.param('multipart/form-data; boundary="' + "a" * 100_000, id="unterminated"),
    pytest.param("multipart/form-data; " + "a=b; " * 20_000, id="many-params"),
    pytest.param("multipart/form-data; " + "a*0=b; " * 20_000, id="many-continuations"),
    pytest.param("multipart/form-data; " + "a" * 100_000, id="long-key"),
    pytest.param("multipart/form-data; a=" + "b" * 100_000 + " c", id="long-token"),
    pytest.param("multipart/form-data;" + " " * 100_000 + "x", id="spaces"),
    pytest.param("multipart/form-data; a*=utf-8''" + "%" * 100_000, id="percents"),
    pytest.param("multipart/form-data; a*=" + "'" * 100_000, id="quotes"),
    pytest.param("multipart/form-data; " + '"=";' * 25_000, id="quoted-keys"),
    pytest.param("multipart/form-data; " + "a=" * 50_000, id="equals"),
    pytest.param('multipart/form-data; a="' + "\\\\\\" * 30_000 + '"', id="odd-escapes"),
]


@pytest.mark.parametrize("content_type", HOSTILE_OPTIONS)
def test_options_parser_is_linear_and_agrees_with_werkzeug(content_type):
    # Matching Werkzeug on these is a bonus; finishing quickly is the point.
    assert parse_options_header(content_type) == werkzeug.http.parse_options_header(content_type)


@pytest.mark.parametrize("content_type", HOSTILE_OPTIONS)
def test_hostile_content_type_is_400_not_a_500(echo, content_type):
    response = echo.post("/", data=multipart(part("a", b"1")), content_type=content_type)
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("content_type", HOSTILE_OPTIONS)
def test_hostile_part_headers_are_parsed_or_refused(echo, content_type):
    # The same shapes in a part's own Content-Type and Content-Disposition.
    disposition = content_type.replace("multipart/form-data", "form-data", 1)
    hostile = (
        f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
        f"Content-Type: text/plain; {content_type}\r\n\r\nv\r\n"
    ).encode()
    body = multipart(part("a", b"1"), hostile)
    response = echo.post("/", data=body, content_type=MULTIPART)
    assert response.status_code in (200, 400, 413)
    if response.status_code == 200:
        assert response.get_json()["form"]["a"] == ["1"]


# ---------------------------------------------------------------------------
# 6. `filename*=` / `name*=` (RFC 2231, RFC 5987) next to the plain parameter,
# and upload filenames with paths. Werkzeug 3.1 decodes the extended form into
# the same key, and the later of the two in the header wins; Carafe does the
# same. FileStorage.filename is what the client sent, path and all (after the
# quoted-string unescaping); secure_filename() makes a name safe to save under.

EXTENDED_DISPOSITIONS = [
    'form-data; name="f"; filename="plain.txt"; filename*=UTF-8\'\'%C3%A9t%C3%A9.txt',
    'form-data; name="f"; filename*=UTF-8\'\'%C3%A9t%C3%A9.txt; filename="plain.txt"',
    "form-data; name=\"f\"; filename*=iso-8859-1'en'%E9t%E9.txt",
    "form-data; name=\"f\"; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd",
    'form-data; name="f"; filename*0="a"; filename*1="b.txt"',
    'form-data; name="f"; filename="plain.txt"; filename*=koi8-r\'\'%C1.txt',
    "form-data; name=plain; name*=UTF-8''%C3%A9; filename=\"x.txt\"",
    "form-data; name*=UTF-8''%C3%A9; name=plain; filename=\"x.txt\"",
]


def _werkzeug_files(body: bytes) -> list[tuple[str, str | None]]:
    environ = EnvironBuilder(method="POST", data=body, content_type=MULTIPART).get_environ()
    with WerkzeugRequest(environ) as werkzeug_request:
        files = werkzeug_request.files
        return [(name, storage.filename) for name, storage in files.items(multi=True)]


@pytest.mark.parametrize("disposition", EXTENDED_DISPOSITIONS)
def test_extended_parameters_are_read_as_werkzeug_reads_them(app, disposition):
    @app.post("/")
    def index():  # type: ignore[no-untyped-def]
        return {"files": [[name, storage.filename] for name, storage in request.files.items()]}

    body = multipart(
        f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\ndata\r\n".encode()
    )
    response = app.test_client().post("/", data=body, content_type=MULTIPART)
    assert response.status_code == 200
    expected = [list(pair) for pair in _werkzeug_files(body)]
    assert response.get_json()["files"] == expected
    assert parse_options_header(disposition) == werkzeug.http.parse_options_header(disposition)


def test_later_of_filename_and_filename_star_wins():
    # Werkzeug 3.1's behaviour, spelled out (not the RFC 6266 "filename* wins").
    plain_last = "form-data; filename*=UTF-8''%C3%A9.txt; filename=\"plain.txt\""
    star_last = "form-data; filename=\"plain.txt\"; filename*=UTF-8''%C3%A9.txt"
    assert parse_options_header(plain_last)[1]["filename"] == "plain.txt"
    assert parse_options_header(star_last)[1]["filename"] == "é.txt"


@pytest.mark.parametrize(
    "sent",
    [
        '"../../etc/passwd"',
        '"/etc/passwd"',
        '"C:\\\\x\\\\y.txt"',  # Escaped backslashes, as RFC 9110 quotes them.
        '"C:\\x\\y.txt"',  # Raw backslashes, as old browsers sent a Windows path.
        '"..\\\\..\\\\boot.ini"',
        '"a%22b.txt"',
        '"\xe9t\xe9.txt"',
        '""',
    ],
)
def test_uploaded_filename_is_reported_as_sent(app, sent):
    @app.post("/")
    def index():  # type: ignore[no-untyped-def]
        return {"filename": request.files["f"].filename}

    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename={sent}\r\n\r\n'
    body = multipart(head.encode() + b"x\r\n")
    response = app.test_client().post("/", data=body, content_type=MULTIPART)
    assert response.status_code == 200
    [(_name, expected)] = _werkzeug_files(body)
    assert response.get_json()["filename"] == expected


TRICKY_FILENAMES = [
    "../../etc/passwd",
    "/etc/passwd",
    "C:\\x\\y.txt",
    "..\\..\\windows\\system32",
    "My cool movie.mov",
    "i contain cool \xfcml\xe4uts.txt",
    "\u00e9t\u00e9.txt",
    "\u65e5\u672c\u8a9e.txt",
    "\uff21\uff22\uff23.txt",  # Full-width letters, folded by NFKD.
    "\ufb01le.txt",  # The "fi" ligature.
    "",
    ".",
    "..",
    "...",
    "._.",
    ".bashrc",
    "file.",
    "__init__.py",
    "a" * 300,
    "CON",
    "con.txt",
    "NUL",
    "nul.tar.gz",
    "AUX.",
    "PRN",
    "COM1",
    "com9.log",
    "LPT1",
    "lpt9.txt",
    "COM0",
    "CONIN$",
    "CON .txt",
    "foo\x00bar",
    "foo\r\nbar",
    "tab\there",
    "  spaced  out  ",
    "a/b/c.txt",
    "a//b",
    "-rf",
    "$(rm -rf).sh",
    "<script>.html",
    "%2e%2e%2fpasswd",
    "\u202egnp.exe",  # A right-to-left override.
]


@pytest.mark.parametrize("name", TRICKY_FILENAMES)
def test_secure_filename_equals_werkzeug(name):
    assert secure_filename(name) == werkzeug.utils.secure_filename(name)


@pytest.mark.parametrize("name", TRICKY_FILENAMES)
def test_secure_filename_equals_werkzeug_on_windows(monkeypatch, name):
    # Both read the platform at call time; pretend to be Windows for the call only.
    monkeypatch.setattr(os, "name", "nt")
    monkeypatch.setattr(os, "sep", "\\")
    monkeypatch.setattr(os.path, "altsep", "/")
    ours, theirs = secure_filename(name), werkzeug.utils.secure_filename(name)
    monkeypatch.undo()
    assert ours == theirs


def test_secure_filename_examples():
    assert secure_filename("../../etc/passwd") == "etc_passwd"
    assert secure_filename("My cool movie.mov") == "My_cool_movie.mov"
    assert secure_filename("i contain cool \xfcml\xe4uts.txt") == "i_contain_cool_umlauts.txt"
    assert secure_filename("..") == ""


# ---------------------------------------------------------------------------
# 7. CVE-2023-23934 (Werkzeug < 2.2.3): the nameless cookie `=__Host-x=bad`
# was read as a cookie named `__Host-x`, letting a subdomain (which can set a
# nameless cookie) shadow a `__Host-` cookie. A pair with an empty name is
# skipped, as Werkzeug 3.1 skips it.

NAMELESS_COOKIE_HEADERS = [
    "=__Host-x=bad",
    "=__Host-x=bad; __Host-x=good",
    "__Host-x=good; =__Host-x=bad",
    " =__Host-x=bad",
    "\t=__Host-x=bad",
    "= __Host-x=bad",
    "=__Secure-x=bad; a=1",
    '="__Host-x=bad"',
    "==__Host-x=bad",
    ";=__Host-x=bad;",
    "a=1; =__Host-x=bad; b=2",
    "__Host-x",
    "=",
    "=a",
    "__Secure-a=1; __Host-b=2",
    "__secure-a=1; __HOST-b=2",  # Prefixes are case-sensitive names like any other.
    '__Host-x="quoted \\"value\\""',
    "__Host-x=1; __Host-x=2",
]


def _werkzeug_cookies(header: str) -> dict[str, list[str]]:
    # Each name with its values in order (a MultiDict's items() group by name).
    return werkzeug.http.parse_cookie(header).to_dict(flat=False)


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


@pytest.mark.parametrize("header", NAMELESS_COOKIE_HEADERS)
def test_cookie_header_is_read_as_werkzeug_reads_it(header):
    assert _grouped(parse_cookie_header(header)) == _werkzeug_cookies(header)


@pytest.mark.parametrize("header", NAMELESS_COOKIE_HEADERS)
def test_nameless_cookie_does_not_shadow_host_cookie(app, header):
    @app.get("/")
    def index():  # type: ignore[no-untyped-def]
        return {"cookies": request.cookies.to_dict(flat=False)}

    client = app.test_client()
    response = client.get("/", headers={"Cookie": header})
    assert response.status_code == 200
    cookies = response.get_json()["cookies"]
    assert cookies == _werkzeug_cookies(header)
    assert "bad" not in cookies.get("__Host-x", [])
    assert "bad" not in cookies.get("__Secure-x", [])
    assert "" not in cookies


def test_nameless_cookie_alone_gives_no_cookies(app):
    @app.get("/")
    def index():  # type: ignore[no-untyped-def]
        return {"host": request.cookies.get("__Host-x"), "count": len(request.cookies)}

    response = app.test_client().get("/", headers={"Cookie": "=__Host-x=bad"})
    assert response.get_json() == {"host": None, "count": 0}


def test_prefixed_cookies_are_read_normally(app):
    @app.get("/")
    def index():  # type: ignore[no-untyped-def]
        return {
            "secure": request.cookies.get("__Secure-sid"),
            "host": request.cookies.get("__Host-csrf"),
        }

    client = app.test_client()
    response = client.get("/", headers={"Cookie": "__Secure-sid=abc; __Host-csrf=def"})
    assert response.get_json() == {"secure": "abc", "host": "def"}


@pytest.mark.parametrize(
    "header",
    [
        "=__Host-x=bad;" * 100_000,
        ";" * 500_000,
        'a="' + "\\" * 500_000,
        'a="' + '\\"' * 250_000 + '"',
        "a" + " " * 500_000 + "=b",
        "; ".join(f"__Host-c{index}=v" for index in range(50_000)),
    ],
    ids=["nameless-flood", "semicolons", "backslashes", "escaped-quotes", "spaces", "many"],
)
def test_cookie_floods_parse_linearly_as_werkzeug(app, header):
    @app.get("/")
    def index():  # type: ignore[no-untyped-def]
        return {"count": len(request.cookies), "host": request.cookies.get("__Host-x")}

    response = app.test_client().get("/", headers={"Cookie": header})
    assert response.status_code == 200
    expected = _werkzeug_cookies(header)
    assert response.get_json() == {"count": len(expected), "host": None}
    assert _grouped(parse_cookie_header(header)) == expected

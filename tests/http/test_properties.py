"""Property tests for the parsers and serializers in ``carafe.http`` and ``carafe.json``."""

from __future__ import annotations

import contextlib
import io
import json as std_json
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carafe import json as carafe_json
from carafe.http.cookies import dump_cookie, parse_cookie_header
from carafe.http.dates import http_date, parse_http_date
from carafe.http.forms import FormError, parse_multipart, parse_urlencoded_lists
from carafe.http.headers import (
    Headers,
    dump_options_header,
    mimetype_of,
    parse_options_header,
    quote_header_value,
    unquote_header_value,
)
from carafe.http.status import parse_status, status_line
from carafe.http.urls import iri_path, iri_query, iri_to_uri

FAST = settings(max_examples=200, deadline=None)
TOKEN = st.text(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=1
)
SAFE_VALUE = st.text(st.characters(blacklist_characters="\r\n\0", blacklist_categories=("Cs",)))
BAD_CHAR = st.sampled_from(["\r", "\n", "\0"])


# -- headers -------------------------------------------------------------------


@FAST
@given(st.text())
def test_header_parsers_never_raise(text):
    main, options = parse_options_header(text)
    assert isinstance(main, str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in options.items())
    assert isinstance(mimetype_of(text), str)
    assert isinstance(unquote_header_value(text), str)


@FAST
@given(
    TOKEN,
    st.dictionaries(
        TOKEN.map(str.lower).filter(lambda k: not k.endswith("*")), SAFE_VALUE, max_size=4
    ),
)
def test_options_header_round_trip(main, options):
    # A parameter key that looks like an RFC 2231 continuation is not a plain key.
    options = {k: v for k, v in options.items() if not k.rstrip("0123456789").endswith("*")}
    parsed_main, parsed = parse_options_header(dump_options_header(main, options))
    assert parsed_main == main
    expected = {k: v.replace("%22", '"') for k, v in options.items()}
    assert parsed == expected


@FAST
@given(SAFE_VALUE)
def test_quote_unquote_round_trip(value):
    assert unquote_header_value(quote_header_value(value)) == value


@FAST
@given(st.lists(st.tuples(TOKEN, SAFE_VALUE), max_size=6))
def test_headers_set_get_round_trip(pairs):
    headers = Headers()
    for name, value in pairs:
        headers.add(name, value)
    assert list(headers.items()) == pairs
    for name, _ in pairs:
        expected = [v for n, v in pairs if n.lower() == name.lower()]
        assert headers.getlist(name.upper()) == expected
        assert headers[name.lower()] == expected[0]
    for name, value in pairs:
        headers.set(name, value)
        assert headers.getlist(name) == [value]


@FAST
@given(TOKEN, SAFE_VALUE, BAD_CHAR, SAFE_VALUE)
def test_header_values_with_cr_lf_nul_are_rejected(name, before, bad, after):
    value = before + bad + after
    headers = Headers()
    for setter in (headers.add, headers.set, headers.__setitem__):
        with pytest.raises(ValueError):
            setter(name, value)
    with pytest.raises(ValueError):
        Headers([(name, value)])
    assert len(headers) == 0


@FAST
@given(st.text(min_size=1).filter(lambda s: any(c not in TOKEN_CHARS for c in s)))
def test_invalid_header_names_are_rejected(name):
    with pytest.raises(ValueError):
        Headers().add(name, "x")


TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)


# -- cookies -------------------------------------------------------------------

COOKIE_NAME = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~", min_size=1
)


@FAST
@given(st.text())
def test_parse_cookie_header_never_raises(text):
    for name, value in parse_cookie_header(text):
        assert isinstance(name, str) and isinstance(value, str)


@FAST
@given(st.binary())
def test_parse_cookie_header_on_wsgi_bytes_never_raises(raw):
    parse_cookie_header(raw.decode("latin-1"))


@FAST
@given(COOKIE_NAME, st.text(st.characters(blacklist_categories=("Cs",))))
def test_set_cookie_round_trip(key, value):
    header = dump_cookie(key, value, max_size=0)
    pair = header.split("; Path=/")[0]
    assert parse_cookie_header(pair) == [(key, value)]


# -- urlencoded ----------------------------------------------------------------


@FAST
@given(st.binary())
def test_parse_urlencoded_lists_never_raises(body):
    lists = parse_urlencoded_lists(body, max_fields=None)
    assert all(isinstance(v, list) for v in lists.values())
    with contextlib.suppress(FormError):
        parse_urlencoded_lists(body)


FIELD_TEXT = st.text(st.characters(blacklist_categories=("Cs",)))


@FAST
@given(st.lists(st.tuples(FIELD_TEXT.filter(bool), FIELD_TEXT), max_size=8))
def test_urlencode_round_trip(pairs):
    body = urlencode(pairs).encode()
    expected: dict[str, list[str]] = {}
    for name, value in pairs:
        expected.setdefault(name, []).append(value)
    assert parse_urlencoded_lists(body) == expected
    assert parse_urlencoded_lists(body, max_fields=None) == expected


@FAST
@given(st.binary().map(lambda b: b.decode("latin-1")))
def test_iri_helpers_never_raise(text):
    assert isinstance(iri_path(text), str)
    assert isinstance(iri_query(text.encode("latin-1")), str)


@FAST
@given(st.text(st.characters(blacklist_categories=("Cs",))).map(lambda s: "/" + s.lstrip("/")))
def test_iri_to_uri_gives_ascii(path):
    try:
        uri = iri_to_uri(path)
    except (ValueError, UnicodeError):
        return
    assert uri.isascii()


# -- multipart -----------------------------------------------------------------

BOUNDARY = "----carafeBoundary7MA4YWxkTrZu0gW"
PART_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1)


def _encode_multipart(fields, files):
    out = io.BytesIO()
    for name, value in fields:
        out.write(f"--{BOUNDARY}\r\n".encode())
        disposition = dump_options_header("form-data", {"name": name})
        out.write(f"Content-Disposition: {disposition}\r\n\r\n".encode())
        out.write(value.encode() + b"\r\n")
    for name, filename, content in files:
        disposition = dump_options_header("form-data", {"name": name, "filename": filename})
        out.write(f"--{BOUNDARY}\r\n".encode())
        out.write(f"Content-Disposition: {disposition}\r\n".encode())
        out.write(b"Content-Type: application/octet-stream\r\n\r\n")
        out.write(content + b"\r\n")
    out.write(f"--{BOUNDARY}--\r\n".encode())
    return out.getvalue()


@FAST
@given(st.binary(max_size=400))
def test_parse_multipart_raises_only_form_errors(noise):
    for body in (noise, f"--{BOUNDARY}\r\n".encode() + noise):
        try:
            _fields, files = parse_multipart(
                io.BytesIO(body), boundary=BOUNDARY, content_length=len(body)
            )
        except FormError:
            continue
        for _, storage in files:
            storage.close()


NAME = PART_TEXT.filter(lambda s: "%22" not in s)


@FAST
@given(
    st.lists(st.tuples(NAME, st.text(st.characters(blacklist_categories=("Cs",)))), max_size=4),
    st.lists(st.tuples(NAME, NAME, st.binary(max_size=200)), max_size=3),
)
def test_multipart_round_trip(fields, files):
    body = _encode_multipart(fields, files)
    parsed_fields, parsed_files = parse_multipart(
        io.BytesIO(body), boundary=BOUNDARY, content_length=len(body)
    )
    try:
        assert parsed_fields == fields
        assert [(n, s.filename, s.read()) for n, s in parsed_files] == files
    finally:
        for _, storage in parsed_files:
            storage.close()


# -- status and dates ----------------------------------------------------------


@FAST
@given(
    st.one_of(st.text(), st.integers(), st.sampled_from(list(HTTPStatus)), st.none(), st.floats())
)
def test_parse_status_raises_only_value_or_type_error(status):
    try:
        code, line = parse_status(status)
    except (ValueError, TypeError):
        return
    assert 100 <= code <= 999
    assert line.startswith(str(code))
    assert not set(line) & {"\r", "\n", "\0"}


@FAST
@given(st.integers(100, 999))
def test_status_line_round_trip(code):
    assert parse_status(status_line(code)) == (code, status_line(code))
    assert parse_status(str(code)) == (code, status_line(code))


@FAST
@given(st.text())
def test_parse_http_date_never_raises(text):
    parse_http_date(text)


@FAST
@given(
    st.datetimes(min_value=__import__("datetime").datetime(1900, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    )
)
def test_http_date_round_trip(moment):
    from datetime import timezone

    assert parse_http_date(http_date(moment)) == moment.replace(tzinfo=timezone.utc)


# -- JSON ----------------------------------------------------------------------


@FAST
@given(st.binary())
def test_json_loads_raises_only_value_error(data):
    for loads in (carafe_json.loads,):
        with contextlib.suppress(ValueError):
            loads(data)


@FAST
@given(st.binary())
def test_app_json_loads_raises_only_value_error(data):
    import carafe

    app = carafe.Flask(__name__)
    with app.app_context():
        with contextlib.suppress(ValueError):
            app.json.loads(data)
        with contextlib.suppress(ValueError):
            carafe_json.loads(data)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs",))),
    lambda children: (
        st.lists(children)
        | st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",))), children)
    ),
    max_leaves=20,
)


@FAST
@given(JSON)
def test_json_round_trip(value):
    import carafe

    assert carafe_json.loads(carafe_json.dumps(value)) == value
    app = carafe.Flask(__name__)
    with app.app_context():
        assert app.json.loads(app.json.dumps(value)) == value
        assert std_json.loads(app.json.dumps(value)) == value

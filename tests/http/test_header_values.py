"""Tests for carafe.http.header_values (quoting, option headers, mimetypes), compared
with Werkzeug."""

from __future__ import annotations

import random

import pytest
from werkzeug.http import dump_options_header as w_dump_options_header
from werkzeug.http import parse_options_header as w_parse_options_header

from carafe.http.header_values import (
    dump_options_header,
    parse_options_header,
    quote_header_value,
    unquote_header_value,
)

# -- option headers ------------------------------------------------------------------

OPTION_HEADERS = [
    None,
    "",
    "text/html",
    "text/html;",
    "  text/html ; charset=utf-8 ",
    'multipart/form-data; boundary="abc"; charset=UTF-8',
    'form-data; name="field"; filename="a b.txt"',
    'form-data; name="a\\"b"; filename="c\\\\d"',
    'form-data; name="a%22b"',
    "attachment; filename*=UTF-8''%E2%82%AC%20rates.txt",
    "attachment; filename*=iso-8859-1'en'%A3%20rates",
    "attachment; filename*=koi8-r''%C1",
    "attachment; filename*=''plain",
    "attachment; filename*0*=UTF-8''foo-; filename*1=bar; filename*2*=%C3%A4",
    "attachment; filename*0=a; filename=b",
    "attachment; filename=b; filename*0=a",
    "text/plain; CHARSET=UTF-8; Format=Flowed",
    "text/plain; key; other=1",
    "text/plain; =x; a=1",
    'text/plain; a="unterminated; b=2',
    'text/plain; a="x"; b="y\\"; c=3',
    "text/plain; a=1 2; b=3",
    'text/plain; a = 1; b="q" junk; c=ok',
    "text/plain;;; a=1;;b=2",
    "text/plain; a=\u00e9; b=1",
    'text/plain; a=""; b=1',
    "; a=1",
    "text/plain; a=1; A=2",
    "text/plain;\ta=1",
    "attachment; filename*=UTF-8''%ff%fe",
]


@pytest.mark.parametrize("value", OPTION_HEADERS)
def test_parse_options_header_matches_werkzeug(value: str | None) -> None:
    assert parse_options_header(value) == w_parse_options_header(value)


def test_parse_options_header_example() -> None:
    assert parse_options_header('multipart/form-data; boundary="abc"; charset=UTF-8') == (
        "multipart/form-data",
        {"boundary": "abc", "charset": "UTF-8"},
    )
    assert parse_options_header("attachment; filename*=utf-8''%E2%82%AC.txt") == (
        "attachment",
        {"filename": "\u20ac.txt"},
    )


def test_parse_options_header_fuzz_matches_werkzeug() -> None:
    alphabet = ['"', "\\", ";", "=", " ", "\t", "a", "B", "*", "0", "1", "'", "%", "2", "é", ","]
    rng = random.Random(20240601)
    for _ in range(3000):
        value = "t/x;" + "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 24)))
        assert parse_options_header(value) == w_parse_options_header(value), value


@pytest.mark.parametrize(
    "header, options",
    [
        ("text/html", {"charset": "UTF-8"}),
        ("attachment", {"filename": "a b.txt"}),
        ("attachment", {"filename": 'quo"te\\', "size": 10}),
        ("x", {"empty": "", "none": None, "token": "abc-def"}),
        (None, {"a": "1"}),
        ("x", {"filename*": "UTF-8''%E2%82%AC"}),
    ],
)
def test_dump_options_header_matches_werkzeug(
    header: str | None, options: dict[str, object]
) -> None:
    assert dump_options_header(header, options) == w_dump_options_header(header, options)


def test_quote_roundtrip() -> None:
    for value in ["abc", "a b", 'a"b', "a\\b", "", "é"]:
        assert unquote_header_value(quote_header_value(value)) == value
    assert quote_header_value("abc", allow_token=False) == '"abc"'
    assert unquote_header_value('"a\\"b"') == 'a"b'
    assert unquote_header_value("plain") == "plain"

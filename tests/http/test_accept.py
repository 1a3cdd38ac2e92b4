"""Tests for carafe.http.accept, compared with Werkzeug's Accept classes."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug import datastructures as wds
from werkzeug.http import parse_accept_header as w_parse_accept_header

from carafe.http.accept import (
    Accept,
    CharsetAccept,
    LanguageAccept,
    MIMEAccept,
    parse_accept_header,
)

PAIRS = [(Accept, wds.Accept), (MIMEAccept, wds.MIMEAccept)]
PAIRS += [(LanguageAccept, wds.LanguageAccept), (CharsetAccept, wds.CharsetAccept)]

HEADERS = [
    None,
    "",
    "*/*",
    "text/html",
    "text/html, application/json;q=0.5",
    "text/*;q=0.5, text/html, */*;q=0.1",
    "application/json;q=0, text/plain",
    "text/html;level=1, text/html;q=0.7, text/html;level=2;q=0.4",
    "text/html;q=abc, application/json",
    "text/html;q=1.5, application/json;q=-0.1, image/png;q=0.001",
    "text/html;q=+0.5, a/b;q=0.50000",
    "image/*, image/png;q=0.9",
    "*/html, text/*",
    "garbage, ;;;, ,",
    '"text/html", text/plain',
    "en-US, en;q=0.8, de-CH;q=0.7, *;q=0.1",
    "en_gb, fr",
    "utf-8, ISO-8859-1;q=0.5, unknown-charset;q=0.3",
    "gzip, deflate, br;q=0.9, identity;q=0",
]

PROBES = [
    "text/html",
    "application/json",
    "image/png",
    "*/*",
    "text/*",
    "en",
    "en-us",
    "EN_US",
    "de",
    "utf8",
    "latin-1",
    "gzip",
    "br",
]


def _observe(accept, probes):
    seen = {
        "list": list(accept),
        "provided": accept.provided,
        "best": accept.best,
        "values": list(accept.values()),
        "header": accept.to_header(),
        "str": str(accept),
        "repr": repr(accept),
        "bool": bool(accept),
    }
    for probe in probes:
        try:
            seen[probe] = (
                probe in accept,
                accept.quality(probe),
                accept[probe],
                accept.find(probe),
            )
        except ValueError as exc:  # MIMEAccept refuses a value that is not a mimetype
            seen[probe] = str(exc)
    return seen


@pytest.mark.parametrize("header", HEADERS)
@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=lambda cls: cls.__name__)
def test_parsing_and_queries_are_werkzeugs(ours, theirs, header):
    mine = ours.from_header(header)
    reference = w_parse_accept_header(header, theirs)
    assert type(mine) is ours
    assert _observe(mine, PROBES) == _observe(reference, PROBES)


MATCHES = [
    ["text/html", "application/json"],
    ["application/json", "text/html"],
    ["image/png"],
    ["text/plain", "text/html;level=1"],
    ["en", "de"],
    ["en-GB", "fr-FR"],
    ["de-DE", "en-US"],
    ["fr"],
    ["utf-8", "latin1"],
    ["br", "gzip"],
    [],
]


@pytest.mark.parametrize("header", HEADERS)
@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=lambda cls: cls.__name__)
def test_best_match_is_werkzeugs(ours, theirs, header):
    mine = ours.from_header(header)
    reference = w_parse_accept_header(header, theirs)
    for matches in MATCHES:
        try:
            expected = reference.best_match(matches, default="none")
        except ValueError:
            with pytest.raises(ValueError):
                mine.best_match(matches)
            continue
        assert mine.best_match(matches, default="none") == expected
        assert mine.best_match(iter(matches)) == reference.best_match(list(matches))


def test_mime_accept_shortcuts():
    accept = MIMEAccept.from_header("application/xhtml+xml, application/json;q=0.2")
    assert accept.accept_html and accept.accept_xhtml and accept.accept_json
    assert not MIMEAccept.from_header("image/png").accept_json
    everything = MIMEAccept.from_header("*/*")
    assert everything.accept_html and everything.accept_json
    with pytest.raises(ValueError):
        "html" in everything
    with pytest.raises(ValueError):
        everything.quality("*/html")


def test_accept_is_read_only_hashable_and_picklable():
    accept = MIMEAccept.from_header("text/html, application/json;q=0.5")
    for change in (
        lambda: accept.append(("a/b", 1)),
        lambda: accept.extend([]),
        lambda: accept.insert(0, ("a/b", 1)),
        lambda: accept.remove(accept[0]),
        lambda: accept.pop(),
        lambda: accept.clear(),
        lambda: accept.sort(),
        lambda: accept.reverse(),
        lambda: accept.__setitem__(0, ("a/b", 1)),
        lambda: accept.__delitem__(0),
        lambda: accept.__iadd__([]),
        lambda: accept.__imul__(2),
    ):
        with pytest.raises(TypeError, match="immutable"):
            change()
    assert hash(accept) == hash(MIMEAccept.from_header("text/html, application/json;q=0.5"))
    copy = pickle.loads(pickle.dumps(accept))
    assert type(copy) is MIMEAccept and copy == accept and copy.best == "text/html"
    assert accept.index(("text/html", 1)) == 0
    assert accept.index("application/json") == 1
    with pytest.raises(ValueError):
        accept.index("image/png")
    assert accept[0:1] == [("text/html", 1)]
    assert Accept(accept).provided and not Accept(Accept(None)).provided


def test_parse_accept_header_defaults_to_accept():
    assert type(parse_accept_header("gzip")) is Accept
    assert type(parse_accept_header("en", LanguageAccept)) is LanguageAccept
    assert not parse_accept_header(None).provided


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_header_parses_as_werkzeug_does(text):
    for ours, theirs in PAIRS:
        assert list(ours.from_header(text)) == list(w_parse_accept_header(text, theirs))

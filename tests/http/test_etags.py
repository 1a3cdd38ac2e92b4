"""Tests for carafe.http.etags (tags and the conditional-request decision), compared
with Werkzeug."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.http import generate_etag as w_generate_etag
from werkzeug.http import parse_etags as w_parse_etags
from werkzeug.http import quote_etag as w_quote_etag
from werkzeug.http import unquote_etag as w_unquote_etag
from werkzeug.sansio.http import is_resource_modified as w_is_resource_modified

from carafe.http.etags import (
    ETags,
    generate_etag,
    is_resource_modified,
    quote_etag,
    unquote_etag,
)

LISTS = [
    None,
    "",
    "*",
    " *",
    '"a"',
    '"a", "b", W/"c"',
    'w/"weak", "strong"',
    "bare, other",
    '"a",,, "b"',
    '"unclosed, "b"',
    'W/"a" "b", "c"',
    '"x" junk, "y"',
]
PROBES = ["a", "b", "c", "weak", "strong", "bare", "x", "y", "", "*"]


@pytest.mark.parametrize("value", LISTS)
def test_parsing_is_werkzeugs(value):
    mine, reference = ETags.from_header(value), w_parse_etags(value)
    assert mine.as_set() == reference.as_set()
    assert mine.as_set(include_weak=True) == reference.as_set(include_weak=True)
    assert mine.star_tag == reference.star_tag
    assert bool(mine) == bool(reference) and len(mine) == len(reference)
    for probe in PROBES:
        assert (probe in mine) == (probe in reference)
        assert mine.contains(probe) == reference.contains(probe)
        assert mine.contains_weak(probe) == reference.contains_weak(probe)
        assert mine.is_weak(probe) == reference.is_weak(probe)
        assert mine.is_strong(probe) == reference.is_strong(probe)
        assert mine(probe) == reference(probe)
        assert mine(probe, include_weak=True) == reference(probe, include_weak=True)
        quoted = f'"{probe}"'
        assert mine.contains_raw(quoted) == reference.contains_raw(quoted)
        assert mine.contains_raw(f"W/{quoted}") == reference.contains_raw(f"W/{quoted}")
    assert sorted(mine) == sorted(reference)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list('"Ww/ ,\tab*')) | st.characters(), max_size=30))
def test_any_list_parses_as_werkzeug_does(value):
    mine, reference = ETags.from_header(value), w_parse_etags(value)
    # Werkzeug reads an empty tag as None (see test_an_empty_tag_is_a_tag).
    mine_all = {None if tag == "" else tag for tag in mine.as_set(include_weak=True)}
    assert mine_all == reference.as_set(include_weak=True)
    mine_strong = {None if tag == "" else tag for tag in mine.as_set()}
    assert mine_strong == reference.as_set() and mine.star_tag == reference.star_tag


def test_an_empty_tag_is_a_tag():
    # RFC 9110 allows ``""``; Werkzeug 3.1 keeps None for it, so ``"" in etags`` is
    # false there. Carafe keeps the empty tag.
    assert "" in ETags.from_header('""')
    assert not is_resource_modified(etag='""', http_if_none_match='""')


def test_to_header_and_repr():
    assert ETags(star_tag=True).to_header() == "*"
    assert ETags(["a"], ["b"]).to_header() == '"a", W/"b"'
    assert str(ETags(["a"])) == '"a"'
    assert repr(ETags(["a"])) == "<ETags '\"a\"'>"
    assert ETags(["a"], star_tag=True).as_set() == set()
    assert ETags.from_header('"a", W/"b"').contains_raw("") is False


def test_call_with_data_tags_the_data():
    etags = ETags([generate_etag(b"body")])
    assert etags(data=b"body") and not etags(data=b"other")
    with pytest.raises(TypeError):
        etags()


@pytest.mark.parametrize(
    "tag", [None, "", '"a"', 'W/"a"', 'w/"a"', "a", "W/a", '"', 'W/"', '"a', 'a"']
)
def test_unquote_etag_is_werkzeugs(tag):
    assert unquote_etag(tag) == w_unquote_etag(tag)


@pytest.mark.parametrize(("tag", "weak"), [("a", False), ("a", True), ("", False)])
def test_quote_etag_is_werkzeugs(tag, weak):
    assert quote_etag(tag, weak) == w_quote_etag(tag, weak)


def test_a_tag_with_a_quote_is_refused():
    with pytest.raises(ValueError):
        quote_etag('a"b')


def test_generate_etag_is_werkzeugs():
    assert generate_etag(b"hello") == w_generate_etag(b"hello")


LAST = "Wed, 21 Oct 2015 07:28:00 GMT"
EARLIER = "Wed, 21 Oct 2015 07:27:00 GMT"
LATER = "Wed, 21 Oct 2015 07:29:00 GMT"
CONDITIONS = [
    {},
    {"http_if_none_match": '"abc"'},
    {"http_if_none_match": 'W/"abc"'},
    {"http_if_none_match": '"other"'},
    {"http_if_none_match": "*"},
    {"http_if_modified_since": LAST},
    {"http_if_modified_since": EARLIER},
    {"http_if_modified_since": LATER},
    {"http_if_modified_since": "not a date"},
    {"http_if_match": '"abc"'},
    {"http_if_match": '"other"'},
    {"http_if_match": "*"},
    {"http_if_none_match": '"other"', "http_if_modified_since": LATER},
    {"http_range": "bytes=0-1", "http_if_range": '"abc"'},
    {"http_range": "bytes=0-1", "http_if_range": '"other"'},
    {"http_range": "bytes=0-1", "http_if_range": LAST},
    {"http_range": "bytes=0-1", "http_if_range": EARLIER},
    {"http_range": "bytes=0-1", "http_if_range": ""},
    {"http_if_range": '"abc"'},
]
RESOURCES = [
    {"etag": '"abc"'},
    {"etag": 'W/"abc"'},
    {"etag": "abc", "last_modified": LAST},
    {"last_modified": LAST},
    {"last_modified": datetime(2015, 10, 21, 7, 28, 0, 999, tzinfo=timezone.utc)},
    {"last_modified": datetime(2015, 10, 21, 7, 28, 0)},
    {"data": b"body"},
    {},
]


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("conditions", CONDITIONS)
@pytest.mark.parametrize("ignore_if_range", [True, False])
def test_is_resource_modified_is_werkzeugs(conditions, resource, ignore_if_range):
    arguments = {**conditions, **resource, "ignore_if_range": ignore_if_range}
    assert is_resource_modified(**arguments) == w_is_resource_modified(**arguments)


def test_is_resource_modified_refuses_data_and_etag_together():
    with pytest.raises(TypeError):
        is_resource_modified(etag='"a"', data=b"a")

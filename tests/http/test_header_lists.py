"""Tests for carafe.http.header_lists (comma-separated lists, dicts and sets, and the
dict that writes itself back), compared with Werkzeug."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import CallbackDict as WCallbackDict
from werkzeug.http import dump_header as w_dump_header
from werkzeug.http import parse_dict_header as w_parse_dict_header
from werkzeug.http import parse_list_header as w_parse_list_header
from werkzeug.http import parse_set_header as w_parse_set_header

from carafe.http.header_lists import (
    CallbackDict,
    HeaderSet,
    dump_header,
    parse_dict_header,
    parse_list_header,
)

FAST = settings(max_examples=300, deadline=None)
# Text made mostly of the characters list syntax cares about.
LIST_TEXT = st.text(st.sampled_from(list("ab ,\"\\=*'%\t;8-U")) | st.characters(), max_size=40)

LISTS = [
    "",
    "a",
    "a, b",
    "a,,b, ,",
    " a ,\tb\t",
    'token, "quoted value"',
    '"a, b", c',
    '"a\\"b", c',
    'a"b"c, d',
    '"unclosed, b',
    '"',
    '""',
    '"\\\\", x',
    "192.0.2.1, 198.51.100.7",
]


@pytest.mark.parametrize("value", LISTS)
def test_parse_list_header_is_werkzeugs(value):
    assert parse_list_header(value) == w_parse_list_header(value)


@FAST
@given(LIST_TEXT)
def test_parse_list_header_matches_werkzeug_on_any_text(value):
    assert parse_list_header(value) == w_parse_list_header(value)


DICTS = [
    "",
    "a=b",
    'a=b, c="d, e", f',
    "=x, k",
    "a = b , c= d",
    "filename*=UTF-8''caf%C3%A9",
    "filename*=iso-8859-1'en'%A3%20rates",
    "filename*=koi8-r''%F0",
    "filename*=plain",
    "filename*=''",
    'realm="x\\"y", nonce=abc',
    'a="unclosed',
]


@pytest.mark.parametrize("value", DICTS)
def test_parse_dict_header_is_werkzeugs(value):
    assert parse_dict_header(value) == w_parse_dict_header(value)


@FAST
@given(LIST_TEXT)
def test_parse_dict_header_matches_werkzeug_on_any_text(value):
    assert parse_dict_header(value) == w_parse_dict_header(value)


@pytest.mark.parametrize(
    "value",
    [
        ["foo", "bar baz"],
        [],
        ["a\\b", 'c"d', ""],
        {"foo": "bar baz", "flag": None, "key*": "UTF-8''x", "n": 1},
        {},
    ],
)
def test_dump_header_is_werkzeugs(value):
    assert dump_header(value) == w_dump_header(value)


def test_dump_header_round_trips_through_the_parsers():
    assert parse_list_header(dump_header(["a", "b, c", 'd"e'])) == ["a", "b, c", 'd"e']
    assert parse_dict_header(dump_header({"a": "x y", "b": None})) == {"a": "x y", "b": None}


# -- HeaderSet -------------------------------------------------------------------


def test_header_set_is_case_insensitive_and_ordered():
    seen = []
    header_set = HeaderSet.from_header("Accept, Cookie", seen.append)
    assert "ACCEPT" in header_set and "cookie" in header_set and "Host" not in header_set
    assert list(header_set) == ["Accept", "Cookie"]
    assert header_set.find("cookie") == 1 and header_set.find("x") == -1
    assert header_set.index("COOKIE") == 1
    with pytest.raises(IndexError):
        header_set.index("x")
    header_set.add("accept")  # already there: no change, no call
    assert seen == []
    header_set.add("Origin")
    assert header_set.to_header() == "Accept, Cookie, Origin"
    header_set.remove("ACCEPT")
    assert header_set.to_header() == "Cookie, Origin"
    with pytest.raises(KeyError):
        header_set.remove("Accept")
    header_set.discard("nothing")
    header_set.discard("origin")
    assert header_set.to_header() == "Cookie"
    assert len(seen) == 3 and seen[-1] is header_set
    header_set[0] = "Host"
    assert "cookie" not in header_set and "host" in header_set
    del header_set[0]
    assert not header_set and len(header_set) == 0
    assert header_set.as_set() == set()


def test_header_set_compares_as_a_set_and_quotes_as_werkzeug():
    value = 'a, "b c", D'
    ours, theirs = HeaderSet.from_header(value), w_parse_set_header(value)
    assert ours.to_header() == theirs.to_header()
    assert str(ours) == str(theirs)
    assert list(ours) == list(theirs)
    assert ours.as_set() == theirs.as_set()
    assert ours.as_set(preserve_casing=True) == theirs.as_set(preserve_casing=True)
    assert ours == {"a", "b c", "D"}
    assert repr(ours) == "HeaderSet(['a', 'b c', 'D'])"
    assert HeaderSet.from_header(None) == HeaderSet()
    ours.clear()
    assert ours.to_header() == ""


# -- CallbackDict ----------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.__setitem__("x", "1"),
        lambda d: d.__delitem__("a"),
        lambda d: d.pop("a"),
        lambda d: d.pop("missing", None),
        lambda d: d.popitem(),
        lambda d: d.clear(),
        lambda d: d.update({"y": "2"}),
        lambda d: d.setdefault("a", "other"),
        lambda d: d.setdefault("new", "v"),
        lambda d: d.__ior__({"z": "3"}),
    ],
)
def test_callback_dict_calls_back_as_werkzeugs(change):
    ours_calls, theirs_calls = [], []
    ours = CallbackDict({"a": "1"}, ours_calls.append)
    theirs = WCallbackDict({"a": "1"}, theirs_calls.append)
    assert change(ours) == change(theirs)
    assert dict(ours) == dict(theirs)
    assert len(ours_calls) == len(theirs_calls)
    assert all(call is ours for call in ours_calls)
    assert repr(ours) == repr(theirs)

"""Tests for carafe.http.ranges (Range, If-Range, Content-Range and a range's body),
compared with Werkzeug."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug import datastructures as wds
from werkzeug.http import is_byte_range_valid as w_is_byte_range_valid
from werkzeug.http import parse_content_range_header as w_parse_content_range
from werkzeug.http import parse_if_range_header as w_parse_if_range
from werkzeug.http import parse_range_header as w_parse_range

from carafe.http.ranges import ContentRange, IfRange, Range, RangeBody, is_byte_range_valid

RANGES = [
    None,
    "",
    "bytes=0-99",
    "bytes=0-",
    "bytes=-500",
    "bytes=-0",
    "bytes=500-400",
    "bytes=0-1,5-9",
    "bytes=5-9,0-1",
    "bytes=0-5,3-9",
    "bytes=-5,0-1",
    "bytes=0-1,-5",
    "BYTES = 1-2",
    "bytes=1-2, 4-",
    "items=0-5",
    "bytes=+1-2",
    "bytes=1_0-20",
    "bytes=a-b",
    "bytes=5",
    "bytes=",
    "bytes=١-٢",
    "nonsense",
    "bytes=0-0",
    "bytes= 10 - 20 ",
]
LENGTHS = [None, 0, 1, 10, 100, 1000]


@pytest.mark.parametrize("value", RANGES)
def test_range_parsing_is_werkzeugs(value):
    mine, reference = Range.from_header(value), w_parse_range(value)
    if reference is None:
        assert mine is None
        return
    assert mine is not None
    assert (mine.units, list(mine.ranges)) == (reference.units, list(reference.ranges))
    assert mine.to_header() == reference.to_header()
    assert str(mine) == str(reference) and repr(mine) == repr(reference)
    for length in LENGTHS:
        assert mine.range_for_length(length) == reference.range_for_length(length)
        assert mine.to_content_range_header(length) == reference.to_content_range_header(length)
        made, expected = mine.make_content_range(length), reference.make_content_range(length)
        assert (made and made.to_header()) == (expected and expected.to_header())


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("bytes=-,0123456789 \t")) | st.characters(), max_size=30))
def test_any_range_parses_as_werkzeug_does(value):
    mine, reference = Range.from_header(value), w_parse_range(value)
    assert (mine is None) == (reference is None)
    if mine is not None:
        assert list(mine.ranges) == list(reference.ranges)


def test_an_invalid_range_is_refused():
    with pytest.raises(ValueError):
        Range("bytes", [(5, 2)])


@pytest.mark.parametrize(
    "value",
    [None, "", '"abc"', 'W/"abc"', "abc", "Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 32 Oct 2015"],
)
def test_if_range_parsing_is_werkzeugs(value):
    mine, reference = IfRange.from_header(value), w_parse_if_range(value)
    assert (mine.etag, mine.date) == (reference.etag, reference.date)
    assert mine.to_header() == reference.to_header()
    assert repr(mine) == repr(reference)


def test_if_range_to_header():
    moment = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)
    assert IfRange(date=moment).to_header() == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert str(IfRange("tag")) == '"tag"'
    assert IfRange().to_header() == ""


CONTENT_RANGES = [
    None,
    "",
    "bytes 0-99/1000",
    "bytes 0-99/*",
    "bytes */1000",
    "bytes */*",
    "bytes 100-99/1000",
    "bytes 0-1000/1000",
    "bytes 0-99",
    "bytes a-b/1000",
    "bytes 0/1000",
    "bytes -1-5/10",
    "  bytes 1-2/3 ",
]


@pytest.mark.parametrize("value", CONTENT_RANGES)
def test_content_range_parsing_is_werkzeugs(value):
    mine, reference = ContentRange.from_header(value), w_parse_content_range(value)
    if reference is None:
        assert mine is None
        return
    assert mine is not None
    parts = ("units", "start", "stop", "length")
    assert [getattr(mine, part) for part in parts] == [getattr(reference, part) for part in parts]
    assert mine.to_header() == reference.to_header() and bool(mine) == bool(reference)


def test_content_range_calls_back_on_each_change():
    calls = []
    content_range = ContentRange("bytes", 0, 10, 100, on_update=calls.append)
    assert content_range.to_header() == "bytes 0-9/100"
    calls.clear()
    content_range.start = 5
    content_range.stop = 20
    content_range.length = None
    assert content_range.to_header() == "bytes 5-19/*"
    content_range.units = "items"
    assert content_range.to_header() == "items 5-19/*"
    content_range.set(0, 1, 2)
    assert str(content_range) == "bytes 0-0/2"
    content_range.unset()
    assert not content_range and content_range.to_header() == ""
    assert len(calls) == 6 and all(call is content_range for call in calls)
    assert repr(ContentRange("bytes", None, None, 5)) == repr(
        wds.ContentRange("bytes", None, None, 5)
    )


def test_content_range_refuses_an_invalid_range():
    with pytest.raises(ValueError):
        ContentRange("bytes", 5, 2, 10)


@pytest.mark.parametrize(
    ("start", "stop", "length"),
    [
        (None, None, None),
        (None, None, 5),
        (None, 1, 5),
        (0, 1, None),
        (1, 1, None),
        (0, 5, 5),
        (4, 5, 5),
        (5, 6, 5),
        (-1, 2, 5),
        (None, None, -1),
        (2, 1, 5),
    ],
)
def test_is_byte_range_valid_is_werkzeugs(start, stop, length):
    assert is_byte_range_valid(start, stop, length) == w_is_byte_range_valid(start, stop, length)


class _Body:
    def __init__(self, chunks):
        self.chunks = chunks
        self.closed = False

    def __iter__(self):
        return iter(self.chunks)

    def close(self):
        self.closed = True


@pytest.mark.parametrize(
    ("start", "length", "expected"),
    [
        (0, 3, b"abc"),
        (2, 5, b"cdefg"),
        (3, 100, b"defghij"),
        (9, 1, b"j"),
        (10, 5, b""),
        (0, 0, b""),
    ],
)
def test_range_body_takes_the_bytes_asked_for(start, length, expected):
    body = _Body([b"abc", b"", b"def", b"ghij"])
    ranged = RangeBody(body, start, length)
    assert b"".join(ranged) == expected
    ranged.close()
    assert body.closed
    RangeBody([b"abc"], 0, 1).close()  # a body without close() is fine

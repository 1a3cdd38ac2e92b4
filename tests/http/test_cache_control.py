"""Tests for carafe.http.cache_control, compared with Werkzeug's cache-control classes."""

from __future__ import annotations

import pytest
from werkzeug import datastructures as wds
from werkzeug.http import parse_cache_control_header as w_parse

from carafe.http.cache_control import (
    CacheControl,
    RequestCacheControl,
    ResponseCacheControl,
    cache_control_property,
)

REQUEST_ATTRS = [
    "no_cache",
    "no_store",
    "max_age",
    "max_stale",
    "min_fresh",
    "no_transform",
    "only_if_cached",
    "stale_if_error",
]
RESPONSE_ATTRS = [
    "no_cache",
    "no_store",
    "max_age",
    "no_transform",
    "public",
    "private",
    "must_revalidate",
    "proxy_revalidate",
    "s_maxage",
    "immutable",
    "must_understand",
    "stale_while_revalidate",
    "stale_if_error",
]
HEADERS = [
    None,
    "",
    "no-cache",
    "no-cache, no-store, must-revalidate",
    "max-age=60, s-maxage=120, public",
    'private="Set-Cookie", no-cache="Authorization"',
    "max-age=abc, max-stale, min-fresh=5",
    "max-stale=30, only-if-cached, no-transform",
    "max-age=-1, stale-while-revalidate=10, stale-if-error=x, immutable",
    "MAX-AGE=5",
    'max-age="7", foo=bar, baz',
    "must-understand, no-store",
    ",,, =, max-age=",
]


@pytest.mark.parametrize("header", HEADERS)
@pytest.mark.parametrize(
    ("ours", "theirs", "attrs"),
    [
        (RequestCacheControl, wds.RequestCacheControl, REQUEST_ATTRS),
        (ResponseCacheControl, wds.ResponseCacheControl, RESPONSE_ATTRS),
    ],
    ids=["request", "response"],
)
def test_reading_is_werkzeugs(ours, theirs, attrs, header):
    mine = ours.from_header(header)
    reference = w_parse(header, None, theirs)
    assert dict(mine) == dict(reference)
    assert {name: getattr(mine, name) for name in attrs} == {
        name: getattr(reference, name) for name in attrs
    }
    assert mine.to_header() == reference.to_header()
    assert str(mine) == str(reference)
    assert repr(mine) == repr(reference)
    assert mine.provided == reference.provided


SETTINGS = [
    ("max_age", 300),
    ("max_age", "60"),
    ("max_age", None),
    ("max_age", False),
    ("max_age", True),
    ("public", True),
    ("public", False),
    ("no_cache", True),
    ("no_cache", "Set-Cookie"),
    ("private", True),
    ("private", "Authorization"),
    ("no_store", True),
    ("must_revalidate", True),
    ("s_maxage", 10),
    ("immutable", True),
    ("stale_while_revalidate", 5),
]


@pytest.mark.parametrize(("name", "value"), SETTINGS)
@pytest.mark.parametrize("start", [None, "max-age=1, public, no-cache"])
def test_setting_is_werkzeugs(start, name, value):
    calls = []
    mine = ResponseCacheControl.from_header(start, calls.append)
    reference = w_parse(start, None, wds.ResponseCacheControl)
    setattr(mine, name, value)
    setattr(reference, name, value)
    assert dict(mine) == dict(reference)
    assert mine.to_header() == reference.to_header()
    assert all(call is mine for call in calls)
    delattr(mine, name)
    delattr(reference, name)
    assert mine.to_header() == reference.to_header()


def test_an_int_directive_set_to_text_that_is_not_a_number_is_a_value_error():
    with pytest.raises(ValueError):
        ResponseCacheControl().max_age = "soon"


def test_the_request_cache_control_is_read_only():
    cache_control = RequestCacheControl.from_header("no-cache, max-age=5")
    for change in (
        lambda: setattr(cache_control, "max_age", 10),
        lambda: cache_control.__setitem__("a", "b"),
        lambda: cache_control.__delitem__("no-cache"),
        lambda: cache_control.pop("no-cache"),
        lambda: cache_control.popitem(),
        lambda: cache_control.clear(),
        lambda: cache_control.update({}),
        lambda: cache_control.setdefault("x", None),
    ):
        with pytest.raises(TypeError, match="immutable"):
            change()
    assert cache_control.max_age == 5 and cache_control.no_cache is True
    assert hash(cache_control) == hash(RequestCacheControl.from_header("max-age=5, no-cache"))


def test_a_subclass_declares_an_extension():
    class WithExtension(ResponseCacheControl):
        community = cache_control_property("community", True, None, doc="The community.")
        budget = CacheControl.cache_property("budget", None, int)

    cache_control = WithExtension.from_header('community="UCI", budget=5')
    assert cache_control.community == "UCI" and cache_control.budget == 5
    cache_control.community = True
    assert cache_control.to_header() == "community, budget=5"
    assert WithExtension.community.__doc__ == "The community."
    assert "max-age" in ResponseCacheControl.max_age.__doc__

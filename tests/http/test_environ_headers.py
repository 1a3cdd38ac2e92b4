"""Tests for carafe.http.environ_headers, compared with Werkzeug's EnvironHeaders."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import EnvironHeaders as WEnvironHeaders

from carafe.http.environ_headers import EnvironHeaders
from carafe.http.headers import Headers

# -- EnvironHeaders ----------------------------------------------------------------

ENVIRON = {
    "REQUEST_METHOD": "GET",
    "CONTENT_TYPE": "text/plain",
    "CONTENT_LENGTH": "",
    "HTTP_HOST": "example.com",
    "HTTP_X_FORWARDED_FOR": "1.2.3.4",
    "HTTP_CONTENT_TYPE": "ignored",
    "HTTP_ACCEPT_ENCODING": "gzip",
    "wsgi.version": (1, 0),
}


def test_environ_headers_read_api_matches_werkzeug() -> None:
    ours, theirs = EnvironHeaders(ENVIRON), WEnvironHeaders(ENVIRON)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs) == 4
    assert list(ours.keys()) == list(theirs.keys())
    assert list(ours.keys(lower=True)) == list(theirs.keys(lower=True))
    assert list(ours.values()) == list(theirs.values())
    assert list(ours.items()) == list(theirs.items())
    for name in ("Host", "host", "X-Forwarded-For", "x_forwarded_for", "Content-Type"):
        assert ours[name] == theirs[name]
        assert ours.get(name) == theirs.get(name)
        assert (name in ours) == (name in theirs)
        if "_" not in name:
            assert ours.getlist(name) == theirs.getlist(name)
    # Werkzeug's getlist iterates, so it misses "x_forwarded_for"; ours is
    # consistent with get().
    assert ours.getlist("x_forwarded_for") == ["1.2.3.4"]
    assert ours.getlist("Content-Length") == theirs.getlist("Content-Length") == []
    # Empty CONTENT_LENGTH: readable by name, but not listed.
    assert ours["Content-Length"] == theirs["Content-Length"] == ""
    assert ours.get("missing") is None
    assert ours.getlist("missing") == []
    assert "missing" not in ours
    with pytest.raises(KeyError):
        ours["missing"]
    assert ours.to_wsgi_list() == theirs.to_wsgi_list()
    assert str(ours) == str(theirs)
    assert ours[0] == ("Content-Type", "text/plain")
    assert isinstance(ours, Headers)


def test_environ_headers_get_type() -> None:
    headers = EnvironHeaders({"HTTP_X_NUM": "12", "HTTP_X_BAD": "x"})
    assert headers.get("X-Num", type=int) == 12
    assert headers.get("X-Bad", 0, type=int) == 0
    assert headers.getlist("X-Num", type=int) == [12]
    assert headers.getlist("X-Bad", type=int) == []


def test_environ_headers_lookup_goes_to_environ() -> None:
    class Spy(dict[str, str]):
        def items(self):  # type: ignore[no-untyped-def,override]
            raise AssertionError("lookup must not iterate the environ")

    headers = EnvironHeaders(Spy(HTTP_X_FOO="bar"))
    assert headers.get("X-Foo") == "bar"
    assert headers["x-foo"] == "bar"
    assert "X-Foo" in headers


def test_environ_headers_are_read_only() -> None:
    headers = EnvironHeaders(dict(ENVIRON))
    mutations = [
        lambda: headers.add("X", "1"),
        lambda: headers.set("X", "1"),
        lambda: headers.setlist("X", ["1"]),
        lambda: headers.setdefault("X", "1"),
        lambda: headers.extend({"X": "1"}),
        lambda: headers.update({"X": "1"}),
        lambda: headers.remove("Host"),
        lambda: headers.pop("Host"),
        lambda: headers.popitem(),
        lambda: headers.clear(),
        lambda: headers.__setitem__("X", "1"),
        lambda: headers.__delitem__("Host"),
    ]
    for mutate in mutations:
        with pytest.raises(TypeError, match="immutable"):
            mutate()
    assert headers["Host"] == "example.com"


def test_environ_headers_copy_is_mutable_headers() -> None:
    copied = EnvironHeaders(ENVIRON).copy()
    assert type(copied) is Headers
    copied.add("X-New", "1")
    assert list(copied)[:4] == list(WEnvironHeaders(ENVIRON))
    assert "HTTP_X_NEW" not in ENVIRON


def test_environ_headers_eq() -> None:
    environ = dict(ENVIRON)
    assert EnvironHeaders(environ) == EnvironHeaders(environ)
    assert EnvironHeaders(environ) != EnvironHeaders(dict(environ))

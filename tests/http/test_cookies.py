"""Tests for carafe.http.cookies, compared with Werkzeug's parse_cookie/dump_cookie."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import pytest
from werkzeug.datastructures import MultiDict as WMultiDict
from werkzeug.http import dump_cookie as w_dump_cookie
from werkzeug.http import parse_cookie as w_parse_cookie

from carafe.http.cookies import dump_cookie, parse_cookie_header


def werkzeug_pairs(header: str) -> list[tuple[str, str]]:
    return list(w_parse_cookie(header).items(multi=True))


def grouped(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Our pairs grouped by key, as Werkzeug's MultiDict result lists them."""
    return list(WMultiDict(pairs).items(multi=True))


# -- parsing -------------------------------------------------------------------------

COOKIE_HEADERS = [
    "a=b",
    "a=b; c=d",
    "a=1; a=2; a=3",
    "  a = b ; c=d  ",
    "a=b;c=d;;;e=f",
    "a",
    "a; b=1",
    "a=",
    "=b; c=d",
    'a="quoted value"; b=2',
    'a="esc\\"aped"; b="back\\\\slash"',
    'a="\\303\\251t\\303\\251"',
    'a="\\377\\376"',
    'a="\\101\\12x"',
    'a="unterminated; b=2',
    'a=x"y; b=2',
    "a=b c; d=e",
    "a=b\tc; d=e",
    "a=%20percent",
    "a=b=c",
    "empty=; x=1",
    ";;;",
    " ; ; a=1",
    "a=b,c=d",
    "k=v\\",
    'a=""',
    '"a"=b; c=d',
    "a=\u00c3\u00a9",  # UTF-8 "é" tunnelled through latin-1, as WSGI passes it
]


@pytest.mark.parametrize("header", COOKIE_HEADERS)
def test_parse_matches_werkzeug(header: str) -> None:
    assert grouped(parse_cookie_header(header)) == werkzeug_pairs(header)


def test_parse_examples() -> None:
    # Order is kept across keys (Werkzeug's MultiDict groups values by key).
    assert parse_cookie_header("a=1; b=2; a=3") == [("a", "1"), ("b", "2"), ("a", "3")]
    assert parse_cookie_header('s="a\\"b\\073c"') == [("s", 'a"b;c')]
    assert parse_cookie_header("a=\u00c3\u00a9") == [("a", "é")]
    assert parse_cookie_header(None) == []
    assert parse_cookie_header("") == []


def test_parse_fuzz_matches_werkzeug() -> None:
    alphabet = ["a", "b", "=", ";", " ", "\t", '"', "\\", "1", "7", "0", ",", "\u00c3\u00a9"]
    rng = random.Random(1234)
    for _ in range(4000):
        header = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 20)))
        assert grouped(parse_cookie_header(header)) == werkzeug_pairs(header), repr(header)


@pytest.mark.parametrize(
    "header, expected",
    [
        ("a=\u00e9", [("a", "\ufffd")]),  # latin-1 byte 0xe9 is not UTF-8
        ("a=\u00ff\u00fe; b=1", [("a", "\ufffd\ufffd"), ("b", "1")]),
        ("a=\u20ac", [("a", "\u20ac")]),  # already-decoded text is kept
        ('a="\\351"', [("a", "\ufffd")]),
    ],
)
def test_parse_never_raises_on_invalid_utf8(header: str, expected: list[tuple[str, str]]) -> None:
    assert parse_cookie_header(header) == expected


def test_parse_hostile_input_is_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    # No timing: each result is exact, and the work is counted instead. Every
    # ';'-separated segment costs at most one pair-regex attempt (the scan never goes
    # back), so the number of attempts is linear in the header however it is built.
    from carafe.http import cookies

    pair_pattern = cookies._COOKIE_PAIR_RE
    attempts = [0]

    class CountingPattern:
        def match(self, text: str, pos: int) -> object:
            attempts[0] += 1
            return pair_pattern.match(text, pos)

    monkeypatch.setattr(cookies, "_COOKIE_PAIR_RE", CountingPattern())
    hostile: list[tuple[str, list[tuple[str, str]]]] = [
        ('"' * 10000, []),
        ("\\" * 10000, [("\\" * 10000, "")]),
        ("a=" + '"\\' * 5000, []),
        ('a="' + "x" * 10000, []),
        ("a=" + "\\" * 10000, [("a", "\\" * 10000)]),
        (";" * 10000, []),
        ("=;" * 5000, []),
        ("a" * 10000 + "\x00", [("a" * 10000 + "\x00", "")]),
        ("a=b;" * 5000, [("a", "b")] * 5000),
        ('a="' + '\\"' * 5000 + '"', [("a", '"' * 5000)]),
    ]
    for header, expected in hostile:
        attempts[0] = 0
        assert parse_cookie_header(header) == expected, header[:20]
        assert grouped(expected) == werkzeug_pairs(header), header[:20]
        assert 1 <= attempts[0] <= header.count(";") + 1, header[:20]


# -- dumping -------------------------------------------------------------------------


def same_second(build: Callable[[], str], reference: Callable[[], str]) -> tuple[str, str]:
    """Call both; retry when a second boundary fell between them (Expires from now)."""
    for _ in range(3):
        ours, theirs = build(), reference()
        if ours == theirs:
            break
    return ours, theirs


VALUES = [
    "",
    "plain",
    "with space",
    'q"uote',
    "back\\slash",
    "semi;colon",
    "comma,x",
    "é€",
    "\x00\x7f",
    "a=b",
]


@pytest.mark.parametrize("value", VALUES)
def test_dump_value_quoting_matches_werkzeug(value: str) -> None:
    assert dump_cookie("k", value) == w_dump_cookie("k", value)


ATTRIBUTE_OPTIONS: dict[str, list[object]] = {
    "max_age": [None, 0, 3600, timedelta(days=1, microseconds=5), -1],
    "expires": [
        None,
        datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        datetime(2030, 1, 2, 3, 4, 5),
        datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
        date(2031, 5, 6),
        0,
        1900000000.5,
        "Thu, 01 Jan 1970 00:00:00 GMT",
    ],
    "path": ["/", None, "/a b/ü", "/x%20y", ""],
    "domain": [
        None,
        "example.com",
        ".example.com",
        "example.com:8080",
        "localhost",
        "bücher.de",
        "",
    ],
    "secure": [False, True],
    "httponly": [False, True],
    "samesite": [None, "Strict", "lax", "NONE"],
    "partitioned": [False, True],
}


def test_dump_attribute_combinations_match_werkzeug() -> None:
    rng = random.Random(42)
    keys = list(ATTRIBUTE_OPTIONS)
    for _ in range(600):
        kwargs = {key: rng.choice(ATTRIBUTE_OPTIONS[key]) for key in keys}
        ours, theirs = same_second(
            lambda: dump_cookie("session", "v", **kwargs),  # type: ignore[arg-type]
            lambda: w_dump_cookie("session", "v", **kwargs),  # type: ignore[arg-type]
        )
        assert ours == theirs, kwargs


def test_dump_each_attribute_alone_matches_werkzeug() -> None:
    for key, options in ATTRIBUTE_OPTIONS.items():
        for option in options:
            ours, theirs = same_second(
                lambda: dump_cookie("k", "v", **{key: option}),  # type: ignore[arg-type]
                lambda: w_dump_cookie("k", "v", **{key: option}),  # type: ignore[arg-type]
            )
            assert ours == theirs, (key, option)


def test_dump_known_output() -> None:
    assert dump_cookie("a", "b") == "a=b; Path=/"
    assert (
        dump_cookie(
            "sid",
            "x y",
            max_age=60,
            expires=datetime(2030, 1, 1, tzinfo=timezone.utc),
            domain="Example.com",
            secure=True,
            httponly=True,
            samesite="lax",
        )
        == 'sid="x y"; Domain=Example.com; Expires=Tue, 01 Jan 2030 00:00:00 GMT; Max-Age=60;'
        " Secure; HttpOnly; Path=/; SameSite=Lax"
    )
    assert dump_cookie("p", "1", partitioned=True) == "p=1; Secure; Path=/; Partitioned"


def test_max_age_sets_expires_from_now() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    header = dump_cookie("k", "v", max_age=100)
    after = datetime.now(timezone.utc)
    expires = header.split("Expires=")[1].split(";")[0]
    moment = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=timezone.utc)
    assert before + timedelta(seconds=100) <= moment <= after + timedelta(seconds=100)
    assert "Expires" not in dump_cookie("k", "v", max_age=100, sync_expires=False)


def test_non_ascii_key_matches_werkzeug() -> None:
    assert dump_cookie("ключ", "v") == w_dump_cookie("ключ", "v")


@pytest.mark.parametrize("samesite", ["bogus", "", "Strict ", "lax;"])
def test_invalid_samesite_raises(samesite: str) -> None:
    with pytest.raises(ValueError, match="SameSite"):
        dump_cookie("k", "v", samesite=samesite)
    with pytest.raises(ValueError):
        w_dump_cookie("k", "v", samesite=samesite)


def test_too_large_cookie_warns_like_werkzeug() -> None:
    value = "x" * 5000
    with pytest.warns(UserWarning, match="cookie is too large") as ours:
        our_header = dump_cookie("big", value)
    with pytest.warns(UserWarning) as theirs:
        their_header = w_dump_cookie("big", value)
    assert our_header == their_header
    assert str(ours[0].message) == str(theirs[0].message)
    assert ours[0].filename == __file__  # stacklevel points at the caller


def test_max_size_zero_disables_warning_and_limit_is_inclusive() -> None:
    dump_cookie("big", "x" * 5000, max_size=0)
    header = dump_cookie("k", "x" * (4093 - len("k=; Path=/")))
    assert len(header) == 4093
    with pytest.warns(UserWarning):
        dump_cookie("k", "x" * (4094 - len("k=; Path=/")))


# -- SECURITY ------------------------------------------------------------------------

INJECTIONS = ["\r", "\n", "\r\nSet-Cookie: evil=1", "\x00", ";", "; Domain=evil.com"]


@pytest.mark.parametrize("bad", INJECTIONS)
def test_key_path_domain_injection_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="cookie name"):
        dump_cookie("k" + bad, "v")
    with pytest.raises(ValueError, match="cookie path"):
        dump_cookie("k", "v", path="/" + bad)
    with pytest.raises(ValueError, match="cookie domain"):
        dump_cookie("k", "v", domain="example.com" + bad)
    with pytest.raises(ValueError, match="cookie expires"):
        dump_cookie("k", "v", expires="Thu, 01 Jan 1970 00:00:00 GMT" + bad)


@pytest.mark.parametrize("bad", [" ", "\t", "=", '"', ","])
def test_key_separators_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="cookie name"):
        dump_cookie("a" + bad + "b", "v")


def test_value_can_never_break_the_header() -> None:
    for char in map(chr, itertools.chain(range(0, 0x80), [0xE9, 0x20AC])):
        header = dump_cookie("k", f"a{char}b")
        assert not any(c in header for c in "\r\n\x00")
        assert header.count(";") == 1
        assert header == w_dump_cookie("k", f"a{char}b")


def test_roundtrip_through_parse() -> None:
    for value in VALUES:
        header = dump_cookie("k", value).split("; Path=")[0]
        assert parse_cookie_header(header) == [("k", value)]

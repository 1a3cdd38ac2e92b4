"""Request URLs as IRIs: compared with Werkzeug's get_current_url."""

from __future__ import annotations

import random
import re

import pytest
from werkzeug.sansio.utils import get_current_url

from carafe.http.urls import iri_path, iri_query

QUERY_PIECES = [
    "a",
    "é",
    "%",
    "%C3%A9",
    "%FF",
    "%2F",
    "%26",
    "%3D",
    "%2B",
    "%23",
    " ",
    "+",
    "&",
    "=",
    "?",
    "#",
    "/",
    "<",
    '"',
    "\x7f",
    "€",
    "%e9",
    "%20",
    "%41",
]
PATH_PIECES = ["a", "é", "%", " ", "?", "#", "/", "<", '"', "\x7f", "€", "\ufffd", "\x01", "%zz"]


def werkzeug_query(raw: bytes) -> str:
    return get_current_url("http", "h", "", "/x", raw).split("?", 1)[1]


def werkzeug_path(path: str) -> str:
    return "/" + get_current_url("http", "h", "", path, None)[len("http://h/") :]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"q=%C3%A9", "q=é"),
        (b"x=a b", "x=a%20b"),
        (b"a=%FF", "a=%FF"),
        (b"a=%26&b=%3D", "a=%26&b=%3D"),
        (b"caf\xc3\xa9=1", "café=1"),
    ],
)
def test_query_examples(raw: bytes, expected: str) -> None:
    assert iri_query(raw) == expected == werkzeug_query(raw)


def test_query_matches_werkzeug_on_random_input() -> None:
    rng = random.Random(1)
    for _ in range(3000):
        query = "".join(rng.choice(QUERY_PIECES) for _ in range(rng.randint(1, 8)))
        raw = query.encode()
        assert iri_query(raw) == werkzeug_query(raw), query


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/café", "/café"),
        ("/a b", "/a%20b"),
        ("/a?b", "/a%3Fb"),
        ("/a#b", "/a%23b"),
        ("/100%", "/100%"),
        ("/a<b>", "/a<b>"),
    ],
)
def test_path_examples(path: str, expected: str) -> None:
    assert iri_path(path) == expected == werkzeug_path(path)


def test_path_matches_werkzeug_on_random_input() -> None:
    rng = random.Random(2)
    for _ in range(3000):
        path = "/" + "".join(rng.choice(PATH_PIECES) for _ in range(rng.randint(0, 8))).lstrip("/")
        if re.search("%[0-9A-Fa-f]{2}", path):
            continue  # the deliberate difference tested below
        assert iri_path(path) == werkzeug_path(path), path


def test_literal_percent_escape_in_a_path_stays_literal() -> None:
    # Werkzeug turns the decoded path "/%41" into "/A", another resource; Carafe keeps it.
    assert iri_path("/%41") == "/%2541"
    assert re.fullmatch(r"/A", werkzeug_path("/%41"))

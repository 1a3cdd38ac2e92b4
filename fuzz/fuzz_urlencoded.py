"""Fuzz the urlencoded form parser (carafe/http/forms.py) on raw bytes.

Documented outcomes: a list of ``(str, str)`` pairs, or :class:`FormTooLarge` when
the body has more non-empty fields than ``max_fields``; the grouped parser gives
the same pairs grouped by name; an ASCII body parses as Werkzeug 3.1 parses it.
Anything else is a crash. (The compiled parser against this one: fuzz_speedups.py.)
"""

from __future__ import annotations

from _runner import instrumented, run

with instrumented():
    from carafe.http.datastructures import group_pairs
    from carafe.http.forms import FormTooLarge, parse_urlencoded, parse_urlencoded_lists

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

SEEDS = [
    b"a=1&b=2&a=3",
    b"name=J%C3%BCrgen+M&x=%zz",
    b"a=%e9&%C3=%C3%A9%E9&&=&k",
    b"a;b=1&c=%2B+%20&d=x=y",
    b"%f0%9f%98%80x%f0%9f=\xe9\xc3\xa9",
]

#: The limits tried, chosen by the input's first byte.
LIMITS = (None, 0, 1, 2, 3, 1000)


def werkzeug_args(query: str) -> list[tuple[str, str]]:
    environ = EnvironBuilder().get_environ()
    environ["QUERY_STRING"] = query
    return list(WerkzeugRequest(environ).args.items(multi=True))


def test_one_input(data: bytes) -> None:
    if not data:
        return
    limit = LIMITS[data[0] % len(LIMITS)]
    body = data[1:]
    fields = body.split(b"&")
    count = sum(1 for field in fields if field)
    try:
        pairs = parse_urlencoded(body, max_fields=limit)
    except FormTooLarge:
        assert limit is not None and count > limit, (body, limit)
        try:
            parse_urlencoded_lists(body, max_fields=limit)
        except FormTooLarge:
            return
        raise AssertionError("parse_urlencoded_lists took a form parse_urlencoded refused")
    assert limit is None or count <= limit
    assert len(pairs) == count
    assert all(type(name) is str and type(value) is str for name, value in pairs)
    assert parse_urlencoded_lists(body, max_fields=limit) == group_pairs(pairs), body
    if body.isascii():
        query = body.decode("ascii")
        expected = werkzeug_args(query)
        assert group_pairs(pairs) == group_pairs(expected), (body, pairs, expected)


if __name__ == "__main__":
    run(test_one_input, SEEDS)

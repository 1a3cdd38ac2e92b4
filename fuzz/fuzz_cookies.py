"""Fuzz the Cookie header parser and Set-Cookie builder (carafe/http/cookies.py).

Documented outcomes: ``parse_cookie_header`` never raises and gives ``(str, str)``
pairs, the same pairs as ``werkzeug.http.parse_cookie``; ``dump_cookie`` gives a
header or raises ValueError for a name, path or domain that could break it, and a
cookie it builds parses back to its name and value. Anything else is a crash.
"""

from __future__ import annotations

import warnings

import atheris
from _runner import instrumented, run

with instrumented():
    from carafe.http.cookies import dump_cookie, parse_cookie_header
    from carafe.http.datastructures import group_pairs

from werkzeug.http import parse_cookie as werkzeug_parse_cookie

SEEDS = [
    b'\x00a=1; b=2; session="quoted \\"value\\" \\054x"',
    b'\x00 spaced = value ;; =x; novalue; a="\\303\\251"',
    b"\x01caf\xc3\xa9=\xe9t\xe9; x=\xff\xfe",
    b'\x02name\x00value with spaces; and "quotes"\x00/path\x00example.com',
]
# Control characters and the like: a name the builder must refuse.
FORBIDDEN_IN_NAME = frozenset([*map(chr, range(0x21)), "\x7f", '"', ",", ";", "="])


def check_parse(header: str) -> None:
    pairs = parse_cookie_header(header)
    assert all(type(name) is str and type(value) is str for name, value in pairs)
    try:
        expected = list(werkzeug_parse_cookie(header).items(multi=True))
    except UnicodeError:
        return  # Werkzeug raises for text that is not UTF-8 over latin-1; Carafe does not.
    # Werkzeug's MultiDict lists the values of a name together; Carafe keeps the order.
    assert group_pairs(pairs) == group_pairs(expected), (header, pairs, expected)


def check_dump(provider: atheris.FuzzedDataProvider) -> None:
    key = provider.ConsumeUnicodeNoSurrogates(20)
    value = provider.ConsumeUnicodeNoSurrogates(40)
    path = provider.ConsumeUnicodeNoSurrogates(20) if provider.ConsumeBool() else "/"
    domain = provider.ConsumeUnicodeNoSurrogates(20) if provider.ConsumeBool() else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # The too-large warning is documented too.
            header = dump_cookie(key, value, path=path, domain=domain, max_size=0)
    except ValueError:
        return
    except UnicodeError:
        # IDNA refuses some domains (an empty or too long label): a ValueError too.
        assert domain
        return
    assert not FORBIDDEN_IN_NAME.intersection(key), key
    for char in "\r\n\0":
        assert char not in header, header
    # The first pair is the cookie; the browser sends back "name=value".
    pair = header.split("; ", 1)[0]
    name = key.encode().decode("latin-1")
    if key and key.isascii():
        # (A non-ASCII name goes out as UTF-8 over latin-1; an empty one, as Werkzeug
        # writes it, has no name to read back.)
        assert parse_cookie_header(pair) == [(key, value)], (header, key, value)
    assert pair.startswith(name + "=")


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode, rest = data[0] % 3, data[1:]
    if mode == 0:
        # A WSGI header: bytes tunnelled through latin-1.
        check_parse(rest.decode("latin-1"))
    elif mode == 1:
        # Already decoded text (an ASGI server or a test client may pass it so).
        check_parse(rest.decode("utf-8", "replace"))
    else:
        check_dump(atheris.FuzzedDataProvider(rest))


if __name__ == "__main__":
    run(test_one_input, SEEDS)

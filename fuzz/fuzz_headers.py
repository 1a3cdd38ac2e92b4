"""Fuzz header parsing (carafe/http/headers.py and the HTTP dates of dates.py).

Documented outcomes: ``parse_options_header`` never raises, gives a ``str`` and a
``dict`` of ``str``, and parses as ``werkzeug.http.parse_options_header`` does;
``dump_options_header`` output parses back to what was dumped;
``unquote_header_value`` undoes ``quote_header_value``; ``Headers`` takes a pair
or raises ValueError (a name that is not an RFC 9110 token, a value with CR, LF
or NUL) and never holds a value that could split the header block;
``parse_http_date`` gives an aware UTC datetime or None. Anything else is a crash.
"""

from __future__ import annotations

import re
from datetime import timezone

import atheris
from _runner import instrumented, run

with instrumented():
    from carafe.http.dates import parse_http_date
    from carafe.http.headers import (
        Headers,
        dump_options_header,
        is_json_mimetype,
        mimetype_of,
        parse_options_header,
        quote_header_value,
        unquote_header_value,
    )

from werkzeug.http import parse_options_header as werkzeug_parse_options_header

SEEDS = [
    b'\x00multipart/form-data; boundary="abc\\"d"; charset=UTF-8',
    b"\x00attachment; filename*=UTF-8''%E2%82%AC%20rates.txt; filename=\"x.txt\"",
    b"\x00form-data; name*0=\"a\"; name*1*=utf-8''%C3%A9; name*2=b; %22=1;;x",
    b'\x01text/html\x00charset\x00utf-8\x00q\x00a b"c',
    b"\x02Content-Type\x00text/plain\r\nX: 1",
    b"\x03Wed, 21 Oct 2015 07:28:00 GMT",
    b"\x03Sunday, 06-Nov-94 08:49:37 GMT",
]
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def check_options(value: str) -> None:
    main, options = parse_options_header(value)
    assert type(main) is str
    assert all(type(key) is str and type(item) is str for key, item in options.items())
    assert (main, options) == werkzeug_parse_options_header(value), value
    assert type(mimetype_of(value)) is str
    assert is_json_mimetype(mimetype_of(value)) in (True, False)
    assert unquote_header_value(quote_header_value(value)) == value


def check_dump(provider: atheris.FuzzedDataProvider) -> None:
    main = provider.ConsumeUnicodeNoSurrogates(16)
    options: dict[str, str] = {}
    for _ in range(provider.ConsumeIntInRange(0, 3)):
        key = provider.ConsumeUnicodeNoSurrogates(8).lower()
        options[key] = provider.ConsumeUnicodeNoSurrogates(16)
    header = dump_options_header(main, options)
    # The round trip holds for what a header carries: a token main value, token keys
    # (not RFC 2231 ones, ending in "*" or "*N"), and values free of CR, LF and NUL.
    if not TOKEN.fullmatch(main):
        return
    for key, item in options.items():
        if not TOKEN.fullmatch(key) or "*" in key or any(c in item for c in "\r\n\0"):
            return
    assert parse_options_header(header) == (main, options), (header, main, options)


def check_headers(provider: atheris.FuzzedDataProvider) -> None:
    headers = Headers()
    for _ in range(provider.ConsumeIntInRange(1, 4)):
        name = provider.ConsumeUnicodeNoSurrogates(12)
        value = provider.ConsumeUnicodeNoSurrogates(24)
        adding = provider.ConsumeBool()
        try:
            if adding:
                headers.add(name, value)
            else:
                headers[name] = value
        except ValueError:
            assert not TOKEN.fullmatch(name) or any(c in value for c in "\r\n\0")
            continue
        assert TOKEN.fullmatch(name), name
        if adding:
            assert headers.getlist(name)[-1] == value
        else:
            assert headers.getlist(name) == [value]
    block = str(headers)
    # Every header is one line: the block is its lines, then an empty line.
    assert block.count("\r\n") == len(headers) + 1, block
    assert "\n" not in block.replace("\r\n", "") and "\r" not in block.replace("\r\n", "")


def check_date(value: str) -> None:
    moment = parse_http_date(value)
    if moment is not None:
        assert moment.tzinfo is timezone.utc, (value, moment)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode, rest = data[0] % 4, data[1:]
    if mode == 0:
        check_options(rest.decode("latin-1"))
    elif mode == 1:
        check_dump(atheris.FuzzedDataProvider(rest))
    elif mode == 2:
        check_headers(atheris.FuzzedDataProvider(rest))
    else:
        check_date(rest.decode("latin-1"))


if __name__ == "__main__":
    run(test_one_input, SEEDS)

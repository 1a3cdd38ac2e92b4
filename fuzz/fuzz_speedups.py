"""Differential fuzzing of the compiled leaf functions (carafe/http/_speedups.c).

Each input picks one of the four functions and builds its arguments; the compiled
function and its pure-Python twin must give the same result, or raise the same
exception class:

- ``urlencoded_lists``: ``forms._parse_lists`` (a form over the limit: the same count);
- ``headers_ready``: ``Response.wsgi_headers`` sends the same list with it as without
  it, and a list it finds ready is the one the Python code sends as it is;
- ``encode_headers``: ``asgi._asgi_headers`` gives the same pairs with it as without
  it, and a list it encodes is what ``asgi._encode_headers`` makes of it;
- ``json_plain``: ``json._is_plain``.

Any mismatch, and any crash of the extension, is a crash. ``make fuzz`` also runs this
harness against the extension built with AddressSanitizer and UndefinedBehaviorSanitizer
(fuzz/sanitized.py), where a memory error stops it too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import atheris
from _runner import instrumented, run

with instrumented():
    import carafe.http._speedups as native
    from carafe import asgi as asgi_module
    from carafe import response as response_module
    from carafe.http.forms import FormTooLarge, _parse_lists
    from carafe.json import _is_plain
    from carafe.response import Response

# The sanitized run must test the sanitized build, not fall back on another.
SANITIZED = os.environ.get("CARAFE_SANITIZED_SPEEDUPS")
assert SANITIZED is None or native.__file__ == SANITIZED, native.__file__

SEEDS = [
    b"\x00\x03a=1&b=%C3%A9+x&a&c=%E9&\xc3\xa9=\xff&d=%zz",
    b"\x01\x02\x01\x00\x00\x01\x02\x01\x01\x01",
    b"\x02\x03\x01\x00\x00\x00\x03\x01\x01\x02\x00",
    b"\x03\x04\x01\x02\x00caf\xc3\xa9",
]

# Names a header list may hold (X-Unseen is never known), and values: those Headers
# holds (str), then one it never holds.
NAMES = ["Content-Type", "content-type", "Content-Length", "X-One", "Location", "X-Unseen"]
STR_VALUES: list[Any] = ["v", "1", "", "text/plain", "/caf\u00e9", "/a b", "\u2603"]
VALUES = [*STR_VALUES, 5]
STATUSES = [200, 201, 204, 304, 404]
SCALARS: list[Any] = ["s", 1, True, None, 0.0, -0.0, 1.5, 1e16, 2**70, b"x", Response]


class Name(str):
    """A str subclass: the compiled functions decline it, Python takes it."""


def outcome(call: Callable[..., Any], *args: Any) -> Any:
    """The result of ``call``, or the class of what it raised."""
    try:
        return call(*args)
    except Exception as exc:
        return type(exc)


def text(provider: atheris.FuzzedDataProvider, pool: list[Any], size: int = 12) -> Any:
    """A value from ``pool``, or fuzzed text (surrogates included)."""
    if provider.ConsumeBool():
        return provider.PickValueInList(pool)
    return provider.ConsumeUnicode(size)


def check_urlencoded(provider: atheris.FuzzedDataProvider) -> None:
    limit = provider.PickValueInList([None, 0, 1, 2, 3, 1000, -1])
    body = provider.ConsumeBytes(provider.remaining_bytes())
    try:
        expected: Any = _parse_lists(body, limit)
    except FormTooLarge as exc:
        expected = int(str(exc).split()[3])  # "The form has N fields, ..."
    assert native.urlencoded_lists(body, limit) == expected, (body, limit)


def json_value(provider: atheris.FuzzedDataProvider, depth: int = 0) -> Any:
    kind = provider.ConsumeIntInRange(0, 7 if depth < 6 else 3)
    if kind == 0:
        return provider.PickValueInList(SCALARS)
    if kind == 1:
        return provider.ConsumeFloat()
    if kind == 2:
        return provider.ConsumeInt(provider.ConsumeIntInRange(1, 12))
    if kind == 3:
        return provider.ConsumeUnicode(4)
    items = [json_value(provider, depth + 1) for _ in range(provider.ConsumeIntInRange(0, 3))]
    if kind == 4:
        return items
    if kind == 5:
        return tuple(items)
    if kind == 6:
        return {str(index): item for index, item in enumerate(items)}
    return {index: item for index, item in enumerate(items)}  # Keys that are not str.


def check_json_plain(provider: atheris.FuzzedDataProvider) -> None:
    value = json_value(provider)
    assert native.json_plain(value) is _is_plain(value), value


def header_list(provider: atheris.FuzzedDataProvider, *, held: bool) -> Any:
    """Mostly (name, value) tuples in a list; at times another shape.

    If ``held``, only what a Headers object's list may hold: pairs with str values. (The
    Python code raises at different points on the rest, so the twins' errors differ.)
    """
    items: list[Any] = []
    for _ in range(provider.ConsumeIntInRange(0, 5)):
        name = text(provider, NAMES)
        value = text(provider, STR_VALUES if held else VALUES)
        shape = provider.ConsumeIntInRange(0, 7)
        if shape == 0:
            items.append([name, value])
        elif shape == 1:
            items.append((Name(name), value))
        elif shape == 2 and not held:
            items.append((name, value, value))
        else:
            items.append((name, value))
    return items if provider.ConsumeIntInRange(0, 15) else tuple(items)


def known_names(provider: atheris.FuzzedDataProvider, items: Any) -> dict[str, str]:
    """headers.KNOWN_NAMES as it may be: the pool's names and maybe the list's own."""
    known = {name: name.lower() for name in NAMES if name != "X-Unseen"}
    for item in items:
        if type(item) is tuple and item and type(item[0]) is str and provider.ConsumeBool():
            known[item[0]] = item[0].lower()
    return known


def asgi_names(
    provider: atheris.FuzzedDataProvider, known: dict[str, str], *, odd: bool
) -> dict[str, Any]:
    """asgi._ASGI_NAMES as it may be: some known names' encoded lower case (or, if ``odd``,
    at times a value that is not bytes, which asgi.py never stores)."""
    names: dict[str, Any] = {}
    for name, lower in known.items():
        if provider.ConsumeIntInRange(0, 7):
            raw = lower.encode("latin-1", "replace")
            names[name] = lower if odd and not provider.ConsumeIntInRange(0, 15) else raw
    return names


@contextmanager
def writers(compiled: bool, known: dict[str, str], names: dict[str, Any]) -> Iterator[None]:
    """Run the block with the response writers on the compiled functions or their twins,
    over ``known`` and a copy of ``names`` (the Python code adds the names it encodes)."""
    saved = (
        response_module.KNOWN_NAMES,
        response_module._headers_ready,
        asgi_module._compiled_headers,
        asgi_module._ASGI_NAMES,
    )
    response_module.KNOWN_NAMES = known
    response_module._headers_ready = native.headers_ready if compiled else None
    asgi_module._compiled_headers = native.encode_headers if compiled else None
    asgi_module._ASGI_NAMES = dict(names)
    try:
        yield
    finally:
        (
            response_module.KNOWN_NAMES,
            response_module._headers_ready,
            asgi_module._compiled_headers,
            asgi_module._ASGI_NAMES,
        ) = saved


def header_response(provider: atheris.FuzzedDataProvider, items: Any) -> Response:
    response = Response(b"body", provider.PickValueInList(STATUSES))
    response.headers._list = items
    return response


def check_headers_ready(provider: atheris.FuzzedDataProvider) -> None:
    items = header_list(provider, held=False)
    known = known_names(provider, items)
    if native.headers_ready(items, known):
        response = Response(b"body")
        response.headers._list = items
        with writers(False, known, {}):
            sent = response.wsgi_headers()
        assert sent is items, (items, sent)  # Python too sends it as it is.
    # Through Response.wsgi_headers.
    items = header_list(provider, held=True)
    known = known_names(provider, items)
    response = header_response(provider, items)
    with writers(True, known, {}):
        compiled = outcome(response.wsgi_headers)
    with writers(False, known, {}):
        expected = outcome(response.wsgi_headers)
    assert compiled == expected, (items, response.status, compiled, expected)


def check_encode_headers(provider: atheris.FuzzedDataProvider) -> None:
    items = header_list(provider, held=False)
    known = known_names(provider, items)
    names = asgi_names(provider, known, odd=True)
    encoded = outcome(native.encode_headers, items, names)
    if isinstance(encoded, list):
        with writers(False, known, names):
            assert encoded == asgi_module._encode_headers(items), (items, encoded)
    # Through asgi._asgi_headers.
    items = header_list(provider, held=True)
    known = known_names(provider, items)
    names = asgi_names(provider, known, odd=False)
    response = header_response(provider, items)
    with writers(True, known, names):
        compiled = outcome(asgi_module._asgi_headers, response)
    with writers(False, known, names):
        expected = outcome(asgi_module._asgi_headers, response)
    assert compiled == expected, (items, response.status, compiled, expected)


CHECKS = [check_urlencoded, check_json_plain, check_headers_ready, check_encode_headers]


def test_one_input(data: bytes) -> None:
    if not data:
        return
    CHECKS[data[0] % len(CHECKS)](atheris.FuzzedDataProvider(data[1:]))


if __name__ == "__main__":
    run(test_one_input, SEEDS)

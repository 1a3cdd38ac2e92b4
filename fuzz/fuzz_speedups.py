"""Differential fuzzing of the compiled helpers (carafe/_speedups.c) against their twins.

Each input picks one helper and builds its arguments; the helper and its
pure-Python twin must give the same result (or decline where the C helper may
decline, then change nothing), or raise the same exception class. Any mismatch,
and any crash of the extension, is a crash. ``make fuzz`` also runs this harness
against the extension built with AddressSanitizer and UndefinedBehaviorSanitizer
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
    import carafe._speedups as native
    from carafe import asgi as asgi_module
    from carafe import response as response_module
    from carafe.asgi_request import ASGIRequest
    from carafe.asgi_request import _init_python as asgi_init_python
    from carafe.http import headers as headers_module
    from carafe.http.forms import FormTooLarge, _parse_lists
    from carafe.http.headers import Headers
    from carafe.json import _is_plain
    from carafe.request import Request
    from carafe.request import _init_python as request_init_python
    from carafe.response import Response

# The sanitized run must test the sanitized build, not fall back on another.
SANITIZED = os.environ.get("CARAFE_SANITIZED_SPEEDUPS")
assert SANITIZED is None or native.__file__ == SANITIZED, native.__file__

SEEDS = [
    b"\x00\x03a=1&b=%C3%A9+x&a&c=%E9&\xc3\xa9=\xff&d=%zz",
    b"\x01\x05\x02\x01\x07\x03\x04",
    b"\x02\x01\x00\x02X-One\x01value",
    b"\x03\x02\x01\x00\x00\x01\x02",
    b"\x04\x03\x01\x02\x00caf\xc3\xa9",
    b"\x05\x02\x01\x03\x00\x01",
    b"\x06\x01/caf\xc3\xa9\x00GET",
    b"\x07\x03host\x00x\x01cookie\x00a=1\x01cookie\x00b=2",
    b"\x08\x01Hello\x00\xc9\x00\x00",
]

NAMES = ["Content-Type", "content-type", "Content-Length", "X-One", "x-one", "Location", "X-New"]
VALUES = ["v", "a", "text/plain", "1", "", "/caf\u00e9", "\u2603"]
# Remember the pool's names and values as validated, as headers.py does for any it
# checks; fuzzed names and values go through the checks themselves.
headers_module.KNOWN_NAMES.update((name, name.lower()) for name in NAMES)
headers_module._VALID_VALUES.update(value for value in VALUES if value.isascii())
SETITEM = native.setitem_method(Headers, headers_module._setitem_python)
SCALARS: list[Any] = ["s", 1, True, None, 0.0, -0.0, 1.5, 1e16, 2**70, b"x", Headers()]


@contextmanager
def caches_restored() -> Iterator[None]:
    """Run the block, then put back the caches of names and values it may have filled.

    The compiled call runs in the block and its twin after it, so both start from the
    same caches (an uncached name can take another path: the twins must agree on each).
    """
    caches = (headers_module.KNOWN_NAMES, headers_module._VALID_VALUES, asgi_module._ASGI_NAMES)
    saved = [cache.copy() for cache in caches]
    try:
        yield
    finally:
        for cache, before in zip(caches, saved, strict=True):
            cache.clear()
            cache.update(before)  # type: ignore[arg-type]


def outcome(call: Callable[..., Any], *args: Any) -> Any:
    """The result of ``call``, or the class of what it raised."""
    try:
        return call(*args)
    except Exception as exc:
        return type(exc)


def text(provider: atheris.FuzzedDataProvider, pool: list[str], size: int = 12) -> str:
    """A value from ``pool``, or fuzzed text (surrogates included)."""
    if provider.ConsumeBool():
        return provider.PickValueInList(pool)
    return provider.ConsumeUnicode(size)


def check_urlencoded(provider: atheris.FuzzedDataProvider) -> None:
    limit = provider.PickValueInList([None, 0, 1, 2, 3, 1000])
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


def header_list(provider: atheris.FuzzedDataProvider) -> list[tuple[str, str]]:
    count = provider.ConsumeIntInRange(0, 4)
    return [(text(provider, NAMES), text(provider, VALUES)) for _ in range(count)]


def check_setitem(provider: atheris.FuzzedDataProvider) -> None:
    layout = header_list(provider)
    key: Any = (
        text(provider, NAMES)
        if provider.ConsumeBool()
        else provider.PickValueInList([0, -1, slice(0, 1), 3.5, b"X-One"])
    )
    value: Any = (
        text(provider, VALUES)
        if provider.ConsumeBool()
        else provider.PickValueInList([7, ("N", "v"), [("N", "v")], None])
    )
    compiled, reference = Headers._trusted(list(layout)), Headers._trusted(list(layout))
    with caches_restored():
        done = outcome(SETITEM, compiled, key, value)
    expected = outcome(headers_module._setitem_python, reference, key, value)
    assert done == expected, (layout, key, value, done, expected)
    assert compiled.to_wsgi_list() == reference.to_wsgi_list(), (layout, key, value)


def check_set_known_header(provider: atheris.FuzzedDataProvider) -> None:
    layout = header_list(provider)
    name, value = text(provider, NAMES), text(provider, VALUES)
    compiled, reference = list(layout), list(layout)
    with caches_restored():
        done = native.set_known_header(compiled, name, value)
    if done:
        headers_module._setitem_python(Headers._trusted(reference), name, value)
        assert compiled == reference, (layout, name, value)
    else:
        assert compiled == layout, (layout, name, value)


def header_response(provider: atheris.FuzzedDataProvider) -> Response:
    response = Response(b"body", provider.PickValueInList([200, 201, 204, 304, 404, 101]))
    response.headers._list = header_list(provider)
    return response


def check_asgi_headers(provider: atheris.FuzzedDataProvider) -> None:
    response = header_response(provider)
    # The names ASGI knows: those the response writers met, and maybe these.
    asgi_module._encode_headers([(name, "") for name in NAMES if provider.ConsumeBool()])
    with caches_restored():
        compiled = outcome(asgi_module._asgi_headers, response)
    saved, asgi_module._compiled_headers = asgi_module._compiled_headers, None
    try:
        expected = outcome(asgi_module._asgi_headers, response)
    finally:
        asgi_module._compiled_headers = saved
    assert compiled == expected, (response.headers._list, compiled, expected)


def check_headers_ready(provider: atheris.FuzzedDataProvider) -> None:
    response = header_response(provider)
    with caches_restored():
        compiled = outcome(Response.wsgi_headers, response)
    saved, response_module._headers_ready = response_module._headers_ready, None
    try:
        expected = outcome(Response.wsgi_headers, response)
    finally:
        response_module._headers_ready = saved
    assert compiled == expected, (response.headers._list, compiled, expected)


def request_state(request: Any, names: list[str]) -> dict[str, Any]:
    return {name: getattr(request, name, "<unset>") for name in names}


def check_request_init(provider: atheris.FuzzedDataProvider) -> None:
    environ: dict[str, Any] = {"QUERY_STRING": ""}
    if provider.ConsumeBool():
        environ["PATH_INFO"] = provider.ConsumeUnicode(16)
    if provider.ConsumeBool():
        environ["REQUEST_METHOD"] = text(provider, ["GET", "POST", "get", "PATCH", "BREW", ""])
    init = native.init_method(Request)
    compiled, reference = Request.__new__(Request), Request.__new__(Request)
    done = outcome(init, compiled, environ, None)
    expected = outcome(request_init_python, reference, environ, None)
    assert done == expected, (environ, done, expected)
    names = list(Request.__slots__)
    assert request_state(compiled, names) == request_state(reference, names), environ


def check_asgi_request_init(provider: atheris.FuzzedDataProvider) -> None:
    scope: dict[str, Any] = {"type": "http"}
    for key, pool in (
        ("method", ["GET", "post", "PATCH", "BREW"]),
        ("path", ["/", "", "/a/b", "//a", "a", "/caf\u00e9"]),
        ("root_path", ["", "/app", "/other"]),
    ):
        if provider.ConsumeBool():
            scope[key] = text(provider, pool) if provider.ConsumeBool() else None
    if provider.ConsumeBool():
        pairs: list[Any] = []
        for _ in range(provider.ConsumeIntInRange(0, 4)):
            name = provider.PickValueInList([b"host", b"cookie", b"content-length", b"x-a"])
            pairs.append((name, provider.ConsumeBytes(provider.ConsumeIntInRange(0, 8))))
        if provider.ConsumeBool():
            pairs.append(provider.PickValueInList([[b"host", b"x"], ("host", b"x"), (b"h",)]))
        scope["headers"] = pairs if provider.ConsumeBool() else tuple(pairs)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    init = native.init_method(ASGIRequest)
    compiled = ASGIRequest.__new__(ASGIRequest)
    reference = ASGIRequest.__new__(ASGIRequest)
    done = outcome(init, compiled, scope, receive, None)
    expected = outcome(asgi_init_python, reference, scope, receive, None)
    assert done == expected, (scope, done, expected)
    if done is None:
        names = [*Request.__slots__, *ASGIRequest.__slots__]
        names.remove("environ")
        assert request_state(compiled, names) == request_state(reference, names), scope


def response_state(response: Response) -> tuple[Any, ...]:
    return (
        response.status,
        response.status_code,
        response.headers.to_wsgi_list(),
        response.response,
        response.direct_passthrough,
        response._on_close,
        type(response.headers),
    )


def check_init_text(provider: atheris.FuzzedDataProvider) -> None:
    body: Any = provider.PickValueInList(
        [provider.ConsumeUnicode(8), provider.ConsumeBytes(8), None, bytearray(b"x"), ["a"]]
    )
    status = provider.PickValueInList([None, 200, 201, 404, 299, 600, 99, True, "201 X"])
    headers: Any = None
    if provider.ConsumeBool():
        headers = dict(header_list(provider))
    mimetype = provider.PickValueInList([None, "text/html", "application/json", "text/x-new"])
    args = (body, status, headers, mimetype, None, False)
    saved, response_module._init_text = response_module._init_text, None
    try:
        expected = outcome(lambda: response_state(Response(*args)))
    finally:
        response_module._init_text = saved
    # (The twin first: it checks and caches a new mimetype, as a first use does.)
    response = Response.__new__(Response)
    if native.init_text(response, *args):
        assert response_state(response) == expected, (args, expected)


CHECKS = [
    check_urlencoded,
    check_json_plain,
    check_setitem,
    check_set_known_header,
    check_asgi_headers,
    check_headers_ready,
    check_request_init,
    check_asgi_request_init,
    check_init_text,
]


def test_one_input(data: bytes) -> None:
    if not data:
        return
    CHECKS[data[0] % len(CHECKS)](atheris.FuzzedDataProvider(data[1:]))


if __name__ == "__main__":
    run(test_one_input, SEEDS)

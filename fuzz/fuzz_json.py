"""Fuzz JSON loading behind its depth check (carafe/http/nesting.py, carafe/json.py).

What ``request.get_json`` does with a body: refuse it when ``json_depth_exceeds``
(MAX_JSON_DEPTH), else parse it with the app's provider. Documented outcomes:
``json_nesting_depth`` is the document's real nesting depth (an upper bound for
invalid JSON) and ``json_depth_exceeds(data, n)`` says whether it is above ``n``;
a body within the limit parses or raises ValueError (never RecursionError: that is
what the check is for); the provider's ``loads`` gives exactly what ``json.loads``
gives, orjson or not, and its ``response`` writes exactly what Flask's provider
writes (``json.dumps`` with sorted keys, compact, and a newline). Anything else is
a crash.
"""

from __future__ import annotations

import json
import math
from types import SimpleNamespace
from typing import Any

from _runner import instrumented, run

with instrumented():
    from carafe.http.nesting import json_depth_exceeds, json_nesting_depth
    from carafe.json import DefaultJSONProvider

SEEDS = [
    b'{"a": [1, 2.5, -0.0, 1e400, "x\\"]"], "b": {"c": null, "d": [true, false]}}',
    b'[[[[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]]]',
    b'["\\u00e9\\ud83d\\ude00", "\\ud800", 12345678901234567890, NaN, -Infinity]',
    b'\xef\xbb\xbf{"bom": 1}',
    '{"utf16": ["\\"", "[", {"k": []}]}'.encode("utf-16"),
    '[["\u5b22", "\u225b"], [[1]]]'.encode("utf-16-le"),
    '{"utf32": [[]]}'.encode("utf-32-be"),
    b'"unterminated [[[',
]
#: The MAX_JSON_DEPTH the harness parses under.
LIMIT = 20
PROVIDER = DefaultJSONProvider(SimpleNamespace(debug=False))


def real_depth(value: Any) -> int:
    """How deeply a parsed value nests arrays and objects (without recursing)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


def same(left: Any, right: Any) -> bool:
    """Equal, with the same types all the way down (1 is not 1.0, -0.0 is not 0.0)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, float):
        if math.isnan(left):
            return math.isnan(right)
        return left == right and math.copysign(1, left) == math.copysign(1, right)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(left[k], right[k]) for k in left)
    return bool(left == right)


def outcome(load: Any, data: bytes) -> Any:
    try:
        return True, load(data)
    except ValueError:
        return False, None


def test_one_input(data: bytes) -> None:
    depth = json_nesting_depth(data)
    assert type(depth) is int and depth >= 0
    for limit in {0, 1, max(depth - 1, 0), depth, LIMIT}:
        assert json_depth_exceeds(data, limit) is (depth > limit), (data, limit, depth)
    if depth > LIMIT:
        return  # A 400 in the app.
    expected = outcome(json.loads, data)
    loaded = outcome(PROVIDER.loads, data)
    assert loaded[0] == expected[0] and same(loaded[1], expected[1]), (data, loaded, expected)
    if not expected[0]:
        return
    value = expected[1]
    assert real_depth(value) == depth, (data, real_depth(value), depth)
    body = PROVIDER.response(value).get_data()
    written = json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    assert body == (written + "\n").encode(), (data, body)


if __name__ == "__main__":
    run(test_one_input, SEEDS)

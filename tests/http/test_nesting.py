"""Tests for carafe.http.nesting: the depth of a JSON body, found before it is parsed."""

from __future__ import annotations

import json

import pytest

from carafe.http.nesting import json_depth_exceeds, json_nesting_depth

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_utf16_and_utf32_bodies_are_measured_as_json_loads_reads_them(encoding: str) -> None:
    # Found by fuzz/fuzz_json.py: json.loads reads UTF-16 and UTF-32 bodies, whose
    # bytes the scan took for quotes ("\u0122" is 22 01 in UTF-16-LE), so 300 levels
    # measured 1 and passed MAX_JSON_DEPTH.
    document = '["\u0122", ' + "[" * 300 + "1" + "]" * 300 + ', "x"]'
    data = document.encode(encoding)
    assert json_nesting_depth(data) == 301
    assert json_depth_exceeds(data, 100) is True
    assert json_depth_exceeds(data, 301) is False
    shallow = '{"a": ["\u0122", {"b": "[[[["}]}'.encode(encoding)
    assert json.loads(shallow) == {"a": ["\u0122", {"b": "[[[["}]}
    assert json_nesting_depth(shallow) == 3
    # A lone surrogate, which json.loads lets pass, is read the same way.
    lone = '[["\udcac"], [[1]]]'.encode(encoding, "surrogatepass")
    assert len(json.loads(lone)) == 2
    assert json_nesting_depth(lone) == 3


def test_undecodable_wide_bodies_get_an_upper_bound() -> None:
    # Not UTF-16 (half a code unit): json.loads fails too; the bound counts every opening.
    data = b"[\x00[\x00\x00]\x00]\x00"
    with pytest.raises(ValueError):
        json.loads(data)
    assert json_nesting_depth(data) >= 2

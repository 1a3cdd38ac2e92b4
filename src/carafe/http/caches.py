"""Bounded caches: plain dicts that stop growing at a limit.

Carafe remembers values that repeat across requests (header names and values,
content types, body lengths, valid Host headers, environ keys, ...) so that the next
request looks them up instead of working them out again. Many of them come from
clients, so every such cache stops growing at its limit; past it, a value is worked
out each time, as if there were no cache. The caches stay plain dicts, so a lookup
is one subscript (and the C leaf functions can take them).
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

__all__ = ["remember"]


def remember(cache: dict[K, V], key: K, value: V, limit: int) -> V:
    """Keep ``value`` under ``key`` while ``cache`` holds fewer than ``limit`` entries;
    return ``value``."""
    if len(cache) < limit:
        cache[key] = value
    return value

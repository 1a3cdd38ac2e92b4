"""Comma-separated header values (RFC 9110 section 5.6.1): lists, ``key=value``
dicts and case-insensitive sets, as Werkzeug reads and writes them.

``parse_list_header('a, "b, c"')`` gives ``["a", "b, c"]``; ``parse_dict_header``
splits each item at its ``=``; :class:`HeaderSet` is the set behind ``Vary``,
``Allow`` and ``Content-Language``, which writes itself back to its header when it
changes. :class:`CallbackDict` is the dict that does the same for the mappings a
response hands out (``mimetype_params``, ``cache_control``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, MutableSet
from typing import Any, TypeVar

# The RFC 2231 value syntax and charsets, shared with Content-Type's parameters.
from carafe.http.header_values import (
    _EXT_CHARSETS,
    _EXT_VALUE_RE,
    quote_header_value,
    unquote_header_value,
)

__all__ = [
    "CallbackDict",
    "HeaderSet",
    "dump_header",
    "parse_dict_header",
    "parse_list_header",
]

K = TypeVar("K")
V = TypeVar("V")
HS = TypeVar("HS", bound="HeaderSet")


def _split_items(value: str) -> list[str] | None:
    """The comma-separated items of ``value``, quoted strings kept whole and raw;
    None if a quoted string is never closed."""
    if '"' not in value:
        # PERF: most lists (Accept, Vary, X-Forwarded-For) quote nothing.
        return value.split(",")
    items: list[str] = []
    start = 0
    pos = 0
    end = len(value)
    while pos < end:
        char = value[pos]
        if char == ",":
            items.append(value[start:pos])
            start = pos + 1
        elif char == '"':
            pos += 1
            while pos < end and value[pos] != '"':
                # A backslash escapes the next character, a quote included.
                pos += 2 if value[pos] == "\\" else 1
            if pos >= end:
                return None
        pos += 1
    items.append(value[start:])
    return items


def parse_list_header(value: str) -> list[str]:
    """Split a comma-separated header value into its items.

    Items are stripped of spaces and tabs, empty ones dropped, and an item that is
    one quoted string unquoted (commas inside quotes do not split); an item only
    partly quoted is kept as sent. A quoted string never closed makes the whole
    value invalid: the result is then empty. As ``werkzeug.http.parse_list_header``.
    """
    items = _split_items(value)
    if items is None:
        return []
    return [unquote_header_value(item) for item in (raw.strip(" \t") for raw in items) if item]


def _decode_extended(value: str) -> str:
    """An RFC 2231 ``charset'lang'%xx`` value: decoded for the charsets clients use,
    still percent-encoded for others; any other value as sent."""
    match = _EXT_VALUE_RE.match(value)
    if match is None:
        return value
    charset = match.group(1).lower()
    encoded = match.group(2)
    if charset not in _EXT_CHARSETS:
        return encoded
    from urllib.parse import unquote  # Start-up: urllib.parse loads on first use.

    return unquote(encoded, encoding=charset)


def parse_dict_header(value: str) -> dict[str, str | None]:
    """Parse a comma-separated list of ``key=value`` items into a dict.

    ``'a=b, c="d, e", f'`` gives ``{"a": "b", "c": "d, e", "f": None}``: a key
    without ``=`` maps to None, quoted values are unquoted, and a ``key*`` value in
    RFC 2231 form (``utf-8''caf%C3%A9``) is decoded under ``key``. As
    ``werkzeug.http.parse_dict_header``.
    """
    result: dict[str, str | None] = {}
    for item in parse_list_header(value):
        key, has_value, item_value = item.partition("=")
        key = key.strip(" \t")
        if not key:
            continue
        if not has_value:
            result[key] = None
            continue
        item_value = item_value.strip(" \t")
        if key.endswith("*"):
            key = key[:-1]
            item_value = _decode_extended(item_value)
        result[key] = unquote_header_value(item_value)
    return result


def dump_header(iterable: Mapping[str, Any] | Iterable[Any]) -> str:
    """Join items (or ``key=value`` pairs of a mapping) with ``", "``, quoting values
    that are not tokens; a None value writes its key alone, and a ``key*`` value is
    taken as already encoded. The reverse of :func:`parse_list_header` and
    :func:`parse_dict_header`.
    """
    if isinstance(iterable, Mapping):
        parts = []
        for key, item in iterable.items():
            if item is None:
                parts.append(key)
            elif key.endswith("*"):
                parts.append(f"{key}={item}")
            else:
                parts.append(f"{key}={quote_header_value(item)}")
        return ", ".join(parts)
    return ", ".join(quote_header_value(item) for item in iterable)


class CallbackDict(dict[K, V]):
    """A dict that calls ``on_update(self)`` after each change, so that a view of a
    header (a response's ``mimetype_params``, ``cache_control``) writes itself back.

    :param initial: the first items.
    :param on_update: called with the dict after every change.
    """

    def __init__(
        self,
        initial: Mapping[K, V] | Iterable[tuple[K, V]] | None = None,
        on_update: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(() if initial is None else initial)
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: K) -> None:
        super().__delitem__(key)
        self._changed()

    def __ior__(self, other: Any) -> CallbackDict[K, V]:  # type: ignore[override,misc]
        super().__ior__(other)
        self._changed()
        return self

    def clear(self) -> None:
        super().clear()
        self._changed()

    def pop(self, key: K, *default: Any) -> Any:
        """Remove ``key`` and return its value (``default`` if given and missing)."""
        missing = key not in self
        value = super().pop(key, *default)
        if not missing:
            self._changed()
        return value

    def popitem(self) -> tuple[K, V]:
        """Remove and return the last item."""
        item = super().popitem()
        self._changed()
        return item

    def setdefault(self, key: K, default: Any = None) -> Any:
        """The value of ``key``, set to ``default`` first if missing."""
        if key in self:
            return self[key]
        self[key] = default
        return default

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Update from a mapping or pairs, and keyword arguments."""
        super().update(*args, **kwargs)
        self._changed()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


class HeaderSet(MutableSet[str]):
    """An ordered, case-insensitive set of header items (``Vary``, ``Allow``,
    ``Content-Language``): ``"ACCEPT" in response.vary`` is true when ``Accept``
    is listed. ``on_update(self)`` is called after each change.

    :param headers: the first items.
    :param on_update: called with the set after every change.
    """

    def __init__(
        self,
        headers: Iterable[str] | None = None,
        on_update: Callable[[Any], None] | None = None,
    ) -> None:
        self._headers: list[str] = []
        self._lowered: set[str] = set()
        for header in headers or ():
            if header.lower() not in self._lowered:
                self._headers.append(header)
                self._lowered.add(header.lower())
        self.on_update = on_update

    @classmethod
    def from_header(
        cls: type[HS], value: str | None, on_update: Callable[[Any], None] | None = None
    ) -> HS:
        """Parse a comma-separated header value (None or empty: an empty set)."""
        return cls(parse_list_header(value) if value else None, on_update)

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def add(self, header: str) -> None:
        """Add ``header`` unless it is there (in any case)."""
        self.update((header,))

    def update(self, iterable: Iterable[str]) -> None:
        """Add every item of ``iterable`` not there yet."""
        added = False
        for header in iterable:
            lowered = header.lower()
            if lowered not in self._lowered:
                self._headers.append(header)
                self._lowered.add(lowered)
                added = True
        if added:
            self._changed()

    def remove(self, header: str) -> None:
        """Remove ``header`` (in any case); a ``KeyError`` if it is not there."""
        lowered = header.lower()
        if lowered not in self._lowered:
            raise KeyError(header)
        self._lowered.remove(lowered)
        self._headers = [item for item in self._headers if item.lower() != lowered]
        self._changed()

    def discard(self, header: str) -> None:
        """Remove ``header`` if it is there."""
        if header.lower() in self._lowered:
            self.remove(header)

    def find(self, header: str) -> int:
        """The position of ``header`` (in any case), or -1."""
        lowered = header.lower()
        for index, item in enumerate(self._headers):
            if item.lower() == lowered:
                return index
        return -1

    def index(self, header: str) -> int:
        """The position of ``header`` (in any case); an ``IndexError`` if it is not there."""
        index = self.find(header)
        if index < 0:
            raise IndexError(header)
        return index

    def clear(self) -> None:
        """Remove every item."""
        self._headers.clear()
        self._lowered.clear()
        self._changed()

    def as_set(self, preserve_casing: bool = False) -> set[str]:
        """The items as a plain set, lower-cased unless ``preserve_casing``."""
        return set(self._headers) if preserve_casing else set(self._lowered)

    def to_header(self) -> str:
        """The header value: the items joined by ``", "``, quoted where needed."""
        return ", ".join(quote_header_value(item) for item in self._headers)

    def __getitem__(self, index: int) -> str:
        return self._headers[index]

    def __setitem__(self, index: int, value: str) -> None:
        old = self._headers[index]
        self._lowered.discard(old.lower())
        self._headers[index] = value
        self._lowered.add(value.lower())
        self._changed()

    def __delitem__(self, index: int) -> None:
        removed = self._headers.pop(index)
        self._lowered.discard(removed.lower())
        self._changed()

    def __contains__(self, header: object) -> bool:
        return isinstance(header, str) and header.lower() in self._lowered

    def __len__(self) -> int:
        return len(self._headers)

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __bool__(self) -> bool:
        return bool(self._headers)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._headers!r})"

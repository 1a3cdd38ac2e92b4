"""Range requests (RFC 9110 section 14): ``Range``, ``If-Range`` and
``Content-Range``, as Werkzeug parses and writes them, and the body of a range.

Ranges are ``(start, stop)`` pairs with ``stop`` exclusive (``bytes=0-99`` is
``(0, 100)``); a suffix range (``bytes=-100``) is ``(-100, None)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from carafe.http.dates import http_date, parse_http_date
from carafe.http.etags import quote_etag, unquote_etag

__all__ = [
    "ContentRange",
    "IfRange",
    "Range",
    "RangeBody",
    "is_byte_range_valid",
]

_PLAIN_INT_RE = re.compile(r"-?[0-9]+", re.ASCII)


def _plain_int(value: str) -> int:
    """An int of ASCII digits (and a leading ``-``) only, spaces and tabs around
    allowed; ``int()`` would also take ``+5``, ``5_0`` or other digits."""
    value = value.strip(" \t")
    if _PLAIN_INT_RE.fullmatch(value) is None:
        raise ValueError(value)
    return int(value)


def is_byte_range_valid(start: int | None, stop: int | None, length: int | None) -> bool:
    """True if ``start``-``stop`` (exclusive) is a valid range of a ``length``-byte
    resource (both None: a ``*`` range, valid for any length)."""
    if (start is None) != (stop is None):
        return False
    if start is None or stop is None:
        return length is None or length >= 0
    if length is None:
        return 0 <= start < stop
    if start >= stop:
        return False
    return 0 <= start < length


class IfRange:
    """An ``If-Range`` header: a date or a tag (never both).

    :param etag: the (unquoted) tag; ranges compare tags strongly, so weakness is dropped.
    :param date: the date.
    """

    def __init__(self, etag: str | None = None, date: datetime | None = None) -> None:
        self.etag = etag
        self.date = date

    @classmethod
    def from_header(cls, value: str | None) -> IfRange:
        """Parse a header value: a date if it reads as one, else a tag."""
        if not value:
            return cls()
        date = parse_http_date(value)
        if date is not None:
            return cls(date=date)
        return cls(unquote_etag(value)[0])

    def to_header(self) -> str:
        """The header value (empty when neither is set)."""
        if self.date is not None:
            return http_date(self.date)
        if self.etag is not None:
            return quote_etag(self.etag)
        return ""

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class Range:
    """A ``Range`` header: a unit (``bytes``) and its ranges.

    :param units: the unit.
    :param ranges: ``(start, stop)`` pairs, ``stop`` exclusive; ``(-n, None)`` is
        the last ``n`` bytes. An invalid pair is a ``ValueError``.
    """

    def __init__(self, units: str, ranges: Sequence[tuple[int, int | None]]) -> None:
        self.units = units
        self.ranges = ranges
        for start, stop in ranges:
            if start is None or (stop is not None and (start < 0 or start >= stop)):
                raise ValueError(f"{(start, stop)} is not a valid range.")

    @classmethod
    def from_header(cls, value: str | None) -> Range | None:
        """Parse a header value; None when it is absent or malformed (ranges out of
        order or overlapping included), as ``werkzeug.http.parse_range_header``."""
        if not value or "=" not in value:
            return None
        units, _, specs = value.partition("=")
        ranges: list[tuple[int, int | None]] = []
        last_end = 0
        for raw in specs.split(","):
            spec = raw.strip(" \t")
            if "-" not in spec:
                return None
            try:
                if spec.startswith("-"):
                    # A suffix: the last N bytes; only last, and never -0.
                    if last_end < 0:
                        return None
                    begin = _plain_int(spec)
                    if begin == 0:
                        return None
                    ranges.append((begin, None))
                    last_end = -1
                    continue
                begin_text, _, end_text = spec.partition("-")
                begin = _plain_int(begin_text)
                if begin < last_end or last_end < 0:
                    return None
                end: int | None = None
                if end_text.strip(" \t"):
                    end = _plain_int(end_text) + 1
                    if begin >= end:
                        return None
            except ValueError:
                return None
            ranges.append((begin, end))
            last_end = end if end is not None else -1
        return cls(units.strip(" \t").lower(), ranges)

    def range_for_length(self, length: int | None) -> tuple[int, int] | None:
        """The ``(start, stop)`` byte range to send of a ``length``-byte resource;
        None unless the unit is bytes, there is exactly one range, and it is
        satisfiable."""
        if self.units != "bytes" or length is None or len(self.ranges) != 1:
            return None
        start, stop = self.ranges[0]
        if stop is None:
            stop = length
            if start < 0:
                start += length
        if is_byte_range_valid(start, stop, length):
            return start, min(stop, length)
        return None

    def make_content_range(self, length: int | None) -> ContentRange | None:
        """The :class:`ContentRange` answering this range, or None."""
        found = self.range_for_length(length)
        if found is None:
            return None
        return ContentRange(self.units, found[0], found[1], length)

    def to_header(self) -> str:
        """The header value (``bytes=0-99,-100``)."""
        specs = []
        for begin, end in self.ranges:
            if end is None:
                specs.append(f"{begin}-" if begin >= 0 else str(begin))
            else:
                specs.append(f"{begin}-{end - 1}")
        return f"{self.units}={','.join(specs)}"

    def to_content_range_header(self, length: int | None) -> str | None:
        """The ``Content-Range`` value answering this range, or None."""
        found = self.range_for_length(length)
        if found is None:
            return None
        return f"{self.units} {found[0]}-{found[1] - 1}/{length}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class ContentRange:
    """A ``Content-Range`` header; ``on_update(self)`` is called after each change
    (a response writes it back to its header).

    :param units: the unit; None means no header (``bool()`` is then False).
    :param start: the first byte, or None for ``*`` (unsatisfied).
    :param stop: the byte after the last (exclusive), None with ``start``.
    :param length: the resource's length, or None for ``*``.
    """

    def __init__(
        self,
        units: str | None,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        on_update: Callable[[ContentRange], None] | None = None,
    ) -> None:
        self.on_update = on_update
        self.set(start, stop, length, units)

    @classmethod
    def from_header(
        cls, value: str | None, on_update: Callable[[ContentRange], None] | None = None
    ) -> ContentRange | None:
        """Parse a header value (``bytes 0-99/1234``, ``bytes */1234``); None when
        it is absent or malformed."""
        if value is None:
            return None
        units, _, spec = value.strip(" \t").partition(" ")
        if "/" not in spec:
            return None
        span, _, length_text = spec.partition("/")
        try:
            length = None if length_text == "*" else _plain_int(length_text)
            if span == "*":
                if not is_byte_range_valid(None, None, length):
                    return None
                return cls(units, None, None, length, on_update=on_update)
            if "-" not in span:
                return None
            start_text, _, stop_text = span.partition("-")
            start = _plain_int(start_text)
            stop = _plain_int(stop_text) + 1
        except ValueError:
            return None
        if not is_byte_range_valid(start, stop, length):
            return None
        return cls(units, start, stop, length, on_update=on_update)

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    # Each part is a property so that changing it writes the header back.

    @property
    def units(self) -> str | None:
        """The unit (usually ``bytes``); None when unset."""
        return self._units

    @units.setter
    def units(self, value: str | None) -> None:
        self._units = value
        self._changed()

    @property
    def start(self) -> int | None:
        """The first byte, or None."""
        return self._start

    @start.setter
    def start(self, value: int | None) -> None:
        self._start = value
        self._changed()

    @property
    def stop(self) -> int | None:
        """The byte after the last one (exclusive), or None."""
        return self._stop

    @stop.setter
    def stop(self, value: int | None) -> None:
        self._stop = value
        self._changed()

    @property
    def length(self) -> int | None:
        """The resource's whole length, or None when unknown."""
        return self._length

    @length.setter
    def length(self, value: int | None) -> None:
        self._length = value
        self._changed()

    def set(
        self,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        units: str | None = "bytes",
    ) -> None:
        """Set every part at once; an invalid range is a ``ValueError``."""
        if not is_byte_range_valid(start, stop, length):
            raise ValueError("Bad range provided")
        self._units = units
        self._start = start
        self._stop = stop
        self._length = length
        self._changed()

    def unset(self) -> None:
        """Clear it: the header goes away."""
        self.set(None, None, units=None)

    def to_header(self) -> str:
        """The header value (empty when unset)."""
        if self._units is None:
            return ""
        length = "*" if self._length is None else self._length
        if self._start is None or self._stop is None:
            return f"{self._units} */{length}"
        return f"{self._units} {self._start}-{self._stop - 1}/{length}"

    def __bool__(self) -> bool:
        return self._units is not None

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class RangeBody:
    """Bytes ``start`` to ``start + length`` of a body's chunks, iterated once; closing
    it closes the body: the body of a 206 answer.

    :param chunks: the whole body, as bytes chunks.
    """

    def __init__(self, chunks: Iterable[bytes], start: int, length: int) -> None:
        self._chunks = chunks
        self._start = start
        self._length = length

    def __iter__(self) -> Iterator[bytes]:
        skip = self._start
        left = self._length
        for chunk in self._chunks:
            if left <= 0:
                break
            if skip >= len(chunk):
                skip -= len(chunk)
                continue
            piece = chunk[skip : skip + left]
            skip = 0
            left -= len(piece)
            yield piece

    def close(self) -> None:
        """Close the body."""
        close: Any = getattr(self._chunks, "close", None)
        if close is not None:
            close()

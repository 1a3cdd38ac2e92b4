"""Several byte ranges of one body as a ``multipart/byteranges`` answer (RFC 9110
section 14.6), and the limits that keep a hostile ``Range`` header cheap."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["MAX_RANGES", "ByteRanges", "byte_ranges", "plan_ranges"]

#: More ranges than this in one request are not answered one by one: the whole body
#: is sent instead (RFC 9110 section 14.2 lets a server ignore such a ``Range``), so a
#: header of thousands of tiny ranges costs what one does.
MAX_RANGES = 16


def plan_ranges(
    spans: list[tuple[int, int]], complete_length: int
) -> list[tuple[int, int]] | None:
    """The ranges worth answering: ``spans`` (``(start, stop)``, stop exclusive, already
    within the body) sorted and merged where they overlap or touch; None when the
    request asks too much to answer part by part (more than :data:`MAX_RANGES`
    ranges, or more bytes than the whole body): the whole body is the answer then."""
    if len(spans) > MAX_RANGES or sum(stop - start for start, stop in spans) > complete_length:
        return None
    merged: list[tuple[int, int]] = []
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


class ByteRanges:
    """The ``multipart/byteranges`` body of ``spans`` of a body of ``complete_length``
    bytes of ``content_type``, each read by ``read(start, length)`` (an iterable of
    chunks, so a large range is never held whole): iterable, with its exact length
    known before it is sent."""

    __slots__ = ("_heads", "boundary", "content_type", "length", "read", "spans")

    def __init__(
        self,
        spans: list[tuple[int, int]],
        complete_length: int,
        content_type: str | None,
        read: Callable[[int, int], Iterable[bytes]],
    ) -> None:
        self.spans = spans
        self.read = read
        self.boundary = secrets.token_hex(16)
        #: The ``Content-Type`` of the whole answer.
        self.content_type = f"multipart/byteranges; boundary={self.boundary}"
        part_type = f"Content-Type: {content_type}\r\n" if content_type else ""
        self._heads = [
            (
                f"--{self.boundary}\r\n{part_type}"
                f"Content-Range: bytes {start}-{stop - 1}/{complete_length}\r\n\r\n"
            ).encode("latin-1")
            for start, stop in spans
        ]
        #: The answer's exact length (``Content-Length``).
        self.length = (
            sum(
                len(head) + (stop - start) + 2
                for head, (start, stop) in zip(self._heads, spans, strict=True)
            )
            + len(self.boundary)
            + 6
        )

    def __iter__(self) -> Iterator[bytes]:
        for head, (start, stop) in zip(self._heads, self.spans, strict=True):
            yield head
            yield from self.read(start, stop - start)
            yield b"\r\n"
        yield f"--{self.boundary}--\r\n".encode("latin-1")


def byte_ranges(
    body: Any, spans: list[tuple[int, int]], complete_length: int, content_type: str | None
) -> ByteRanges | None:
    """The ``multipart/byteranges`` answer of ``spans`` of a response ``body`` of
    ``complete_length`` bytes; None when the whole body should be sent instead
    (:func:`plan_ranges`). A body with a ``part(start, length)`` method (a file's)
    reads each range itself; any other is read into memory once."""
    planned = plan_ranges(spans, complete_length)
    if planned is None:
        return None
    part = getattr(body, "part", None)
    if part is not None:
        return ByteRanges(planned, complete_length, content_type, part)
    chunks = [chunk.encode() if isinstance(chunk, str) else chunk for chunk in body]
    data = b"".join(chunks)
    return ByteRanges(
        planned,
        complete_length,
        content_type,
        lambda start, length: [data[start : start + length]],
    )

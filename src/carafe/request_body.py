"""Reading a request body within its limits: the declared length, a stream that
stops at the length (or at a limit), and the stream of a body already read.

Plain helpers for :class:`carafe.request.Request` and the ASGI request; they know
nothing of apps.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO, cast

from carafe.exceptions import ClientDisconnected, RequestEntityTooLarge


def is_chunked(transfer_encoding: str | None) -> bool:
    """True if a ``Transfer-Encoding`` header names the ``chunked`` coding (a token of
    its comma-separated list, in any case), as Werkzeug reads it."""
    if transfer_encoding is None:
        return False
    lowered = transfer_encoding.lower()
    if lowered == "chunked":
        return True
    return "chunked" in lowered and any(
        coding.strip(" \t") == "chunked" for coding in lowered.split(",")
    )


def parse_content_length(value: str | None, transfer_encoding: str | None) -> int | None:
    """A ``Content-Length`` header as an int, as Werkzeug reads it.

    None when absent or when the body is chunked; 0 when it is not a plain
    non-negative number (nothing is read then).
    """
    if value is None or is_chunked(transfer_encoding):
        return None
    # SECURITY: only plain digits; int() would also take "+5", "5_0" or " -0". Spaces
    # and tabs around them are allowed, nothing else (Werkzeug's rule).
    if not (value.isdigit() and value.isascii()):
        value = value.strip(" \t")
    return int(value) if value.isdigit() and value.isascii() else 0


class _Exhausted:
    """The stream of a body already read whole: nothing more to read."""

    __slots__ = ()

    def read(self, size: int | None = -1) -> bytes:
        return b""

    def readline(self, size: int | None = -1) -> bytes:
        return b""

    def readable(self) -> bool:
        return True


# PERF: stateless, so one instance serves every request.
_EXHAUSTED = cast(BinaryIO, _Exhausted())


def _read_capped(stream: BinaryIO, limit: int | None) -> bytes:
    """Read ``stream`` to its end; more than ``limit`` bytes is a 413, found after
    reading at most one chunk beyond the limit."""
    if limit is None:
        return stream.read()
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(limit + 1 - size, 64 * 1024))
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge()
        chunks.append(chunk)


class _BoundedStream(io.RawIOBase):
    """Reads at most ``length`` bytes of the server's input stream.

    A body shorter than announced is a 400 (``ClientDisconnected``) rather than
    silently truncated data; an unbounded (chunked) body longer than ``limit``
    is a 413.
    """

    def __init__(self, source: BinaryIO, length: int | None, limit: int | None) -> None:
        self._source = source
        self._remaining = length
        self._limit = limit
        self._read_so_far = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        remaining = self._remaining
        if size is None or size < 0:
            chunks: list[bytes] = []
            while self._remaining != 0:
                # PERF: a body of known length is usually read in one call.
                chunk = self.read(self._remaining or 64 * 1024)
                if not chunk:
                    break
                chunks.append(chunk)
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if remaining is not None:
            size = min(size, remaining)
        if size == 0:
            return b""
        chunk = self._source.read(size)
        if remaining is not None:
            if not chunk:
                raise ClientDisconnected(
                    "The client sent less data than its Content-Length announced."
                )
            self._remaining = remaining - len(chunk)
        else:
            self._read_so_far += len(chunk)
            if self._limit is not None and self._read_so_far > self._limit:
                raise RequestEntityTooLarge()
        return chunk

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

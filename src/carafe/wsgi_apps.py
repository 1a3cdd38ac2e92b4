"""Calling a WSGI application from inside Carafe: a view that returns one (or a
response of another framework), ``Response.force_type``, and the test client.

The body comes back as it is streamed, and is closed once, as the WSGI spec asks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from carafe.http._compiled import mypyc_attr

if TYPE_CHECKING:
    from carafe.typing import WSGIEnvironment

__all__ = ["WSGIBody", "call_wsgi_app"]


@mypyc_attr(allow_interpreted_subclasses=True)
class WSGIBody:
    """The body a WSGI application returned, streamed as it comes, closed once."""

    __slots__ = ("_close", "_iterator", "_prefix")

    def __init__(
        self,
        prefix: list[bytes],
        iterator: Iterator[bytes],
        close: Callable[[], Any] | None,
    ) -> None:
        self._prefix = prefix
        self._iterator = iterator
        self._close = close

    def __iter__(self) -> Iterator[bytes]:
        yield from self._prefix
        for chunk in self._iterator:
            yield bytes(chunk)

    def close(self) -> None:
        """Close the application's iterable (once), as the WSGI spec asks."""
        close, self._close = self._close, None
        if close is not None:
            close()


def call_wsgi_app(
    app: Callable[..., Iterable[bytes]], environ: WSGIEnvironment
) -> tuple[WSGIBody, str, list[tuple[str, str]]]:
    """Call a WSGI application: ``(body, status, headers)``, the body not yet read.

    An application that calls ``start_response`` only when its iterable starts
    (a generator) is advanced to its first chunk to learn the status.
    """
    captured: list[tuple[str, list[tuple[str, str]]]] = []
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None and captured:
            raise exc_info[1].with_traceback(exc_info[2])
        captured.append((status, headers))
        return written.append

    iterable = app(environ, start_response)
    iterator = iter(iterable)
    prefix = written
    if not captured:
        first = next(iterator, None)
        if first is not None:
            prefix = [*written, bytes(first)]
    body = WSGIBody(prefix, iterator, getattr(iterable, "close", None))
    if not captured:
        body.close()
        raise RuntimeError("The WSGI application did not call start_response.")
    status, headers = captured[-1]
    return body, status, headers

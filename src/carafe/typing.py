"""Type aliases shared across Carafe and useful to typed applications."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from http import HTTPStatus
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Union

if TYPE_CHECKING:
    from carafe.http.headers import Headers
    from carafe.response import Response

WSGIEnvironment = dict[str, Any]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class StartResponse(Protocol):
    """The ``start_response`` callable a WSGI server passes to the application."""

    def __call__(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: ExcInfo | None = ...,
        /,
    ) -> Callable[[bytes], object]: ...


WSGIApplication = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]

#: An ASGI connection scope, and the messages ``receive`` and ``send`` carry.
ASGIScope = MutableMapping[str, Any]
ASGIMessage = MutableMapping[str, Any]
ASGIReceive = Callable[[], Awaitable[ASGIMessage]]
ASGISend = Callable[[ASGIMessage], Awaitable[None]]
ASGIApplication = Callable[[ASGIScope, ASGIReceive, ASGISend], Awaitable[None]]

ResponseValue = Union[
    "Response",
    str,
    bytes,
    bytearray,
    list[Any],
    Mapping[str, Any],
    Iterable[str],
    Iterable[bytes],
]
StatusValue = Union[int, str, HTTPStatus]
HeadersValue = Union[
    "Headers",
    Mapping[str, Any],
    list[tuple[str, Any]],
]
ResponseReturnValue = Union[
    ResponseValue,
    tuple[ResponseValue, HeadersValue],
    tuple[ResponseValue, StatusValue],
    tuple[ResponseValue, StatusValue, HeadersValue],
    WSGIApplication,
]

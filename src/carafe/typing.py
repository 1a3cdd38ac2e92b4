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

# Flask's names for the callables apps register (flask.typing).
HeaderName = str
HeaderValue = Union[str, list[str], tuple[str, ...]]
ResponseClass = type["Response"]
AppOrBlueprintKey = Union[str, None]
AfterRequestCallable = Union[
    Callable[[Any], Any],
    Callable[[Any], Awaitable[Any]],
]
BeforeFirstRequestCallable = Union[Callable[[], None], Callable[[], Awaitable[None]]]
BeforeRequestCallable = Union[
    Callable[[], Union[ResponseReturnValue, None]],
    Callable[[], Awaitable[Union[ResponseReturnValue, None]]],
]
ShellContextProcessorCallable = Callable[[], dict[str, Any]]
TeardownCallable = Union[
    Callable[[Union[BaseException, None]], None],
    Callable[[Union[BaseException, None]], Awaitable[None]],
]
TemplateContextProcessorCallable = Union[
    Callable[[], dict[str, Any]],
    Callable[[], Awaitable[dict[str, Any]]],
]
TemplateFilterCallable = Callable[..., Any]
TemplateGlobalCallable = Callable[..., Any]
TemplateTestCallable = Callable[..., bool]
URLDefaultCallable = Callable[[str, dict[str, Any]], None]
URLValuePreprocessorCallable = Callable[[Union[str, None], Union[dict[str, Any], None]], None]
ErrorHandlerCallable = Union[
    Callable[[Any], ResponseReturnValue],
    Callable[[Any], Awaitable[ResponseReturnValue]],
]
RouteCallable = Union[
    Callable[..., ResponseReturnValue],
    Callable[..., Awaitable[ResponseReturnValue]],
]

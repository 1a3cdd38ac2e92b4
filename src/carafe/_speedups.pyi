# Types of the optional compiled helpers (src/carafe/_speedups.c).
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

VERSION: int

def urlencoded_lists(body: bytes, max_fields: int | None, /) -> dict[str, list[str]] | int: ...
def configure_headers(known_names: dict[str, str], valid_values: set[str], /) -> None: ...
def set_known_header(items: list[tuple[str, str]], name: Any, value: Any, /) -> bool: ...
def setitem_method(
    headers_class: type[Any], fallback: Callable[[Any, Any, Any], None], /
) -> Callable[[Any, Any, Any], None]: ...
def configure_response(
    status_lines: dict[int, str],
    for_mimetype: dict[str, str],
    length_texts: dict[int, str],
    length_text: Callable[[int], str],
    headers_class: type[Any],
    response_class: type[Any],
    /,
) -> None: ...
def init_text(
    response: Any,
    body: Any,
    status: Any,
    headers: Any,
    mimetype: Any,
    content_type: Any,
    direct_passthrough: Any,
    /,
) -> bool: ...
def text_response(rv: Any, /) -> Any: ...
def headers_ready(items: list[tuple[str, str]], /) -> bool: ...
def asgi_headers(
    items: list[tuple[str, str]], names: dict[str, bytes], /
) -> list[tuple[bytes, bytes]] | None: ...
def json_plain(obj: Any, /) -> bool: ...
def configure_proxy(var: ContextVar[Any], own_names: frozenset[str], message: str, /) -> None: ...

class RequestProxy: ...

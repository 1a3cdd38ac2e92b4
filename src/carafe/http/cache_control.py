"""``Cache-Control`` (RFC 9111 section 5.2) as a dict of directives with typed
attributes: ``cc.max_age`` is an int, ``cc.no_store`` a bool, ``cc.private`` True
or the field names it was given.

:class:`RequestCacheControl` is what a request sent (read-only);
:class:`ResponseCacheControl` is a response's, whose changes the response writes
back to its header. Werkzeug's classes and semantics (3.1): a directive whose
value does not convert reads as None, setting False or None removes a valued
directive, and dashes in directive names are underscores in attribute names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, Literal, NoReturn, TypeVar, overload

from carafe.http.header_lists import CallbackDict, dump_header, parse_dict_header

__all__ = [
    "CacheControl",
    "RequestCacheControl",
    "ResponseCacheControl",
    "cache_control_property",
]

T = TypeVar("T")
C = TypeVar("C", bound="CacheControl")


class _Directive(Generic[T]):
    """One directive as an attribute of a :class:`CacheControl`.

    :param key: the directive's name in the header (``max-age``).
    :param empty: the value read when the directive is there without a value.
    :param kind: ``bool`` (the directive is there or not), ``int``, or None (text).
    """

    def __init__(self, key: str, empty: Any, kind: type | None, doc: str | None = None) -> None:
        self.key = key
        self.empty = empty
        self.kind = kind
        if doc is None:
            doc = f"The ``{key}`` directive" + (
                ": whether it is there." if kind is bool else " (None when it is not there)."
            )
        self.__doc__ = doc

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> _Directive[T]: ...
    @overload
    def __get__(self, instance: CacheControl, owner: type[Any]) -> T: ...
    def __get__(self, instance: CacheControl | None, owner: type[Any]) -> Any:
        if instance is None:
            return self
        return instance._get_cache_value(self.key, self.empty, self.kind)

    def __set__(self, instance: CacheControl, value: Any) -> None:
        instance._set_cache_value(self.key, value, self.kind)

    def __delete__(self, instance: CacheControl) -> None:
        instance._del_cache_value(self.key)


def cache_control_property(
    key: str, empty: Any, type: type | None, *, doc: str | None = None
) -> Any:
    """An attribute for directive ``key`` on a :class:`CacheControl` subclass (for a
    cache extension), as Werkzeug's ``cache_control_property``.

    :param empty: the value read when the directive has no value.
    :param type: ``bool``, ``int`` or None (text); a value that does not convert
        reads as None.
    """
    return _Directive[Any](key, empty, type, doc)


class CacheControl(CallbackDict[str, "str | None"]):
    """The directives of a ``Cache-Control`` header, by name (``"max-age"``), with
    the directives requests and responses share as attributes.

    :param values: the directives and their values (None for a bare directive).
    :param on_update: called with this object after every change.
    """

    no_store: _Directive[bool] = _Directive("no-store", None, bool)
    max_age: _Directive[int | None] = _Directive("max-age", None, int)
    no_transform: _Directive[bool] = _Directive("no-transform", None, bool)
    stale_if_error: _Directive[int | None] = _Directive("stale-if-error", None, int)

    #: Werkzeug's name for :func:`cache_control_property`, to declare extensions.
    cache_property = staticmethod(cache_control_property)

    def __init__(
        self,
        values: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = (),
        on_update: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(values, on_update)
        #: False when built from no header at all (``values=None``).
        self.provided = values is not None

    @classmethod
    def from_header(
        cls: type[C], value: str | None, on_update: Callable[[Any], None] | None = None
    ) -> C:
        """Parse a header value (None or empty: no directives)."""
        return cls(parse_dict_header(value) if value else (), on_update)

    def _get_cache_value(self, key: str, empty: Any, kind: type | None) -> Any:
        """A directive's value as its attribute reads it."""
        if kind is bool:
            return key in self
        if key not in self:
            return None
        value = self[key]
        if value is None:
            return empty
        if kind is not None:
            try:
                return kind(value)
            except ValueError:
                return None
        return value

    def _set_cache_value(self, key: str, value: Any, kind: type | None) -> None:
        """Set a directive as its attribute does."""
        if kind is bool:
            if value:
                self[key] = None
            else:
                self.pop(key, None)
        elif value is None or value is False:
            self.pop(key, None)
        elif value is True:
            self[key] = None
        else:
            self[key] = str(kind(value) if kind is not None else value)

    def _del_cache_value(self, key: str) -> None:
        """Remove a directive."""
        if key in self:
            del self[key]

    def to_header(self) -> str:
        """The header value (``no-cache, max-age=60``)."""
        return dump_header(self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        directives = " ".join(f"{key}={value!r}" for key, value in sorted(self.items()))
        return f"<{type(self).__name__} {directives}>"


class RequestCacheControl(CacheControl):
    """The ``Cache-Control`` a request sent: read-only (changing it is a ``TypeError``),
    with the request directives as attributes."""

    no_cache: _Directive[bool] = _Directive("no-cache", None, bool)
    max_stale: _Directive[int | Literal[True] | None] = _Directive("max-stale", True, int)
    min_fresh: _Directive[int | None] = _Directive("min-fresh", None, int)
    only_if_cached: _Directive[bool] = _Directive("only-if-cached", None, bool)

    def _immutable(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(f"{type(self).__name__!r} objects are immutable")

    __setitem__ = __delitem__ = __ior__ = _immutable
    clear = pop = popitem = setdefault = update = _immutable

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))


class ResponseCacheControl(CacheControl):
    """A response's ``Cache-Control``, with the response directives as attributes;
    ``response.cache_control`` writes every change back to the header."""

    no_cache: _Directive[str | Literal[True] | None] = _Directive("no-cache", True, None)
    public: _Directive[bool] = _Directive("public", None, bool)
    private: _Directive[str | Literal[True] | None] = _Directive("private", True, None)
    must_revalidate: _Directive[bool] = _Directive("must-revalidate", None, bool)
    proxy_revalidate: _Directive[bool] = _Directive("proxy-revalidate", None, bool)
    s_maxage: _Directive[int | None] = _Directive("s-maxage", None, int)
    immutable: _Directive[bool] = _Directive("immutable", None, bool)
    must_understand: _Directive[bool] = _Directive("must-understand", None, bool)
    stale_while_revalidate: _Directive[int | None] = _Directive(
        "stale-while-revalidate", None, int
    )

"""The request headers of a WSGI environ, as a read-only :class:`Headers`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NoReturn

from carafe.http._compiled import mypyc_attr
from carafe.http.caches import remember
from carafe.http.headers import Headers

__all__ = ["EnvironHeaders"]

_ENVIRON_KEYS: dict[str, str] = {}
_ENVIRON_KEYS_MAX = 1024


def _environ_key(name: str) -> str:
    wsgi_name = name.upper().replace("-", "_")
    if wsgi_name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        wsgi_name = "HTTP_" + wsgi_name
    # Capped: the names looked up may come from client input.
    return remember(_ENVIRON_KEYS, name, wsgi_name, _ENVIRON_KEYS_MAX)


@mypyc_attr(allow_interpreted_subclasses=True)
class EnvironHeaders(Headers):
    """A read-only :class:`Headers` view of the request headers in a WSGI environ.

    Reads go straight to the environ (``get("X-Foo")`` looks up ``HTTP_X_FOO``);
    iteration yields Title-Cased names as Werkzeug spells them. Every mutator
    raises :exc:`TypeError`; :meth:`copy` returns a mutable :class:`Headers`.
    """

    __slots__ = ("environ",)

    def __init__(self, environ: Mapping[str, Any]) -> None:
        self.environ = environ

    def _first(self, key: str) -> str:
        if not isinstance(key, str):
            raise self.missing_key_error(key)
        # PERF: one dict lookup, no iteration over the environ; the environ key
        # for a header name is computed once.
        environ_key = _ENVIRON_KEYS.get(key)
        if environ_key is None:
            environ_key = _environ_key(key)
        value = self.environ.get(environ_key)
        if value is None:
            raise self.missing_key_error(key)
        return value  # type: ignore[no-any-return]

    def __getitem__(self, key: str | int | slice) -> Any:
        if isinstance(key, str):
            return self._first(key)
        if isinstance(key, int):
            return self.to_wsgi_list()[key]
        if isinstance(key, slice):
            return Headers._trusted(self.to_wsgi_list()[key])
        raise self.missing_key_error(key)

    def getlist(self, key: str, type: Callable[[str], Any] | None = None) -> list[Any]:
        """Return the value for ``key`` as a one-item list (empty if absent).

        A WSGI server folds repeated request headers into one value. Unlike
        Werkzeug (which iterates), ``_`` and ``-`` are equivalent here, as for
        :meth:`get`.
        """
        try:
            value = self._first(key)
        except KeyError:
            return []
        if not value:
            # An empty CONTENT_TYPE or CONTENT_LENGTH is not a header (nor is it
            # listed by iteration).
            return []
        if type is None:
            return [value]
        try:
            return [type(value)]
        except ValueError:
            return []

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            self._first(key)
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for key, value in self.environ.items():
            if key.startswith("HTTP_"):
                if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                    yield key[5:].replace("_", "-").title(), value
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                yield key.replace("_", "-").title(), value

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:
        return any(True for _ in self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EnvironHeaders):
            return NotImplemented
        return self.environ is other.environ

    __hash__ = None

    def keys(self, lower: bool = False) -> list[str]:
        """Return the header names, lower-cased if ``lower``."""
        return [name.lower() if lower else name for name, _ in self]

    def values(self) -> list[str]:
        """Return the header values."""
        return [value for _, value in self]

    def items(self, lower: bool = False) -> list[tuple[str, str]]:
        """Return the ``(name, value)`` pairs, names lower-cased if ``lower``."""
        if lower:
            return [(name.lower(), value) for name, value in self]
        return list(self)

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """Return the headers as a new list of pairs."""
        return list(self)

    def copy(self) -> Headers:
        """Return a mutable :class:`Headers` holding these headers."""
        return Headers._trusted(list(self))

    def __str__(self) -> str:
        return str(self.copy())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"

    def _read_only(self) -> NoReturn:
        raise TypeError(f"{type(self).__name__!r} objects are immutable")

    # Every write is a TypeError: a method each (not aliases, which compiled classes
    # cannot have).

    def add(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._read_only()

    def add_header(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._read_only()

    def set(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._read_only()

    def setlist(self, *args: Any) -> NoReturn:
        self._read_only()

    def setdefault(self, *args: Any) -> NoReturn:
        self._read_only()

    def setlistdefault(self, *args: Any) -> NoReturn:
        self._read_only()

    def extend(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._read_only()

    def update(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._read_only()

    def remove(self, *args: Any) -> NoReturn:
        self._read_only()

    def pop(self, *args: Any) -> NoReturn:
        self._read_only()

    def popitem(self, *args: Any) -> NoReturn:
        self._read_only()

    def clear(self) -> NoReturn:
        self._read_only()

    def __setitem__(self, key: Any, value: Any) -> NoReturn:
        self._read_only()

    def __delitem__(self, key: Any) -> NoReturn:
        self._read_only()

    def __ior__(self, other: Any) -> NoReturn:
        self._read_only()

    def __or__(self, other: Any) -> NoReturn:
        self._read_only()

"""The HTTP header collection.

:class:`Headers` is the ordered, case-insensitive, multi-valued collection a
response carries, with Werkzeug's ``Headers`` API, which is what Flask code is
written against. The read-only view of a WSGI environ's request headers is
:class:`carafe.http.environ_headers.EnvironHeaders`; the syntax inside header values
(quoting, ``key=value; ...`` options, mimetypes) is :mod:`carafe.http.header_values`,
whose functions are importable from here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar, TypeVar, Union, overload

from carafe.http._compiled import mypyc_attr
from carafe.http.caches import remember
from carafe.http.header_values import (
    dump_options_header,
    is_json_mimetype,
    mimetype_of,
    parse_options_header,
    quote_header_value,
    unquote_header_value,
)

__all__ = [
    "Headers",
    "dump_options_header",
    "is_json_mimetype",
    "mimetype_of",
    "parse_options_header",
    "quote_header_value",
    "unquote_header_value",
]

T = TypeVar("T")

#: What the constructor, :meth:`Headers.extend` and :meth:`Headers.update` accept.
HeadersInput = Union[
    "Headers",
    Mapping[str, Any],
    Iterable[tuple[str, Any]],
]

# RFC 9110 section 5.6.2: token = 1*tchar.
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

# PERF: names already found valid, each with its lower-case form: checking a name
# is one dict lookup, and the response writers find a name's lower case without a
# call. Header names come from application code, so the dict stays small; it is
# still capped in case an application echoes client-chosen names.
KNOWN_NAMES: dict[str, str] = {
    name: name.lower()
    for name in (
        "Cache-Control",
        "Content-Disposition",
        "Content-Encoding",
        "Content-Length",
        "Content-Type",
        "ETag",
        "Last-Modified",
        "Location",
        "Set-Cookie",
        "Vary",
    )
}
_KNOWN_NAMES_MAX = 1024

_missing: Any = object()


def _check_name(name: str) -> str:
    # SECURITY: only RFC 9110 tokens may be header names. This rules out CR, LF,
    # NUL, ':' and whitespace, so a name can never inject another header line.
    if name in KNOWN_NAMES:
        return name
    if not isinstance(name, str):
        raise TypeError(f"Header names must be str, not {type(name).__name__}.")
    if _TOKEN_RE.fullmatch(name) is None:
        raise ValueError(f"Invalid header name {name!r}: header names must be RFC 9110 tokens.")
    remember(KNOWN_NAMES, name, name.lower(), _KNOWN_NAMES_MAX)
    return name


# PERF: short values already found valid (content types, fixed CORS values, ...), so
# checking one again is a set lookup instead of three substring searches. Capped,
# as values may echo what clients send.
_VALID_VALUES: dict[str, bool] = {}
_VALID_VALUES_MAX = 1024
_VALID_VALUE_LENGTH = 64


def _check_value(value: Any) -> str:
    if value.__class__ is not str:
        value = str(value)
    # SECURITY: CR and LF would end the header line and let the value inject
    # headers or a body (response splitting); NUL is rejected by servers.
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError(
            f"Invalid header value {value!r}: header values must not contain"
            " CR, LF or NUL characters."
        )
    if len(value) <= _VALID_VALUE_LENGTH:
        remember(_VALID_VALUES, value, True, _VALID_VALUES_MAX)
    return value  # type: ignore[no-any-return]


def _with_params(value: Any, params: dict[str, Any]) -> str:
    return dump_options_header(str(value), {k.replace("_", "-"): v for k, v in params.items()})


def _iter_pairs(arg: Any) -> Iterator[tuple[str, Any]]:
    """Yield ``(name, value)`` pairs from headers, a multi-dict, a mapping or pairs."""
    if isinstance(arg, Headers):
        yield from arg.items()
    elif isinstance(arg, Mapping):
        if hasattr(arg, "getlist"):
            # A MultiDict: every value of every key.
            for key in arg:
                for item in arg.getlist(key):
                    yield key, item
            return
        for key, value in arg.items():
            if isinstance(value, (list, tuple, set)):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        for key, value in arg:
            yield key, value


@mypyc_attr(allow_interpreted_subclasses=True)
class Headers:
    """An ordered, case-insensitive, multi-valued collection of HTTP headers.

    Mirrors Werkzeug's ``Headers``: ``headers["Name"]`` gives the first value,
    iteration yields ``(name, value)`` tuples in order, :meth:`add` appends and
    :meth:`set` replaces. Every name and value is validated on the way in: names
    must be RFC 9110 tokens and values must not contain CR, LF or NUL
    (:exc:`ValueError` otherwise). Values that are not strings are converted with
    :func:`str`.

    :param defaults: a mapping (list or tuple values give several headers),
        another :class:`Headers`, or an iterable of ``(name, value)`` pairs.
    """

    __slots__ = ("_list",)

    #: Raised for a missing key; the framework swaps in a 400 ``BadRequestKeyError``.
    missing_key_error: ClassVar[type[KeyError]] = KeyError

    _list: list[tuple[str, str]]

    def __init__(self, defaults: HeadersInput | None = None) -> None:
        if defaults is None:
            # PERF: the common case, a fresh empty collection, does nothing else.
            self._list = []
        elif isinstance(defaults, Headers):
            # PERF: another Headers is already validated.
            self._list = list(defaults.items())
        else:
            self._list = []
            self.extend(defaults)

    @classmethod
    def _trusted(cls, pairs: list[tuple[str, str]]) -> Headers:
        """Adopt ``pairs`` as storage without copying or validating them.

        Only for header lists the framework built itself and knows to be valid.
        """
        # PERF: skips __init__ and validation for pre-built header lists.
        headers = cls.__new__(cls)
        headers._list = pairs
        return headers

    # -- reading -----------------------------------------------------------

    def _first(self, key: str) -> str:
        ikey = key.lower()
        for name, value in self._list:
            if name.lower() == ikey:
                return value
        raise self.missing_key_error(key)

    @overload
    def __getitem__(self, key: str) -> str: ...
    @overload
    def __getitem__(self, key: int) -> tuple[str, str]: ...
    @overload
    def __getitem__(self, key: slice) -> Headers: ...
    def __getitem__(self, key: str | int | slice) -> str | tuple[str, str] | Headers:
        """Return the first value of a name, the pair at an index, or a slice."""
        if isinstance(key, str):
            return self._first(key)
        if isinstance(key, int):
            return self._list[key]
        if isinstance(key, slice):
            return self.__class__._trusted(self._list[key])
        raise self.missing_key_error(key)

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str) -> str: ...
    @overload
    def get(self, key: str, default: T) -> str | T: ...
    @overload
    def get(self, key: str, *, type: Callable[[str], T]) -> T | None: ...
    @overload
    def get(self, key: str, default: T, type: Callable[[str], T]) -> T: ...
    def get(self, key: str, default: Any = None, type: Callable[[str], Any] | None = None) -> Any:
        """Return the first value for ``key``, or ``default`` if there is none.

        :param type: a callable converting the value; if it raises
            :exc:`ValueError`, ``default`` is returned instead.
        """
        try:
            value = self._first(key)
        except KeyError:
            return default
        if type is None:
            return value
        try:
            return type(value)
        except ValueError:
            return default

    @overload
    def getlist(self, key: str) -> list[str]: ...
    @overload
    def getlist(self, key: str, type: Callable[[str], T]) -> list[T]: ...
    def getlist(self, key: str, type: Callable[[str], Any] | None = None) -> list[Any]:
        """Return every value for ``key`` in order (an empty list if none).

        :param type: a callable converting each value; values for which it
            raises :exc:`ValueError` are left out.
        """
        ikey = key.lower()
        values = [value for name, value in self._list if name.lower() == ikey]
        if type is None:
            return values
        converted = []
        for value in values:
            try:
                converted.append(type(value))
            except ValueError:  # noqa: PERF203 - each value may fail on its own
                continue
        return converted

    def get_all(self, name: str) -> list[str]:
        """Alias of :meth:`getlist`, as in :mod:`wsgiref.headers`."""
        return self.getlist(name)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        ikey = key.lower()
        # PERF: a plain loop; any() over a generator costs a frame per header.
        for name, _ in self._list:  # noqa: SIM110
            if name.lower() == ikey:
                return True
        return False

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """Yield ``(name, value)`` tuples in order, as Werkzeug does."""
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def __bool__(self) -> bool:
        return bool(self._list)

    def __eq__(self, other: object) -> bool:
        # Werkzeug compares the sets of (lower-cased name, value) pairs.
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Headers)
        return {(k.lower(), v) for k, v in other.items()} == {
            (k.lower(), v) for k, v in self.items()
        }

    __hash__ = None  # type: ignore[assignment]

    def keys(self, lower: bool = False) -> list[str]:
        """Return the header names in order, lower-cased if ``lower``."""
        if lower:
            return [name.lower() for name, _ in self._list]
        return [name for name, _ in self._list]

    def values(self) -> list[str]:
        """Return the header values in order."""
        return [value for _, value in self._list]

    def items(self, lower: bool = False) -> list[tuple[str, str]]:
        """Return the ``(name, value)`` pairs in order, names lower-cased if ``lower``."""
        if lower:
            return [(name.lower(), value) for name, value in self._list]
        return list(self._list)

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """Return the storage list itself, ready for ``start_response``."""
        # PERF: no copy; the response hands this list straight to the server.
        return self._list

    def copy(self) -> Headers:
        """Return a shallow copy."""
        return self.__class__._trusted(list(self._list))

    def __copy__(self) -> Headers:
        return self.copy()

    def __str__(self) -> str:
        """Return the header block: ``Name: value`` lines, CRLF separated, then a blank line."""
        lines = [f"{name}: {value}" for name, value in self._list]
        lines.append("\r\n")
        return "\r\n".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._list!r})"

    # -- writing -----------------------------------------------------------

    def add(self, key: str, value: Any, /, **params: Any) -> None:
        """Append a header; keyword arguments become ``; key=value`` parameters.

        Underscores in parameter names become dashes, values are quoted when
        needed and ``None`` values are skipped.
        """
        if params:
            value = _with_params(value, params)
        self._list.append((_check_name(key), _check_value(value)))

    def add_header(self, key: str, value: Any, /, **params: Any) -> None:
        """Alias of :meth:`add`, as in :mod:`wsgiref.headers`."""
        self.add(key, value, **params)

    def set(self, key: str, value: Any, /, **params: Any) -> None:
        """Replace the first header named ``key`` in place and drop the others.

        The header is appended if there is none yet. Parameters work as in :meth:`add`.
        """
        if params:
            value = _with_params(value, params)
        if not isinstance(key, str):
            _check_name(key)  # a TypeError, not the int or slice meaning of headers[...]
        self[key] = value

    def __setitem__(self, key: str | int | slice, value: Any) -> None:
        """``headers[name] = value`` is :meth:`set`; an int or slice replaces pairs."""
        if key.__class__ is not str:
            self._set_other(key, value)
            return
        # PERF: this is set() itself, as one frame (views set headers this way):
        # known names and plain str values are checked inline, without calls.
        if key not in KNOWN_NAMES:
            _check_name(key)
        if value.__class__ is not str or value not in _VALID_VALUES:
            value = _check_value(value)
        pair = (key, value)
        items = self._list
        lower_of = KNOWN_NAMES
        try:
            # PERF: validated names are compared by their remembered lower case,
            # with no call per header; one pass finds the header and any repeat.
            ikey = lower_of[key]
            found = -1
            index = 0
            for name, _ in items:
                if name == key or lower_of[name] == ikey:
                    if found >= 0:
                        break
                    found = index
                index += 1  # noqa: SIM113 (PERF: no enumerate object per call)
            else:
                if found < 0:
                    items.append(pair)
                else:
                    items[found] = pair
                return
        except KeyError:
            pass  # a name not remembered (past the cap, or built without validation)
        self._replace(pair)

    def _replace(self, pair: tuple[str, str]) -> None:
        """Put ``pair`` in place of the first header of its name; drop the others."""
        items = self._list
        ikey = pair[0].lower()
        matches = [index for index, (name, _) in enumerate(items) if name.lower() == ikey]
        if not matches:
            items.append(pair)
            return
        items[matches[0]] = pair
        for index in reversed(matches[1:]):
            del items[index]

    def _set_other(self, key: str | int | slice, value: Any) -> None:
        """``headers[key] = value`` for a str subclass, an int or a slice."""
        if isinstance(key, str):
            self[str(key)] = value
        elif isinstance(key, int):
            name, item = value
            self._list[key] = (_check_name(name), _check_value(item))
        else:
            self._list[key] = [(_check_name(k), _check_value(v)) for k, v in value]

    def setlist(self, key: str, values: Iterable[Any]) -> None:
        """Replace all headers named ``key`` with one header per value."""
        values = list(values)
        if not values:
            self.remove(key)
            return
        checked = [_check_value(value) for value in values]
        self.set(key, checked[0])
        name = _check_name(key)
        self._list.extend((name, value) for value in checked[1:])

    def setdefault(self, key: str, default: Any) -> str:
        """Return the first value for ``key``, setting it to ``default`` if absent."""
        try:
            return self._first(key)
        except KeyError:
            pass
        value = _check_value(default)
        self._list.append((_check_name(key), value))
        return value

    def setlistdefault(self, key: str, default: Iterable[Any]) -> list[str]:
        """Return the values for ``key``, setting them to ``default`` if absent."""
        if key not in self:
            self.setlist(key, default)
        return self.getlist(key)

    def extend(self, arg: HeadersInput | None = None, /, **kwargs: Any) -> None:
        """Add every header from ``arg`` and ``kwargs``, keeping existing ones."""
        new: list[tuple[str, str]] = []
        if arg.__class__ is dict and not kwargs:
            # PERF: the common `Headers({...})` with plain string values; known
            # names and clean str values are checked inline, without calls.
            for key, value in arg.items():
                if key not in KNOWN_NAMES:
                    _check_name(key)
                if value.__class__ is str:
                    if value not in _VALID_VALUES:
                        _check_value(value)
                    new.append((key, value))
                elif isinstance(value, (list, tuple, set)):
                    new.extend((key, _check_value(item)) for item in value)
                else:
                    new.append((key, _check_value(value)))
            self._list.extend(new)
            return
        if arg is not None:
            new.extend((_check_name(k), _check_value(v)) for k, v in _iter_pairs(arg))
        if kwargs:
            new.extend((_check_name(k), _check_value(v)) for k, v in _iter_pairs(kwargs))
        # Validate everything before changing anything.
        self._list.extend(new)

    def update(self, arg: HeadersInput | None = None, /, **kwargs: Any) -> None:
        """Replace headers with those from ``arg`` and ``kwargs`` (as Werkzeug's ``update``).

        For each name given, the existing headers of that name are replaced;
        list, tuple and set values give several headers.
        """
        if arg is not None:
            if isinstance(arg, Headers) or (isinstance(arg, Mapping) and hasattr(arg, "getlist")):
                for key in dict.fromkeys(arg.keys()):
                    self.setlist(key, arg.getlist(key))
            elif isinstance(arg, Mapping):
                self._update_mapping(arg)
            else:
                for key, value in arg:
                    self.set(key, value)
        if kwargs:
            self._update_mapping(kwargs)

    def _update_mapping(self, mapping: Mapping[str, Any]) -> None:
        for key, value in mapping.items():
            if isinstance(value, (list, tuple, set)):
                self.setlist(key, value)
            else:
                self.set(key, value)

    def __or__(self, other: Mapping[str, Any]) -> Headers:
        if not isinstance(other, Mapping):
            return NotImplemented
        merged = self.copy()
        merged.update(other)
        return merged

    def __ior__(self, other: HeadersInput) -> Headers:
        if not isinstance(other, (Mapping, Iterable)):
            return NotImplemented
        self.update(other)
        return self

    def __delitem__(self, key: str | int | slice) -> None:
        """Remove every header of a name (no error if absent), or by index/slice."""
        if isinstance(key, str):
            self.remove(key)
        else:
            del self._list[key]

    def remove(self, key: str) -> None:
        """Remove every header named ``key``; nothing happens if there is none."""
        ikey = key.lower()
        self._list[:] = [item for item in self._list if item[0].lower() != ikey]

    def pop(self, key: str | int | None = None, default: Any = _missing) -> Any:
        """Remove and return a value by name, or a pair by index (last if ``None``).

        For a name, every header of that name is removed and the first value is
        returned; a missing name returns ``default`` or raises :exc:`KeyError`.
        """
        if key is None:
            return self._list.pop()
        if isinstance(key, int):
            return self._list.pop(key)
        try:
            value = self._first(key)
        except KeyError:
            if default is not _missing:
                return default
            raise
        self.remove(key)
        return value

    def popitem(self) -> tuple[str, str]:
        """Remove and return the last ``(name, value)`` pair."""
        return self._list.pop()

    def clear(self) -> None:
        """Remove every header."""
        self._list.clear()

"""Multi-value dicts for query strings and forms, and uploaded files.

:class:`MultiDict` is what ``request.args`` and ``request.form`` are built on: a
``dict`` mapping each key to a list of values whose item access returns the
first value, with Werkzeug's ``MultiDict`` API. :class:`FileStorage` wraps an
uploaded file as Werkzeug's does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from io import BytesIO
from os import PathLike, fsdecode, fspath
from typing import IO, Any, ClassVar, Generic, NoReturn, TypeVar, Union, overload

from .headers import Headers, parse_options_header

__all__ = ["CombinedMultiDict", "FileStorage", "ImmutableMultiDict", "MultiDict"]

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")
MD = TypeVar("MD", bound="MultiDict[Any, Any]")

#: What the :class:`MultiDict` constructor and :meth:`MultiDict.update` accept.
MultiDictInput = Union[
    "MultiDict[K, V]",
    Mapping[K, Any],
    Iterable[tuple[K, V]],
]

_missing: Any = object()


def _iter_multi_items(mapping: Any) -> Iterator[tuple[Any, Any]]:
    """Yield every ``(key, value)`` pair; list, tuple and set mapping values expand."""
    if isinstance(mapping, MultiDict):
        yield from mapping.items(multi=True)
    elif isinstance(mapping, Mapping):
        for key, value in mapping.items():
            if isinstance(value, (list, tuple, set)):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from mapping


class MultiDict(dict[K, list[V]]):
    """A ``dict`` of lists whose item access returns the first value of a key.

    Mirrors Werkzeug's ``MultiDict``: ``md[key]`` is the first value,
    :meth:`getlist` all of them, :meth:`add` appends and :meth:`update` extends.
    The constructor takes a :class:`MultiDict`, a mapping (list, tuple and set
    values expand; empty ones are skipped) or an iterable of ``(key, value)`` pairs.
    """

    __slots__ = ()

    #: Raised for a missing key; the framework swaps in a 400 ``BadRequestKeyError``.
    missing_key_error: ClassVar[type[KeyError]] = KeyError

    @overload
    def __init__(self, mapping: None = None) -> None: ...
    @overload
    def __init__(self, mapping: MultiDict[K, V]) -> None: ...
    @overload
    def __init__(self, mapping: Mapping[K, V | list[V] | tuple[V, ...] | set[V]]) -> None: ...
    @overload
    def __init__(self, mapping: Iterable[tuple[K, V]]) -> None: ...
    def __init__(self, mapping: MultiDictInput[K, V] | None = None) -> None:
        if mapping is None:
            super().__init__()
        elif isinstance(mapping, MultiDict):
            super().__init__((key, list(values)) for key, values in dict.items(mapping))
        elif isinstance(mapping, Mapping):
            lists: dict[K, list[V]] = {}
            for key, value in mapping.items():
                if isinstance(value, (list, tuple, set)):
                    if value:
                        lists[key] = list(value)
                else:
                    lists[key] = [value]
            super().__init__(lists)
        else:
            super().__init__(group_pairs(mapping))

    @classmethod
    def _from_pairs(cls: type[MD], pairs: Iterable[tuple[Any, Any]]) -> MD:
        """Build from ``(key, value)`` pairs without the constructor's type checks."""
        # PERF: the parsers already hand over a list of pairs.
        instance = cls.__new__(cls)
        dict.update(instance, group_pairs(pairs))
        return instance

    @classmethod
    def _from_lists(cls: type[MD], lists: dict[Any, list[Any]]) -> MD:
        """Adopt ``lists`` (key to non-empty list of values) without type checks."""
        # PERF: the parsers already hand over grouped values.
        instance = cls.__new__(cls)
        dict.update(instance, lists)
        return instance

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return type(self), (list(self.items(multi=True)),)

    def __iter__(self) -> Iterator[K]:
        # Overriding __iter__ makes dict(md) go through keys() and __getitem__
        # (first values), as with Werkzeug, instead of copying the lists.
        return dict.__iter__(self)

    def __getitem__(self, key: K) -> V:  # type: ignore[override]
        """Return the first value for ``key``; raise :attr:`missing_key_error` if none."""
        values = dict.get(self, key)
        if values:
            return values[0]
        raise self.missing_key_error(key)

    def __setitem__(self, key: K, value: V) -> None:  # type: ignore[override]
        """Set ``key`` to the single value ``value``, dropping any others."""
        dict.__setitem__(self, key, [value])

    @overload  # type: ignore[override]
    def get(self, key: K) -> V | None: ...
    @overload
    def get(self, key: K, default: V) -> V: ...
    @overload
    def get(self, key: K, default: T) -> V | T: ...
    @overload
    def get(self, key: K, *, type: Callable[[V], T]) -> T | None: ...
    @overload
    def get(self, key: K, default: T, type: Callable[[V], T]) -> T: ...
    def get(self, key: K, default: Any = None, type: Callable[[V], Any] | None = None) -> Any:
        """Return the first value for ``key``, or ``default``.

        :param type: a callable converting the value; if it raises
            :exc:`ValueError` or :exc:`TypeError`, ``default`` is returned.
        """
        values = dict.get(self, key)
        if not values:
            return default
        if type is None:
            return values[0]
        try:
            return type(values[0])
        except (ValueError, TypeError):
            return default

    @overload
    def getlist(self, key: K) -> list[V]: ...
    @overload
    def getlist(self, key: K, type: Callable[[V], T]) -> list[T]: ...
    def getlist(self, key: K, type: Callable[[V], Any] | None = None) -> list[Any]:
        """Return a new list of every value for ``key`` (empty if none).

        :param type: a callable converting each value; values for which it
            raises :exc:`ValueError` or :exc:`TypeError` are left out.
        """
        values = dict.get(self, key)
        if values is None:
            return []
        if type is None:
            return list(values)
        converted = []
        for value in values:
            try:
                converted.append(type(value))
            except (ValueError, TypeError):  # noqa: PERF203 - each value may fail on its own
                continue
        return converted

    def add(self, key: K, value: V) -> None:
        """Append ``value`` to the values of ``key``."""
        dict.setdefault(self, key, []).append(value)

    def setlist(self, key: K, new_list: Iterable[V]) -> None:
        """Replace the values of ``key`` with a copy of ``new_list``."""
        dict.__setitem__(self, key, list(new_list))

    def setdefault(self, key: K, default: V | None = None) -> V:  # type: ignore[override]
        """Return the first value for ``key``, setting it to ``default`` if absent."""
        if key not in self:
            self[key] = default  # type: ignore[assignment]
        return self[key]

    def setlistdefault(self, key: K, default_list: Iterable[V] | None = None) -> list[V]:
        """Return the live list of values for ``key``, setting it from ``default_list``."""
        if key not in self:
            dict.__setitem__(self, key, list(default_list or ()))
        return dict.__getitem__(self, key)

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        """Yield ``(key, first value)`` pairs, or every pair if ``multi``."""
        for key, values in dict.items(self):
            if multi:
                for value in values:
                    yield key, value
            elif values:
                yield key, values[0]

    def lists(self) -> Iterator[tuple[K, list[V]]]:
        """Yield ``(key, list of values)`` pairs; the lists are copies."""
        for key, values in dict.items(self):
            yield key, list(values)

    def values(self) -> Iterator[V]:  # type: ignore[override]
        """Yield the first value of each key."""
        for values in dict.values(self):
            if values:
                yield values[0]

    def listvalues(self) -> Iterator[list[V]]:
        """Yield the list of values of each key."""
        return iter(dict.values(self))

    def copy(self) -> MultiDict[K, V]:
        """Return a shallow copy."""
        return self.__class__(self)

    def deepcopy(self, memo: Any = None) -> MultiDict[K, V]:
        """Return a deep copy."""
        from copy import deepcopy  # Start-up: copy loads on first use.

        return self.__class__(deepcopy(self.to_dict(flat=False), memo))

    def __copy__(self) -> MultiDict[K, V]:
        return self.copy()

    def __deepcopy__(self, memo: Any) -> MultiDict[K, V]:
        return self.deepcopy(memo=memo)

    @overload
    def to_dict(self) -> dict[K, V]: ...
    @overload
    def to_dict(self, flat: bool) -> dict[K, Any]: ...
    def to_dict(self, flat: bool = True) -> dict[K, Any]:
        """Return a plain dict of first values, or of value lists if not ``flat``."""
        if flat:
            return dict(self.items())
        return dict(self.lists())

    def update(self, mapping: MultiDictInput[K, V] = (), /, **kwargs: V) -> None:  # type: ignore[override]
        """Add the values from ``mapping`` (and ``kwargs``), extending existing keys."""
        for key, value in _iter_multi_items(mapping):
            self.add(key, value)
        for key, value in kwargs.items():
            self.add(key, value)  # type: ignore[arg-type]

    def __or__(self, other: Mapping[K, Any]) -> MultiDict[K, V]:  # type: ignore[override]
        if not isinstance(other, Mapping):
            return NotImplemented
        merged = self.copy()
        merged.update(other)
        return merged

    def __ior__(self, other: MultiDictInput[K, V]) -> MultiDict[K, V]:  # type: ignore[override]
        if not isinstance(other, (Mapping, Iterable)):
            return NotImplemented
        self.update(other)
        return self

    def pop(self, key: K, default: Any = _missing) -> Any:
        """Remove ``key`` and return its first value (or ``default`` if absent)."""
        values = dict.pop(self, key, None)
        if values:
            return values[0]
        if default is not _missing:
            return default
        raise self.missing_key_error(key)

    def popitem(self) -> tuple[K, V]:  # type: ignore[override]
        """Remove a key and return it with its first value."""
        try:
            key, values = dict.popitem(self)
        except KeyError as exc:
            raise self.missing_key_error(*exc.args) from None
        if not values:
            raise self.missing_key_error(key)
        return key, values[0]

    def poplist(self, key: K) -> list[V]:
        """Remove ``key`` and return its list of values (empty if absent)."""
        return dict.pop(self, key, [])

    def popitemlist(self) -> tuple[K, list[V]]:
        """Remove a key and return it with its list of values."""
        try:
            return dict.popitem(self)
        except KeyError as exc:
            raise self.missing_key_error(*exc.args) from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"


def group_pairs(pairs: Iterable[tuple[K, V]]) -> dict[K, list[V]]:
    """Each key of ``(key, value)`` pairs with its values, in order."""
    lists: dict[K, list[V]] = {}
    for key, value in pairs:
        values = lists.get(key)
        if values is None:
            lists[key] = [value]
        else:
            values.append(value)
    return lists


class ImmutableMultiDict(MultiDict[K, V]):
    """A read-only :class:`MultiDict` (``request.args``, ``request.form``).

    Every mutator raises :exc:`TypeError`; :meth:`copy` returns a mutable
    :class:`MultiDict`. Hashable, as Werkzeug's is.
    """

    __slots__ = ()

    def _immutable(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(f"{type(self).__name__!r} objects are immutable")

    __setitem__ = __delitem__ = add = setlist = setdefault = setlistdefault = _immutable
    update = pop = popitem = poplist = popitemlist = clear = __ior__ = _immutable

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items(multi=True)))

    def copy(self) -> MultiDict[K, V]:
        """Return a mutable :class:`MultiDict` copy."""
        return MultiDict(self)

    def __copy__(self) -> ImmutableMultiDict[K, V]:
        # Immutable, so a copy can be the object itself.
        return self


class CombinedMultiDict(Generic[K, V]):
    """A read-only union of several :class:`MultiDict` objects (``request.values``).

    Lookups search the dicts in order, :meth:`getlist` concatenates, and a
    missing key raises the first dict's ``missing_key_error``.
    """

    __slots__ = ("dicts",)

    def __init__(self, dicts: Iterable[MultiDict[K, V]] | None = None) -> None:
        self.dicts: list[MultiDict[K, V]] = list(dicts or ())

    @property
    def missing_key_error(self) -> type[KeyError]:
        """The first dict's ``missing_key_error`` (``KeyError`` if there is none)."""
        return self.dicts[0].missing_key_error if self.dicts else KeyError

    def __getitem__(self, key: K) -> V:
        for mapping in self.dicts:
            if dict.get(mapping, key):
                return mapping[key]
        raise self.missing_key_error(key)

    @overload
    def get(self, key: K) -> V | None: ...
    @overload
    def get(self, key: K, default: V) -> V: ...
    @overload
    def get(self, key: K, default: T) -> V | T: ...
    @overload
    def get(self, key: K, *, type: Callable[[V], T]) -> T | None: ...
    @overload
    def get(self, key: K, default: T, type: Callable[[V], T]) -> T: ...
    def get(self, key: K, default: Any = None, type: Callable[[V], Any] | None = None) -> Any:
        """Return the first value for ``key`` found, or ``default``.

        With ``type``, a value that fails to convert is skipped and the search
        goes on in the next dicts, as in Werkzeug.
        """
        for mapping in self.dicts:
            values = dict.get(mapping, key)
            if not values:
                continue
            if type is None:
                return values[0]
            try:
                return type(values[0])
            except (ValueError, TypeError):
                continue
        return default

    def getlist(self, key: K, type: Callable[[V], Any] | None = None) -> list[Any]:
        """Return the values for ``key`` from every dict, in order."""
        values: list[Any] = []
        for mapping in self.dicts:
            values.extend(mapping.getlist(key, type))  # type: ignore[arg-type]
        return values

    def _keys(self) -> dict[K, None]:
        keys: dict[K, None] = {}
        for mapping in self.dicts:
            keys.update(dict.fromkeys(mapping))
        return keys

    def keys(self) -> list[K]:
        """Return the keys of all dicts, each once, in first-seen order."""
        return list(self._keys())

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __contains__(self, key: object) -> bool:
        return any(key in mapping for mapping in self.dicts)

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:
        """Yield ``(key, first value)`` pairs, or every pair if ``multi``."""
        seen: set[K] = set()
        for mapping in self.dicts:
            for key, value in mapping.items(multi):
                if multi:
                    yield key, value
                elif key not in seen:
                    seen.add(key)
                    yield key, value

    def values(self) -> Iterator[V]:
        """Yield the first value of each key."""
        for _, value in self.items():  # noqa: PERF102 - items() gives first values
            yield value

    def lists(self) -> list[tuple[K, list[V]]]:
        """Return ``(key, all values)`` pairs."""
        lists: dict[K, list[V]] = {}
        for mapping in self.dicts:
            for key, values in mapping.lists():
                lists.setdefault(key, []).extend(values)
        return list(lists.items())

    def listvalues(self) -> Iterator[list[V]]:
        """Yield the list of all values of each key."""
        return (values for _, values in self.lists())

    def to_dict(self, flat: bool = True) -> dict[K, Any]:
        """Return a plain dict of first values, or of value lists if not ``flat``."""
        if flat:
            return dict(self.items())
        return dict(self.lists())

    def copy(self) -> MultiDict[K, V]:
        """Return a mutable :class:`MultiDict` holding every value."""
        return MultiDict._from_pairs(self.items(multi=True))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CombinedMultiDict):
            return self.lists() == other.lists()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.dicts!r})"


class FileStorage:
    """An uploaded file, as in Werkzeug: the stream plus the part's metadata.

    Attribute access not defined here (``read``, ``readline``, ``seek``,
    ``tell``, ...) goes to the stream. ``bool(storage)`` is ``bool(filename)``.

    :param stream: the file contents; an empty ``BytesIO`` if ``None``.
    :param filename: the client's file name; taken from ``stream.name`` if ``None``.
    :param name: the form field name.
    :param content_type: sets the ``Content-Type`` header.
    :param content_length: sets the ``Content-Length`` header.
    :param headers: the part's headers.
    """

    __slots__ = ("_parsed_content_type", "filename", "headers", "name", "stream")

    def __init__(
        self,
        stream: IO[bytes] | None = None,
        filename: str | PathLike[str] | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.name = name
        self.stream: IO[bytes] = stream if stream is not None else BytesIO()
        if filename is None:
            # Take the name of a real file, but not of special streams like <stdin>.
            stream_name = getattr(stream, "name", None)
            if isinstance(stream_name, (str, bytes, PathLike)):
                decoded = fsdecode(stream_name)
                if not (decoded.startswith("<") and decoded.endswith(">")):
                    filename = decoded
        else:
            filename = fsdecode(filename)
        self.filename: str | None = filename
        if headers is None:
            headers = Headers()
        self.headers = headers
        if content_type is not None:
            headers["Content-Type"] = content_type
        if content_length is not None:
            headers["Content-Length"] = str(content_length)
        self._parsed_content_type: tuple[str, dict[str, str]] | None = None

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` the client sent for the file, if any."""
        return self.headers.get("content-type")

    @property
    def content_length(self) -> int:
        """The ``Content-Length`` the client sent for the file, 0 if absent or invalid."""
        value = self.headers.get("content-length")
        if value is not None and value.isascii() and value.isdigit():
            return int(value)
        return 0

    def _content_type_parts(self) -> tuple[str, dict[str, str]]:
        if self._parsed_content_type is None:
            self._parsed_content_type = parse_options_header(self.content_type)
        return self._parsed_content_type

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased (``"text/html"``)."""
        return self._content_type_parts()[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type parameters (``{"charset": "utf-8"}``)."""
        return self._content_type_parts()[1]

    def save(self, dst: str | PathLike[str] | IO[bytes], buffer_size: int = 16384) -> None:
        """Copy the file to a path (opened, written, closed) or a binary file object.

        A file object is left open. Copies from the stream's current position.
        """
        # PERF: shutil loads only when a file is saved, not at import.
        import shutil

        if isinstance(dst, (str, PathLike)):
            with open(fspath(dst), "wb") as target:
                shutil.copyfileobj(self.stream, target, buffer_size)
        else:
            shutil.copyfileobj(self.stream, dst, buffer_size)

    def close(self) -> None:
        """Close the stream, ignoring errors."""
        # Closing is best effort, as in Werkzeug.
        with contextlib.suppress(Exception):
            self.stream.close()

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __getattr__(self, name: str) -> Any:
        if name in FileStorage.__slots__:
            # Not initialised yet (e.g. during unpickling): do not recurse.
            raise AttributeError(name)
        try:
            return getattr(self.stream, name)
        except AttributeError:
            # SpooledTemporaryFile before Python 3.11 lacks some IOBase methods;
            # its backing file has them.
            backing = getattr(self.stream, "_file", None)
            if backing is None:
                raise
            return getattr(backing, name)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.filename!r} ({self.content_type!r})>"

"""``Accept`` headers (RFC 9110 section 12.5): what the client takes, best first.

``Accept.from_header("text/html, application/json;q=0.5")`` is a read-only list of
``(value, quality)`` pairs sorted by specificity, then quality, then the client's
order, with Werkzeug's API (``best``, ``best_match``, ``quality``, ``in``). The
subclasses match mimetypes (:class:`MIMEAccept`), language tags
(:class:`LanguageAccept`) and charsets (:class:`CharsetAccept`) by their own rules.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from typing import Any, NoReturn, SupportsIndex, TypeVar, overload

from carafe.http.header_lists import parse_list_header
from carafe.http.header_values import dump_options_header, parse_options_header

__all__ = ["Accept", "CharsetAccept", "LanguageAccept", "MIMEAccept", "parse_accept_header"]

A = TypeVar("A", bound="Accept")

# RFC 9110 section 12.4.2: a weight is 0 to 1 with up to three decimals; Werkzeug
# also takes a sign and more decimals, then skips a value outside 0..1.
_QUALITY_RE = re.compile(r"-?\d+(\.\d+)?", re.ASCII)


class Accept(list[tuple[str, float]]):
    """The values of an ``Accept-*`` header with their qualities, best first.

    A read-only list of ``(value, quality)`` pairs; ``accept["gzip"]`` and
    :meth:`quality` give a value's quality (0 when not accepted), and ``in`` tells
    whether a value is accepted (``*`` accepts everything).

    :param values: the pairs, sorted here; None for a header that was not sent
        (:attr:`provided` is then False).
    """

    def __init__(self, values: Accept | Iterable[tuple[str, float]] | None = ()) -> None:
        if values is None:
            super().__init__()
            #: False when the request did not send the header at all.
            self.provided = False
        elif isinstance(values, Accept):
            super().__init__(values)
            self.provided = values.provided
        else:
            # Stable: values of equal specificity and quality keep the client's order.
            super().__init__(
                sorted(
                    values, key=lambda pair: (self._specificity(pair[0]), pair[1]), reverse=True
                )
            )
            self.provided = True

    @classmethod
    def from_header(cls: type[A], value: str | None) -> A:
        """Parse a header value (None or empty: nothing accepted, not provided).

        Items with a malformed quality, or one outside 0 to 1, are skipped; other
        parameters stay on the value (``text/html;level=1``).
        """
        if not value:
            return cls(None)
        pairs: list[tuple[str, float]] = []
        for item in parse_list_header(value):
            name, params = parse_options_header(item)
            quality: float = 1
            if "q" in params:
                text = params.pop("q").strip(" \t")
                if _QUALITY_RE.fullmatch(text) is None:
                    continue
                quality = float(text)
                if not 0 <= quality <= 1:
                    continue
            if params:
                name = dump_options_header(name, params)
            pairs.append((name, quality))
        return cls(pairs)

    def _specificity(self, value: str) -> tuple[bool, ...]:
        """How specific a value is: ``*`` less than anything named."""
        return (value != "*",)

    def _value_matches(self, value: str, item: str) -> bool:
        """True if the client's ``item`` accepts the server's ``value``."""
        return item == "*" or item.lower() == value.lower()

    @overload
    def __getitem__(self, key: str) -> float: ...
    @overload
    def __getitem__(self, key: SupportsIndex) -> tuple[str, float]: ...
    @overload
    def __getitem__(self, key: slice) -> list[tuple[str, float]]: ...
    def __getitem__(
        self, key: str | SupportsIndex | slice
    ) -> float | tuple[str, float] | list[tuple[str, float]]:
        """The quality of a value (a str), or the pair(s) at an index or slice."""
        if isinstance(key, str):
            return self.quality(key)
        return list.__getitem__(self, key)

    def quality(self, key: str) -> float:
        """The quality the client gives ``key``; 0 when it does not accept it."""
        for item, quality in self:
            if self._value_matches(key, item):
                return quality
        return 0

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self._accepts(value)

    def _accepts(self, value: str) -> bool:
        """True if an item of the client's accepts ``value`` (whatever its quality)."""
        return any(self._value_matches(value, item) for item, _ in self)

    def index(self, key: str | tuple[str, float], *args: Any) -> int:
        """The position of the pair accepting ``key`` (or of a pair); ``ValueError`` if none."""
        if isinstance(key, str):
            for position, (item, _) in enumerate(self):
                if self._value_matches(key, item):
                    return position
            raise ValueError(key)
        return list.index(self, key, *args)

    def find(self, key: str | tuple[str, float]) -> int:
        """Like :meth:`index`, but -1 when nothing matches."""
        try:
            return self.index(key)
        except ValueError:
            return -1

    def values(self) -> Iterator[str]:
        """The accepted values, best first, without their qualities."""
        for item, _ in self:
            yield item

    def to_header(self) -> str:
        """The header value (``q`` written where it is not 1)."""
        return ",".join(item if quality == 1 else f"{item};q={quality}" for item, quality in self)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        pairs = ", ".join(f"({item!r}, {quality})" for item, quality in self)
        return f"{type(self).__name__}([{pairs}])"

    def _best_single_match(self, match: str) -> tuple[str, float] | None:
        # Sorted by specificity first: the first item accepting ``match`` is its best.
        for item, quality in self:
            if self._value_matches(match, item):
                return item, quality
        return None

    @overload
    def best_match(self, matches: Iterable[str]) -> str | None: ...
    @overload
    def best_match(self, matches: Iterable[str], default: str) -> str: ...
    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """Of the server's ``matches``, the one the client prefers: the highest
        quality, then the most specific client item, then the first listed;
        ``default`` when the client accepts none of them.
        """
        result = default
        best_quality: float = -1
        best_specificity: tuple[bool, ...] = ()
        for server_item in matches:
            found = self._best_single_match(server_item)
            if found is None:
                continue
            client_item, quality = found
            if quality <= 0 or quality < best_quality:
                continue
            specificity = self._specificity(client_item)
            if quality > best_quality or specificity > best_specificity:
                result = server_item
                best_quality = quality
                best_specificity = specificity
        return result

    @property
    def best(self) -> str | None:
        """The client's favourite value, or None if it sent none."""
        return self[0][0] if self else None

    # -- read-only ------------------------------------------------------------

    def _immutable(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(f"{type(self).__name__!r} objects are immutable")

    append = extend = insert = remove = pop = clear = reverse = sort = _immutable
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _immutable

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        return type(self), (list(self),)


_MIME_SPLIT_RE = re.compile(r"/|(?:[ \t]*;[ \t]*)")


def _mime_parts(value: str) -> tuple[str, str, list[str]]:
    """A mimetype as (type, subtype, sorted parameters), lower-cased."""
    parts = _MIME_SPLIT_RE.split(value.lower())
    return parts[0], parts[1], sorted(parts[2:])


class MIMEAccept(Accept):
    """An ``Accept`` header: ``text/*`` accepts ``text/html``, ``*/*`` anything;
    a mimetype that is not ``type/subtype`` asked of it is a ``ValueError``."""

    def _specificity(self, value: str) -> tuple[bool, ...]:
        return tuple(part != "*" for part in _MIME_SPLIT_RE.split(value))

    def _value_matches(self, value: str, item: str) -> bool:
        # The client's item may be anything: one that is not a mimetype matches nothing.
        if "/" not in item:
            return False
        # The value comes from the app: a malformed one is a programming error.
        if "/" not in value:
            raise ValueError(f"invalid mimetype {value!r}")
        value_type, value_subtype, value_params = _mime_parts(value)
        if value_type == "*" and value_subtype != "*":
            raise ValueError(f"invalid mimetype {value!r}")
        item_type, item_subtype, item_params = _mime_parts(item)
        if item_type == "*" and item_subtype != "*":
            return False
        if (item_type == "*" and item_subtype == "*") or (
            value_type == "*" and value_subtype == "*"
        ):
            return True
        return item_type == value_type and (
            item_subtype == "*"
            or value_subtype == "*"
            or (item_subtype == value_subtype and item_params == value_params)
        )

    @property
    def accept_html(self) -> bool:
        """True if the client accepts HTML (or XHTML)."""
        return self._accepts("text/html") or self.accept_xhtml

    @property
    def accept_xhtml(self) -> bool:
        """True if the client accepts XHTML (``application/xhtml+xml`` or XML)."""
        return self._accepts("application/xhtml+xml") or self._accepts("application/xml")

    @property
    def accept_json(self) -> bool:
        """True if the client accepts JSON."""
        return self._accepts("application/json")


_LANGUAGE_SPLIT_RE = re.compile(r"[_-]")


def _language_parts(value: str) -> list[str]:
    return _LANGUAGE_SPLIT_RE.split(value.lower())


def _primary_tag(value: str) -> str:
    return _LANGUAGE_SPLIT_RE.split(value, maxsplit=1)[0]


class LanguageAccept(Accept):
    """An ``Accept-Language`` header: tags match in any case, ``-`` or ``_``."""

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _language_parts(value) == _language_parts(item)

    @overload
    def best_match(self, matches: Iterable[str]) -> str | None: ...
    @overload
    def best_match(self, matches: Iterable[str], default: str) -> str: ...
    def best_match(self, matches: Iterable[str], default: str | None = None) -> str | None:
        """The best of ``matches`` for the client, falling back to primary tags:
        first the client's (it accepts ``en-US``, so ``en`` matches), then the
        server's (it accepts ``en``, so the first ``en-*`` of ``matches`` does).
        """
        candidates = list(matches)
        result = super().best_match(candidates)
        if result is not None:
            return result
        primaries = Accept([(_primary_tag(item), quality) for item, quality in self])
        result = primaries.best_match(candidates)
        if result is not None:
            return result
        result = super().best_match([_primary_tag(item) for item in candidates])
        if result is not None:
            return next(item for item in candidates if item.startswith(result))
        return default


def _charset_name(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


class CharsetAccept(Accept):
    """An ``Accept-Charset`` header: charsets match by their codec (``UTF8`` is ``utf-8``)."""

    def _value_matches(self, value: str, item: str) -> bool:
        return item == "*" or _charset_name(value) == _charset_name(item)


@overload
def parse_accept_header(value: str | None) -> Accept: ...
@overload
def parse_accept_header(value: str | None, cls: type[A]) -> A: ...
def parse_accept_header(value: str | None, cls: type[Accept] | None = None) -> Accept:
    """Parse an ``Accept-*`` header into ``cls`` (:class:`Accept` by default), as
    ``werkzeug.http.parse_accept_header``."""
    return (cls or Accept).from_header(value)

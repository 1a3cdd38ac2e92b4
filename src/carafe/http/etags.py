"""Entity tags and conditional requests (RFC 9110 sections 8.8.3 and 13).

:class:`ETags` is what ``If-Match`` and ``If-None-Match`` list; :func:`quote_etag`
and :func:`unquote_etag` write and read one tag; :func:`is_resource_modified` is
the decision behind a 304 or 412 (``Response.make_conditional``), with Werkzeug's
rules: weak comparison for ``If-None-Match``, strong for ``If-Match``, dates to the
second.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime, timezone

from carafe.http.dates import parse_http_date

__all__ = [
    "ETags",
    "generate_etag",
    "is_resource_modified",
    "quote_etag",
    "unquote_etag",
]


def quote_etag(etag: str, weak: bool = False) -> str:
    """``"etag"``, or ``W/"etag"`` when ``weak``; a tag holding ``"`` is a ``ValueError``."""
    if '"' in etag:
        raise ValueError("invalid etag")
    return f'W/"{etag}"' if weak else f'"{etag}"'


def unquote_etag(etag: str | None) -> tuple[str, bool] | tuple[None, None]:
    """``(tag, weak)`` for one header tag: ``W/"abc"`` gives ``("abc", True)``; an
    unquoted tag is taken as it is; ``(None, None)`` for None or empty."""
    if not etag:
        return None, None
    weak = etag.startswith(("W/", "w/"))
    start = 2 if weak else 0
    if etag.startswith('"', start) and etag.endswith('"', start):
        return etag[start + 1 : -1], weak
    return etag[start:], weak


def generate_etag(data: bytes) -> str:
    """A tag for a body: its SHA-1 in hex, as Werkzeug makes them (a fingerprint,
    not a security measure)."""
    from hashlib import sha1  # Start-up: hashlib loads when a tag is first made.

    return sha1(data, usedforsecurity=False).hexdigest()


# One tag of a list: an optional weak marker, then a quoted tag or (leniently) a bare
# one, then a comma or the end; anything else is skipped up to the next comma.
_ETAG_RE = re.compile(r'[ \t]*([Ww]/)?(?:"([^"]*)"|([^" \t,]+))[ \t]*(?:,|\Z)', re.ASCII)


class ETags(Collection[str]):
    """The tags of an ``If-Match`` or ``If-None-Match`` header.

    ``tag in etags`` and :meth:`contains` use the strong comparison (weak tags never
    match; ``*`` matches all), :meth:`contains_weak` the weak one.

    :param strong_etags: the strong tags (unquoted).
    :param weak_etags: the weak tags (unquoted).
    :param star_tag: True for ``*``.
    """

    def __init__(
        self,
        strong_etags: Iterable[str] | None = None,
        weak_etags: Iterable[str] | None = None,
        star_tag: bool = False,
    ) -> None:
        self._strong = frozenset(strong_etags or ()) if not star_tag else frozenset()
        self._weak = frozenset(weak_etags or ())
        #: True for ``*`` (any current representation).
        self.star_tag = star_tag

    @classmethod
    def from_header(cls, value: str | None) -> ETags:
        """Parse a header value; malformed parts are skipped, None or empty is no tags."""
        if not value:
            return cls()
        if value == "*":
            return cls(star_tag=True)
        strong: list[str] = []
        weak: list[str] = []
        pos = 0
        while True:
            match = _ETAG_RE.match(value, pos)
            if match is None:
                pos = value.find(",", pos) + 1
                if pos == 0:
                    break
                continue
            marker, quoted, bare = match.groups()
            (weak if marker else strong).append(quoted if quoted is not None else bare)
            pos = match.end()
            if pos >= len(value):
                break
        return cls(strong, weak)

    def as_set(self, include_weak: bool = False) -> set[str]:
        """The strong tags as a set, and the weak ones too if ``include_weak``."""
        tags = set(self._strong)
        if include_weak:
            tags.update(self._weak)
        return tags

    def is_weak(self, etag: str) -> bool:
        """True if ``etag`` is listed as a weak tag."""
        return etag in self._weak

    def is_strong(self, etag: str) -> bool:
        """True if ``etag`` is listed as a strong tag."""
        return etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """True if ``etag`` is listed, weak or strong (the weak comparison)."""
        return self.is_weak(etag) or self.contains(etag)

    def contains(self, etag: str) -> bool:
        """True if ``etag`` is listed as a strong tag, or the header is ``*``."""
        return self.star_tag or self.is_strong(etag)

    def contains_raw(self, etag: str) -> bool:
        """Like :meth:`contains` for a quoted tag; a weak one (``W/"..."``) is looked
        up with the weak comparison."""
        tag, weak = unquote_etag(etag)
        if tag is None:
            return False
        return self.contains_weak(tag) if weak else self.contains(tag)

    def to_header(self) -> str:
        """The header value."""
        if self.star_tag:
            return "*"
        return ", ".join(
            [f'"{tag}"' for tag in self._strong] + [f'W/"{tag}"' for tag in self._weak]
        )

    def __call__(
        self, etag: str | None = None, data: bytes | None = None, include_weak: bool = False
    ) -> bool:
        """True if ``etag`` (or the tag of ``data``) is listed (weak ones too if
        ``include_weak``)."""
        if etag is None:
            if data is None:
                raise TypeError("'data' is required when 'etag' is not given.")
            etag = generate_etag(data)
        if include_weak and etag in self._weak:
            return True
        return etag in self._strong

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __len__(self) -> int:
        return len(self._strong)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strong)

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


def _to_utc_second(moment: datetime) -> datetime:
    """``moment`` without microseconds (HTTP dates have none), naive taken as UTC."""
    moment = moment.replace(microsecond=0)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def is_resource_modified(
    *,
    http_range: str | None = None,
    http_if_range: str | None = None,
    http_if_modified_since: str | None = None,
    http_if_none_match: str | None = None,
    http_if_match: str | None = None,
    etag: str | None = None,
    data: bytes | None = None,
    last_modified: datetime | str | None = None,
    ignore_if_range: bool = True,
) -> bool:
    """False when the client's copy is current: the request's conditional headers
    (given as sent) against the resource's ``etag`` and ``last_modified``.

    ``If-None-Match`` uses the weak comparison and wins over ``If-Modified-Since``;
    a failed ``If-Match`` (strong comparison) counts as "not modified" too (the
    caller answers 412 then). ``If-Range`` counts only with a ``Range`` and when
    ``ignore_if_range`` is False. As ``werkzeug.http.is_resource_modified``.

    :param data: the body, to tag when ``etag`` is not given.
    """
    if etag is None and data is not None:
        etag = quote_etag(generate_etag(data))
    elif data is not None:
        raise TypeError("both data and etag given")
    if isinstance(last_modified, str):
        last_modified = parse_http_date(last_modified)
    if last_modified is not None:
        last_modified = _to_utc_second(last_modified)

    if_range_date: datetime | None = None
    if_range_etag: str | None = None
    if not ignore_if_range and http_range is not None and http_if_range:
        # RFC 9110 section 13.1.5: If-Range counts only beside a Range.
        if_range_date = parse_http_date(http_if_range)
        if if_range_date is None:
            if_range_etag = unquote_etag(http_if_range)[0]

    unmodified = False
    modified_since = if_range_date or parse_http_date(http_if_modified_since)
    if modified_since is not None and last_modified is not None:
        unmodified = last_modified <= modified_since

    if etag:
        tag = unquote_etag(etag)[0]
        if if_range_etag is not None:
            unmodified = if_range_etag == tag
        else:
            if_none_match = ETags.from_header(http_if_none_match)
            if if_none_match and tag is not None:
                unmodified = if_none_match.contains_weak(tag)
            if_match = ETags.from_header(http_if_match)
            if if_match and tag is not None:
                unmodified = not if_match.is_strong(tag)
    return not unmodified

"""A response's header fields as typed attributes: the content type and length,
dates, caching, entity tags, ranges and authentication challenges, with Werkzeug's
names and semantics (``response.cache_control.max_age = 60``,
``response.expires = datetime(...)``, ``response.vary.add("Cookie")``).

:class:`ResponseFields` is the base of :class:`carafe.response.Response`, which adds
the status, the body and the WSGI call. Every attribute reads the header when
asked, and writes it when set: nothing is parsed or kept unless a view asks.
Objects handed out (``cache_control``, ``vary``, ``mimetype_params``,
``content_range``, ``www_authenticate``) write their changes back to the header.
Setting None (or ``del``) removes a header.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from carafe.http._compiled import mypyc_attr
from carafe.http.auth import WWWAuthenticate
from carafe.http.cache_control import ResponseCacheControl
from carafe.http.cookies import dump_cookie
from carafe.http.dates import http_date, parse_http_date
from carafe.http.etags import quote_etag, unquote_etag
from carafe.http.header_lists import CallbackDict, HeaderSet, dump_header
from carafe.http.header_values import dump_options_header, parse_options_header
from carafe.http.headers import Headers
from carafe.http.own_attributes import OwnAttributes
from carafe.http.ranges import ContentRange

if TYPE_CHECKING:
    from carafe.typing import StartResponse, WSGIEnvironment

#: What a date attribute takes: a datetime (naive is UTC), a date, a POSIX
#: timestamp, or the header text itself.
DateLike = datetime | date | float | str

# Werkzeug's text types that get ``; charset=utf-8`` besides text/* and +xml.
_CHARSET_MIMETYPES = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/sql",
        "application/xml",
        "application/xml-dtd",
        "application/xml-external-parsed-entity",
    }
)


def content_type_for(mimetype: str) -> str:
    """Add ``; charset=utf-8`` to a mimetype when Werkzeug would (text and XML types)."""
    if (
        mimetype.startswith("text/") or mimetype in _CHARSET_MIMETYPES or mimetype.endswith("+xml")
    ) and "charset" not in mimetype:
        return mimetype + "; charset=utf-8"
    return mimetype


def _date_text(value: DateLike) -> str:
    return value if isinstance(value, str) else http_date(value)


def _set_text(value: str | Iterable[Any] | Mapping[str, Any]) -> str:
    return value if isinstance(value, str) else dump_header(value)


class _HeaderWriter:
    """Writes a header view's changes back to its response's header (the
    ``on_update`` of the objects the attributes hand out)."""

    __slots__ = ("headers", "name")

    def __init__(self, headers: Headers, name: str) -> None:
        self.headers = headers
        self.name = name

    def __call__(self, view: Any) -> None:
        if view:
            self.headers.set(self.name, view.to_header())
        else:
            self.headers.remove(self.name)


class _ParamsWriter:
    """Writes changed ``mimetype_params`` back to ``Content-Type``."""

    __slots__ = ("headers",)

    def __init__(self, headers: Headers) -> None:
        self.headers = headers

    def __call__(self, params: dict[str, str]) -> None:
        content_type = self.headers.get("Content-Type")
        mimetype = content_type.partition(";")[0].strip() if content_type else None
        self.headers.set("Content-Type", dump_options_header(mimetype, params))


class CookieLimit:
    """Where a response finds the size past which a cookie it sets draws a warning:
    :attr:`current` is replaced by :mod:`carafe.ctx` with the current app's
    ``MAX_COOKIE_SIZE`` (a response never looks up the app itself)."""

    __slots__ = ("current",)

    def __init__(self) -> None:
        self.current: Callable[[], int] = _default_cookie_limit


def _default_cookie_limit() -> int:
    return 4093


#: The cookie size limit of the current app (Werkzeug's 4093 outside one).
COOKIE_LIMIT = CookieLimit()


@mypyc_attr(allow_interpreted_subclasses=True)
class ResponseFields(OwnAttributes):
    """The header fields of a response, as attributes (see the module docstring)."""

    # PERF: no per-object dict for what a response holds; ``__dict__`` is made only
    # when an app sets an attribute of its own (see carafe.http.own_attributes).
    __slots__ = ("__dict__", "headers")

    headers: Headers

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve the response as a WSGI application (:class:`carafe.response.Response`)."""
        # mypyc: a class with ``__call__`` gets a vectorcall slot at the head of its
        # fields. Declared here, the slot is in this base's layout, so the fields read
        # here sit where the subclass that serves the response (which overrides this)
        # keeps them; declared only there, they would not (a crash in a compiled build).
        raise NotImplementedError

    def _set_header(self, name: str, value: str | None) -> None:
        """Set header ``name``; None removes it."""
        if value is None:
            self.headers.remove(name)
        else:
            self.headers.set(name, value)

    def _header_date(self, name: str) -> datetime | None:
        return parse_http_date(self.headers.get(name))

    def _set_header_date(self, name: str, value: DateLike | None) -> None:
        self._set_header(name, None if value is None else _date_text(value))

    def _header_set(self, name: str) -> HeaderSet:
        return HeaderSet.from_header(self.headers.get(name), _HeaderWriter(self.headers, name))

    def _set_header_set(self, name: str, value: str | Iterable[Any] | None) -> None:
        self._set_header(name, _set_text(value) if value else None)

    # -- content --------------------------------------------------------------

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header."""
        return self.headers.get("Content-Type")

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        self._set_header("Content-Type", value)

    @property
    def mimetype(self) -> str | None:
        """The mimetype: the content type without parameters, as sent (None if
        there is none); setting it adds ``; charset=utf-8`` to text types, as
        Werkzeug does."""
        content_type = self.headers.get("Content-Type")
        return content_type.partition(";")[0].strip() if content_type else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers.set("Content-Type", content_type_for(value))

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters (``{"charset": "utf-8"}``); changing the
        dict rewrites ``Content-Type``."""
        params = parse_options_header(self.headers.get("Content-Type"))[1]
        return CallbackDict(params, _ParamsWriter(self.headers))

    @property
    def content_length(self) -> int | None:
        """The ``Content-Length`` header as an int (None if absent or not a number)."""
        value = self.headers.get("Content-Length")
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            return None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        self._set_header("Content-Length", None if value is None else str(int(value)))

    @property
    def location(self) -> str | None:
        """The ``Location`` header."""
        return self.headers.get("Location")

    @location.setter
    def location(self, value: str | None) -> None:
        self._set_header("Location", value)

    @property
    def content_location(self) -> str | None:
        """The ``Content-Location`` header."""
        return self.headers.get("Content-Location")

    @content_location.setter
    def content_location(self, value: str | None) -> None:
        self._set_header("Content-Location", value)

    @property
    def content_encoding(self) -> str | None:
        """The ``Content-Encoding`` header (``gzip``), as text, as in Werkzeug."""
        return self.headers.get("Content-Encoding")

    @content_encoding.setter
    def content_encoding(self, value: str | None) -> None:
        self._set_header("Content-Encoding", value)

    @property
    def content_md5(self) -> str | None:
        """The ``Content-MD5`` header."""
        return self.headers.get("Content-MD5")

    @content_md5.setter
    def content_md5(self, value: str | None) -> None:
        self._set_header("Content-MD5", value)

    @property
    def content_language(self) -> HeaderSet:
        """The ``Content-Language`` header as a set; changing it rewrites the header."""
        return self._header_set("Content-Language")

    @content_language.setter
    def content_language(self, value: str | Iterable[str] | None) -> None:
        self._set_header_set("Content-Language", value)

    @property
    def vary(self) -> HeaderSet:
        """The ``Vary`` header as a set (``response.vary.add("Cookie")``)."""
        return self._header_set("Vary")

    @vary.setter
    def vary(self, value: str | Iterable[str] | None) -> None:
        self._set_header_set("Vary", value)

    @property
    def allow(self) -> HeaderSet:
        """The ``Allow`` header as a set of methods."""
        return self._header_set("Allow")

    @allow.setter
    def allow(self, value: str | Iterable[str] | None) -> None:
        self._set_header_set("Allow", value)

    # -- cookies --------------------------------------------------------------

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: timedelta | int | None = None,
        expires: str | datetime | float | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header; ``max_age`` also sets ``Expires``, as Flask does.
        A cookie larger than :attr:`max_cookie_size` draws a warning."""
        self.headers.add(
            "Set-Cookie",
            dump_cookie(
                key,
                value=value,
                max_age=max_age,
                expires=expires,
                path=path,
                domain=domain,
                secure=secure,
                httponly=httponly,
                samesite=samesite,
                partitioned=partitioned,
                max_size=self.max_cookie_size,
            ),
        )

    @property
    def max_cookie_size(self) -> int:
        """The current app's ``MAX_COOKIE_SIZE`` (4093 outside an app): a cookie set
        larger draws a warning, as browsers may drop it; 0 turns the check off."""
        return COOKIE_LIMIT.current()

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Expire the cookie ``key`` in the client."""
        self.set_cookie(
            key,
            expires=0,
            max_age=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    # -- dates ----------------------------------------------------------------

    @property
    def date(self) -> datetime | None:
        """The ``Date`` header as an aware UTC datetime (None if absent or malformed)."""
        return self._header_date("Date")

    @date.setter
    def date(self, value: DateLike | None) -> None:
        self._set_header_date("Date", value)

    @property
    def expires(self) -> datetime | None:
        """The ``Expires`` header as an aware UTC datetime."""
        return self._header_date("Expires")

    @expires.setter
    def expires(self, value: DateLike | None) -> None:
        self._set_header_date("Expires", value)

    @property
    def last_modified(self) -> datetime | None:
        """The ``Last-Modified`` header as an aware UTC datetime."""
        return self._header_date("Last-Modified")

    @last_modified.setter
    def last_modified(self, value: DateLike | None) -> None:
        self._set_header_date("Last-Modified", value)

    @property
    def retry_after(self) -> datetime | None:
        """The ``Retry-After`` header as an aware UTC datetime (seconds counted from now)."""
        value = self.headers.get("Retry-After")
        if value is None:
            return None
        if value.isdigit() and value.isascii():
            return datetime.now(timezone.utc) + timedelta(seconds=int(value))
        return parse_http_date(value)

    @retry_after.setter
    def retry_after(self, value: datetime | int | str | None) -> None:
        if value is None or isinstance(value, str):
            self._set_header("Retry-After", value)
        elif isinstance(value, datetime):
            self._set_header("Retry-After", http_date(value))
        else:
            self._set_header("Retry-After", str(int(value)))

    @property
    def age(self) -> timedelta | None:
        """The ``Age`` header as a timedelta (None if absent, negative or malformed)."""
        value = self.headers.get("Age")
        if not value or not (value.isdigit() and value.isascii()):
            return None
        try:
            return timedelta(seconds=int(value))
        except OverflowError:
            return None

    @age.setter
    def age(self, value: timedelta | int | None) -> None:
        if value is None:
            self._set_header("Age", None)
            return
        seconds = int(value.total_seconds()) if isinstance(value, timedelta) else int(value)
        if seconds < 0:
            raise ValueError("age cannot be negative")
        self._set_header("Age", str(seconds))

    # -- caching --------------------------------------------------------------

    @property
    def cache_control(self) -> ResponseCacheControl:
        """The ``Cache-Control`` header; changing it rewrites the header
        (``response.cache_control.max_age = 60``)."""
        return ResponseCacheControl.from_header(
            self.headers.get("Cache-Control"), _HeaderWriter(self.headers, "Cache-Control")
        )

    def set_etag(self, etag: str, weak: bool = False) -> None:
        """Set the ``ETag`` header (quoted here; ``weak`` adds ``W/``)."""
        self.headers.set("ETag", quote_etag(etag, weak))

    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        """The ``ETag`` as ``(tag, weak)``, or ``(None, None)``."""
        return unquote_etag(self.headers.get("ETag"))

    @property
    def accept_ranges(self) -> str | None:
        """The ``Accept-Ranges`` header (``bytes`` or ``none``)."""
        return self.headers.get("Accept-Ranges")

    @accept_ranges.setter
    def accept_ranges(self, value: str | None) -> None:
        self._set_header("Accept-Ranges", value)

    @property
    def content_range(self) -> ContentRange:
        """The ``Content-Range`` header, unset (false) when absent; changing it
        rewrites the header, ``unset()`` removes it."""
        writer = _HeaderWriter(self.headers, "Content-Range")
        found = ContentRange.from_header(self.headers.get("Content-Range"))
        if found is None:
            found = ContentRange(None, None, None)
        found.on_update = writer
        return found

    @content_range.setter
    def content_range(self, value: ContentRange | str | None) -> None:
        if not value:
            self._set_header("Content-Range", None)
        else:
            self._set_header(
                "Content-Range", value if isinstance(value, str) else value.to_header()
            )

    # -- authentication -------------------------------------------------------

    @property
    def www_authenticate(self) -> WWWAuthenticate:
        """The (first) ``WWW-Authenticate`` challenge; a ``basic`` one when absent.
        Changing it rewrites the header; assign a list to send several, None to
        remove it."""
        challenge = WWWAuthenticate.from_header(self.headers.get("WWW-Authenticate"))
        if challenge is None:
            challenge = WWWAuthenticate("basic")
        challenge._on_update = _HeaderWriter(self.headers, "WWW-Authenticate")
        return challenge

    @www_authenticate.setter
    def www_authenticate(self, value: WWWAuthenticate | list[WWWAuthenticate] | None) -> None:
        if not value:
            self.headers.remove("WWW-Authenticate")
        elif isinstance(value, list):
            self.headers.set("WWW-Authenticate", value[0].to_header())
            for challenge in value[1:]:
                self.headers.add("WWW-Authenticate", challenge.to_header())
        else:
            self.headers.set("WWW-Authenticate", value.to_header())
            value._on_update = _HeaderWriter(self.headers, "WWW-Authenticate")

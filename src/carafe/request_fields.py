"""A request's header fields as typed attributes: what the client accepts, its
credentials, caching and conditional headers, ranges and user agent, with
Werkzeug's names and semantics (``request.accept_mimetypes.best``,
``request.authorization.username``, ``request.if_none_match``).

:class:`RequestFields` is the base of :class:`carafe.request.Request`. Each header
is parsed the first time its attribute is read and kept for the request; a request
that reads none of them parses none. A malformed value never fails the request:
it reads as Werkzeug reads it (None, or an empty object).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar, TypeVar

from carafe.http._compiled import mypyc_attr
from carafe.http.accept import Accept, CharsetAccept, LanguageAccept, MIMEAccept
from carafe.http.auth import Authorization
from carafe.http.cache_control import RequestCacheControl
from carafe.http.dates import parse_http_date
from carafe.http.etags import ETags
from carafe.http.header_lists import HeaderSet
from carafe.http.ranges import IfRange, Range
from carafe.request_head import RequestHead, UserAgent

T = TypeVar("T")


def _max_forwards(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _header_set_or_none(value: str | None) -> HeaderSet | None:
    return None if value is None else HeaderSet.from_header(value)


@mypyc_attr(allow_interpreted_subclasses=True)
class RequestFields(RequestHead):
    """The header fields of a request, parsed on first use (see the module docstring)."""

    __slots__ = ()

    #: The class :attr:`user_agent` is made with; a subclass of
    #: :class:`~carafe.request_head.UserAgent` may parse the header.
    user_agent_class: ClassVar[type[UserAgent]] = UserAgent

    def _parsed_header(
        self, environ_key: str, raw_name: bytes, parse: Callable[[str | None], T]
    ) -> T:
        """``parse`` of a header's value (None when absent), made once per request."""
        parsed = self._parsed
        if parsed is None:
            parsed = self._parsed = {}
        elif environ_key in parsed:
            return parsed[environ_key]  # type: ignore[no-any-return]
        value = parsed[environ_key] = parse(self._header_value(environ_key, raw_name))
        return value

    # -- content negotiation --------------------------------------------------

    @property
    def accept_mimetypes(self) -> MIMEAccept:
        """The ``Accept`` header: the mimetypes the client takes, best first."""
        return self._parsed_header("HTTP_ACCEPT", b"accept", MIMEAccept.from_header)

    @property
    def accept_charsets(self) -> CharsetAccept:
        """The ``Accept-Charset`` header."""
        return self._parsed_header(
            "HTTP_ACCEPT_CHARSET", b"accept-charset", CharsetAccept.from_header
        )

    @property
    def accept_encodings(self) -> Accept:
        """The ``Accept-Encoding`` header: the content codings (``gzip``) the client takes."""
        return self._parsed_header("HTTP_ACCEPT_ENCODING", b"accept-encoding", Accept.from_header)

    @property
    def accept_languages(self) -> LanguageAccept:
        """The ``Accept-Language`` header."""
        return self._parsed_header(
            "HTTP_ACCEPT_LANGUAGE", b"accept-language", LanguageAccept.from_header
        )

    # -- credentials ----------------------------------------------------------

    @property
    def authorization(self) -> Authorization | None:
        """The ``Authorization`` header (``Basic``, ``Bearer``, ``Digest``, ...); None
        when absent or when ``Basic`` credentials do not decode."""
        return self._parsed_header(
            "HTTP_AUTHORIZATION", b"authorization", Authorization.from_header
        )

    # -- caching and conditions -----------------------------------------------

    @property
    def cache_control(self) -> RequestCacheControl:
        """The ``Cache-Control`` header (read-only)."""
        return self._parsed_header(
            "HTTP_CACHE_CONTROL", b"cache-control", RequestCacheControl.from_header
        )

    @property
    def pragma(self) -> HeaderSet:
        """The ``Pragma`` header, as a set (``no-cache``)."""
        return self._parsed_header("HTTP_PRAGMA", b"pragma", HeaderSet.from_header)

    @property
    def if_match(self) -> ETags:
        """The tags of the ``If-Match`` header."""
        return self._parsed_header("HTTP_IF_MATCH", b"if-match", ETags.from_header)

    @property
    def if_none_match(self) -> ETags:
        """The tags of the ``If-None-Match`` header."""
        return self._parsed_header("HTTP_IF_NONE_MATCH", b"if-none-match", ETags.from_header)

    @property
    def if_modified_since(self) -> datetime | None:
        """The ``If-Modified-Since`` header as an aware UTC datetime."""
        return self._parsed_header("HTTP_IF_MODIFIED_SINCE", b"if-modified-since", parse_http_date)

    @property
    def if_unmodified_since(self) -> datetime | None:
        """The ``If-Unmodified-Since`` header as an aware UTC datetime."""
        return self._parsed_header(
            "HTTP_IF_UNMODIFIED_SINCE", b"if-unmodified-since", parse_http_date
        )

    @property
    def if_range(self) -> IfRange:
        """The ``If-Range`` header: a date or a tag (both None when absent)."""
        return self._parsed_header("HTTP_IF_RANGE", b"if-range", IfRange.from_header)

    @property
    def range(self) -> Range | None:
        """The ``Range`` header; None when absent or malformed."""
        return self._parsed_header("HTTP_RANGE", b"range", Range.from_header)

    # -- other headers --------------------------------------------------------

    @property
    def user_agent(self) -> UserAgent:
        """The ``User-Agent`` header (``request.user_agent.string``)."""
        return self._parsed_header("HTTP_USER_AGENT", b"user-agent", self._make_user_agent)

    def _make_user_agent(self, value: str | None) -> UserAgent:
        return self.user_agent_class(value or "")

    @property
    def date(self) -> datetime | None:
        """The ``Date`` header as an aware UTC datetime."""
        return self._parsed_header("HTTP_DATE", b"date", parse_http_date)

    @property
    def referrer(self) -> str | None:
        """The ``Referer`` header."""
        return self._header_value("HTTP_REFERER", b"referer")

    @property
    def origin(self) -> str | None:
        """The ``Origin`` header."""
        return self._header_value("HTTP_ORIGIN", b"origin")

    @property
    def content_encoding(self) -> str | None:
        """The ``Content-Encoding`` header of the body."""
        return self._header_value("HTTP_CONTENT_ENCODING", b"content-encoding")

    @property
    def content_md5(self) -> str | None:
        """The ``Content-MD5`` header."""
        return self._header_value("HTTP_CONTENT_MD5", b"content-md5")

    @property
    def max_forwards(self) -> int | None:
        """The ``Max-Forwards`` header as an int (None if absent or not a number)."""
        return _max_forwards(self._header_value("HTTP_MAX_FORWARDS", b"max-forwards"))

    @property
    def access_control_request_headers(self) -> HeaderSet | None:
        """The ``Access-Control-Request-Headers`` of a CORS preflight, as a set."""
        return _header_set_or_none(
            self._header_value(
                "HTTP_ACCESS_CONTROL_REQUEST_HEADERS", b"access-control-request-headers"
            )
        )

    @property
    def access_control_request_method(self) -> str | None:
        """The ``Access-Control-Request-Method`` of a CORS preflight."""
        return self._header_value(
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD", b"access-control-request-method"
        )

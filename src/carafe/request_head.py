"""The head of a request: lazy, cached views over a WSGI environ's request line and
headers (:class:`RequestHead`, which :class:`carafe.request.Request` extends with the
body), and the multi-dicts and header view a request hands out.

Nothing is parsed until it is asked for, and nothing twice (``request.args`` parses
the query string once). Bad input becomes a 4xx as in Flask: a missing key is a 400,
a malformed or untrusted Host a 400, an overlong URL or query a 414.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, BinaryIO

from carafe.exceptions import (
    BadHost,
    BadRequestKeyError,
    HTTPException,
    RequestURITooLarge,
    SecurityError,
)
from carafe.http._compiled import mypyc_attr
from carafe.http.caches import remember
from carafe.http.cookies import parse_cookie_header
from carafe.http.datastructures import ImmutableMultiDict
from carafe.http.environ_headers import EnvironHeaders
from carafe.http.forms import parse_urlencoded_lists
from carafe.http.header_lists import parse_list_header
from carafe.http.header_values import is_json_mimetype, mimetype_of, parse_options_header
from carafe.http.hosts import DEFAULT_PORTS, host_is_trusted, parse_host
from carafe.http.own_attributes import OwnAttributes
from carafe.http.urls import iri_path, iri_query
from carafe.options import DEFAULT_OPTIONS, RequestOptions
from carafe.request_body import is_chunked, parse_content_length

if TYPE_CHECKING:
    from carafe.routing import Rule

#: The usual request methods, each mapped to itself (see Request.__init__).
UPPER_METHODS = {
    method: method
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
}


#: Host headers found valid, as text (WSGI) and bytes (ASGI), so a repeated one is
#: checked with one lookup (see ``carafe.routing.route_request``); a request without
#: one is checked in full (HTTP/1.1 requires it). Bounded: the values come from
#: clients; one not kept here is checked in full.
VALID_HOST_HEADERS: dict[str | bytes | None, bool] = {}
_VALID_HOST_HEADERS_MAX = 256


class RequestDict(ImmutableMultiDict[str, Any]):
    """The immutable multi-dict of ``args``, ``form``, ``files`` and ``cookies``:
    a missing key raises a 400 ``BadRequestKeyError``, as in Flask."""

    missing_key_error = BadRequestKeyError


#: A RequestDict of parsed pairs (repeated names keep every value, in order).
#: PERF: the classmethod itself, without a wrapper's call.
_request_dict = RequestDict._from_pairs
#: A RequestDict of grouped values (see ``parse_urlencoded_lists``).
_request_lists = RequestDict._from_lists

#: PERF: most requests upload nothing (and GETs have no form): they share this
#: one empty, immutable dict.
_EMPTY_DICT = _request_dict([])


@mypyc_attr(allow_interpreted_subclasses=True)
class RequestHeaders(EnvironHeaders):
    """The request headers: a missing header asked for with ``[]`` is a 400.

    Werkzeug raises a plain ``KeyError`` here, which Flask turns into a 500; a
    header the client did not send is the client's error, so Carafe answers 400.
    """

    missing_key_error = BadRequestKeyError


@mypyc_attr(allow_interpreted_subclasses=True)
class UserAgent:
    """The ``User-Agent`` header, as Werkzeug 3 has it: :attr:`string` is the header;
    nothing is parsed from it, so ``platform``, ``browser``, ``version`` and
    ``language`` are None and the object is false. Set a request class's
    ``user_agent_class`` to a subclass that parses them.

    :param string: the header value.
    """

    __slots__ = ("string",)

    # Werkzeug 3 no longer parses the header; these stay None.
    platform: str | None = None
    browser: str | None = None
    version: str | None = None
    language: str | None = None

    def __init__(self, string: str) -> None:
        self.string = string

    def to_header(self) -> str:
        """The header value."""
        return self.string

    def __str__(self) -> str:
        return self.string

    def __bool__(self) -> bool:
        # As Werkzeug's: true only when a subclass found the browser.
        return bool(self.browser)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.browser}/{self.version}>"


def blueprint_path(name: str) -> tuple[str, ...]:
    """``"a.b.c"`` -> ``("a.b.c", "a.b", "a")``: a blueprint and those it is nested
    in, innermost first, as ``request.blueprints`` lists them."""
    parts = name.split(".")
    return tuple(".".join(parts[:end]) for end in range(len(parts), 0, -1))


def _decode_wsgi(value: str) -> str:
    """WSGI strings carry raw bytes as latin-1; decode them as UTF-8 as Werkzeug does."""
    # PERF: ASCII, the usual case, needs no transcoding.
    if value.isascii():
        return value
    return value.encode("latin-1").decode("utf-8", "replace")


@mypyc_attr(allow_interpreted_subclasses=True)
class RequestHead(OwnAttributes):
    """What a request's head says: the request line (method, path, URL, host) and the
    headers (cookies, content type and length, ...), and the query string.

    :class:`carafe.request.Request` adds the body. PERF: the state of the whole
    request is declared and set up here, once.
    """

    __slots__ = (
        "__dict__",
        "_args",
        "_content_length",
        "_cookies",
        "_data",
        "_environ",
        "_files",
        "_form",
        "_headers",
        "_json",
        "_max_content_length",
        "_max_form_memory_size",
        "_max_form_parts",
        "_parsed",
        "_stream",
        "method",
        "options",
        "path",
        "routing_exception",
        "url_rule",
        "view_args",
    )

    _environ: dict[str, Any]
    options: RequestOptions
    method: str
    path: str
    url_rule: Rule | None
    view_args: dict[str, Any] | None
    routing_exception: HTTPException | None
    _args: RequestDict | None
    _form: RequestDict | None
    _files: RequestDict | None
    _cookies: RequestDict | None
    _headers: RequestHeaders | None
    _data: bytes | None
    _json: tuple[Any, ...] | None
    _stream: BinaryIO | None
    _content_length: int | bool | None
    # The limits a view or hook set on this request (None: the options' own).
    _max_content_length: int | None
    _max_form_memory_size: int | None
    _max_form_parts: int | None
    # The header values parsed so far (request_fields.RequestFields), by environ key.
    _parsed: dict[str, Any] | None

    def __init__(self, environ: dict[str, Any], options: RequestOptions | None = None) -> None:
        """:param environ: the WSGI environ.
        :param options: the limits, JSON loader and debug flag (the app's
            ``request_options``); Carafe's defaults when not given."""
        self._environ = environ
        #: What this request needs of its app: limits, trusted hosts, JSON loader, debug.
        self.options = options if options is not None else DEFAULT_OPTIONS
        # PERF: every request needs its method and path (routing, HEAD handling):
        # both are read once, here, and are plain attributes from then on.
        try:
            # PERF: the usual methods, already upper-case, need no upper() call.
            self.method = UPPER_METHODS[environ["REQUEST_METHOD"]]
        except KeyError:
            self.method = environ.get("REQUEST_METHOD", "GET").upper()
        raw = environ.get("PATH_INFO") or ""
        #: The path below the app's root, decoded, always starting with ``/``.
        self.path = "/" + (raw if raw.isascii() else _decode_wsgi(raw)).lstrip("/")
        # What routing and the lazy parsers fill in later (False: not computed yet).
        self.url_rule = self.view_args = self.routing_exception = None
        self._args = self._form = self._files = self._cookies = self._headers = None
        self._data = self._json = self._stream = self._parsed = None
        self._max_content_length = self._max_form_memory_size = self._max_form_parts = None
        self._content_length = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url!r} [{self.method}]>"

    # A property, not a plain attribute, so that ASGIRequest can build its environ on
    # first use, and compiled code (mypyc) still reaches that override. PERF: the
    # accessors ASGIRequest overrides (content type and length, query string, scheme,
    # Host, Cookie, the body stream) read ``_environ`` without the property call.
    @property
    def environ(self) -> dict[str, Any]:
        """The WSGI environ."""
        return self._environ

    @environ.setter
    def environ(self, value: dict[str, Any]) -> None:
        self._environ = value

    # -- the request line -----------------------------------------------------

    @property
    def script_root(self) -> str:
        """The path the app is mounted under (``SCRIPT_NAME``), without a trailing slash."""
        return _decode_wsgi(self.environ.get("SCRIPT_NAME") or "").rstrip("/")

    @property
    def root_path(self) -> str:
        """Werkzeug's name for :attr:`script_root`."""
        return self.script_root

    @property
    def query_string(self) -> bytes:
        """The raw query string."""
        return (self._environ.get("QUERY_STRING") or "").encode("latin-1")

    @property
    def full_path(self) -> str:
        """The path and the query string, joined by ``?`` (always present, as in Werkzeug)."""
        return f"{self.path}?{self.query_string.decode('utf-8', 'replace')}"

    @property
    def scheme(self) -> str:
        """``http`` or ``https``."""
        return self._environ.get("wsgi.url_scheme", "http")  # type: ignore[no-any-return]

    @property
    def is_secure(self) -> bool:
        """True if the request came over HTTPS."""
        return self.scheme in ("https", "wss")

    @property
    def host(self) -> str:
        """The host the request was sent to, with the port when it is not the default.

        SECURITY: a ``Host`` header that is not a valid ``host[:port]`` (a path, two
        joined headers, a space, ...) is a 400, and so is a host outside the app's
        ``TRUSTED_HOSTS`` when that is set (Werkzeug's ``SecurityError``); every URL
        built from the host goes through here.
        """
        header = self._host_header()
        if header:
            host = parse_host(header, self.scheme)
            if host is None:
                raise BadHost("The Host header is not a valid host[:port].")
            # As WSGI carries it, and as the ASGI scope does.
            remember(VALID_HOST_HEADERS, header, True, _VALID_HOST_HEADERS_MAX)
            remember(VALID_HOST_HEADERS, header.encode("latin-1"), True, _VALID_HOST_HEADERS_MAX)
        else:
            environ = self.environ
            if environ.get("SERVER_PROTOCOL") == "HTTP/1.1":
                # SECURITY: RFC 9112 (3.2) has a server answer 400 to an HTTP/1.1
                # request without a Host header; an empty one is only for a target
                # with no authority, which an http(s) URL always has. (Granian
                # passes a missing Host on as an empty one.)
                raise BadHost("An HTTP/1.1 request must have a Host header.")
            host = environ.get("SERVER_NAME", "")
            port = environ.get("SERVER_PORT")
            if port and DEFAULT_PORTS.get(self.scheme) != port:
                host = f"{host}:{port}"
        trusted = self.options.trusted_hosts
        if trusted is not None and not host_is_trusted(host, trusted):
            raise SecurityError(f"Host {host!r} is not trusted.")
        return host

    @property
    def trusted_hosts(self) -> list[str] | None:
        """The hosts this request may be addressed to (``TRUSTED_HOSTS``; None: any)."""
        return self.options.trusted_hosts

    def _host_header(self) -> str | None:
        """The ``Host`` header as WSGI carries it."""
        return self._environ.get("HTTP_HOST")

    def _header_value(self, environ_key: str, raw_name: bytes) -> str | None:
        """A request header as WSGI carries it (repeats joined by ``, ``).

        :param environ_key: its environ key (``HTTP_ACCEPT``), read here.
        :param raw_name: its lower-case name (``b"accept"``), which the ASGI request
            reads from the scope instead.
        """
        return self._environ.get(environ_key)

    @property
    def host_url(self) -> str:
        """``scheme://host/``."""
        return f"{self.scheme}://{self.host}/"

    @property
    def url_root(self) -> str:
        """``scheme://host/script_root/``."""
        return f"{self.scheme}://{self.host}{iri_path(self.script_root)}/"

    @property
    def root_url(self) -> str:
        """Werkzeug's name for :attr:`url_root`."""
        return self.url_root

    @property
    def base_url(self) -> str:
        """The URL without the query string, as an IRI (``http://host/café``)."""
        return f"{self.scheme}://{self.host}{iri_path(self.script_root + self.path)}"

    @property
    def url(self) -> str:
        """The full URL, query string included, as an IRI."""
        query = self.query_string
        if not query:
            return self.base_url
        return f"{self.base_url}?{iri_query(query)}"

    @property
    def remote_addr(self) -> str | None:
        """The client's address as the server saw it."""
        return self.environ.get("REMOTE_ADDR")

    @property
    def access_route(self) -> list[str]:
        """The addresses of the ``X-Forwarded-For`` header, from the client to the
        last proxy; without one, just :attr:`remote_addr`."""
        forwarded = self._header_value("HTTP_X_FORWARDED_FOR", b"x-forwarded-for")
        if forwarded is not None:
            return parse_list_header(forwarded)
        remote_addr = self.remote_addr
        return [remote_addr] if remote_addr is not None else []

    # -- headers --------------------------------------------------------------

    @property
    def headers(self) -> RequestHeaders:
        """The request headers (read-only, case-insensitive; a missing one is a 400)."""
        headers = self._headers
        if headers is None:
            headers = self._headers = RequestHeaders(self.environ)
        return headers

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header."""
        return self._environ.get("CONTENT_TYPE") or None

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased (``""`` if absent)."""
        return mimetype_of(self.content_type)

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters, such as ``charset``."""
        return parse_options_header(self.content_type)[1]

    @property
    def content_length(self) -> int | None:
        """The ``Content-Length`` header as an int.

        None when absent or when the body is chunked; 0 when it is not a plain
        non-negative number (nothing is read then), as in Werkzeug.
        """
        length = self._content_length
        if length is False:
            environ = self._environ
            value = environ.get("CONTENT_LENGTH")
            if (
                value is not None
                and "HTTP_TRANSFER_ENCODING" not in environ
                and value.isdigit()
                and value.isascii()
            ):
                # PERF: the usual plain number is read without more calls.
                length = int(value)
            else:
                length = parse_content_length(value, environ.get("HTTP_TRANSFER_ENCODING"))
            self._content_length = length
        return length

    def _announces_body(self) -> bool:
        """True if the request announces a body: a length above 0, or chunked."""
        length = self.content_length
        return length > 0 if length is not None else self._is_chunked()

    def _is_chunked(self) -> bool:
        """True if the body comes with ``Transfer-Encoding: chunked`` (length unknown)."""
        return is_chunked(self._environ.get("HTTP_TRANSFER_ENCODING"))

    @property
    def is_json(self) -> bool:
        """True for ``application/json`` and ``application/*+json`` bodies."""
        return is_json_mimetype(self.mimetype)

    @property
    def cookies(self) -> RequestDict:
        """The cookies the client sent."""
        cookies = self._cookies
        if cookies is None:
            # The header's bytes are decoded as UTF-8 by the parser, once.
            pairs = parse_cookie_header(self._cookie_header())
            cookies = self._cookies = _request_dict(pairs)
        return cookies

    def _cookie_header(self) -> str | None:
        """The ``Cookie`` header as WSGI carries it (its bytes as latin-1 text)."""
        return self._environ.get("HTTP_COOKIE")

    # -- routing --------------------------------------------------------------

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule."""
        return self.url_rule.endpoint if self.url_rule is not None else None

    @property
    def blueprint(self) -> str | None:
        """The (dotted) name of the blueprint of the matched endpoint, if any."""
        rule = self.url_rule
        if rule is None or "." not in rule.endpoint:
            return None
        return rule.endpoint.rpartition(".")[0]

    @property
    def blueprints(self) -> list[str]:
        """The matched blueprint and those it is nested in, innermost first."""
        name = self.blueprint
        return [] if name is None else list(blueprint_path(name))

    # -- query string ---------------------------------------------------------

    @property
    def args(self) -> RequestDict:
        """The query-string arguments."""
        args = self._args
        if args is None:
            query_string = self.query_string
            options = self.options
            limit = options.max_query_fields
            # SECURITY: the fields are counted before any is parsed (``&`` separates them).
            if limit is not None and query_string.count(b"&") >= limit:
                raise RequestURITooLarge(
                    f"The query string has more than {limit} fields (MAX_QUERY_FIELDS)."
                )
            # Routing checked the path alone against MAX_URL_LENGTH (PERF: most
            # requests never read their query string); with it, the URL is bounded too.
            limit = options.max_url_length
            if limit is not None and len(self.path) + len(query_string) > limit:
                raise RequestURITooLarge(
                    f"The URL is longer than {limit} characters (MAX_URL_LENGTH)."
                )
            query = parse_urlencoded_lists(query_string, max_fields=None)
            args = self._args = _request_lists(query)
        return args

"""The request object: lazy, cached views over a WSGI environ.

(:class:`carafe.asgi_request.ASGIRequest` is the same request read from an
ASGI scope.)

Nothing is parsed until it is asked for, and nothing is parsed twice
(``request.form`` parses the body once; ``request.args`` the query string once).
Bad input becomes a 4xx as in Flask: a missing form key is a 400, malformed JSON
a 400, JSON asked of a non-JSON body a 415, an oversized body a 413.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from carafe.exceptions import (
    BadHost,
    BadRequest,
    BadRequestKeyError,
    ClientDisconnected,
    HTTPException,
    RequestEntityTooLarge,
    RequestURITooLarge,
    SecurityError,
    UnsupportedMediaType,
)
from carafe.http._compiled import mypyc_attr
from carafe.http.caches import remember
from carafe.http.cookies import parse_cookie_header
from carafe.http.datastructures import CombinedMultiDict, FileStorage, ImmutableMultiDict
from carafe.http.forms import FormError, parse_multipart, parse_urlencoded_lists
from carafe.http.headers import (
    EnvironHeaders,
    is_json_mimetype,
    mimetype_of,
    parse_options_header,
)
from carafe.http.hosts import DEFAULT_PORTS, host_is_trusted, parse_host
from carafe.http.nesting import json_depth_exceeds
from carafe.http.urls import iri_path, iri_query
from carafe.options import DEFAULT_OPTIONS, RequestOptions

if TYPE_CHECKING:
    from carafe.routing import Rule

#: The body types ``request.form`` parses.
FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_EMPTY = b""
#: The usual request methods, each mapped to itself (see Request.__init__).
UPPER_METHODS = {
    method: method
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
}


#: Host headers found valid, as text (WSGI) and bytes (ASGI), so a repeated one is
#: checked with a set lookup (see ``Flask.match_request``); a request without one is
#: checked in full (HTTP/1.1 requires it). Bounded: the values come from clients; one
#: not in the set is checked in full.
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
    """The ``User-Agent`` header; ``str(request.user_agent)`` is the raw string."""

    __slots__ = ("string",)

    # Werkzeug 3 no longer parses the header; these stay None.
    platform: str | None = None
    browser: str | None = None
    version: str | None = None
    language: str | None = None

    def __init__(self, string: str) -> None:
        self.string = string

    def __str__(self) -> str:
        return self.string

    def __bool__(self) -> bool:
        return bool(self.string)

    def __repr__(self) -> str:
        return f"<UserAgent {self.string!r}>"


def parse_content_length(value: str | None, transfer_encoding: str | None) -> int | None:
    """A ``Content-Length`` header as an int, as Werkzeug reads it.

    None when absent or when the body is chunked; 0 when it is not a plain
    non-negative number (nothing is read then).
    """
    if value is None or (transfer_encoding is not None and "chunked" in transfer_encoding.lower()):
        return None
    # SECURITY: only plain digits; int() would also take "+5", "5_0" or " -0".
    if not (value.isdigit() and value.isascii()):
        value = value.strip()
    return int(value) if value.isdigit() and value.isascii() else 0


def _decode_wsgi(value: str) -> str:
    """WSGI strings carry raw bytes as latin-1; decode them as UTF-8 as Werkzeug does."""
    # PERF: ASCII, the usual case, needs no transcoding.
    if value.isascii():
        return value
    return value.encode("latin-1").decode("utf-8", "replace")


@mypyc_attr(allow_interpreted_subclasses=True)
class Request:
    """An incoming HTTP request, as Flask's ``request`` presents it."""

    __slots__ = (
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
        self._data = self._json = self._stream = None
        self._max_content_length = self._max_form_memory_size = self._max_form_parts = None
        self._content_length = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url!r} [{self.method}]>"

    # A property, not a plain attribute, so that ASGIRequest can build its environ on
    # first use, and compiled code (mypyc) still reaches that override.
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
        return (self.environ.get("QUERY_STRING") or "").encode("latin-1")

    @property
    def full_path(self) -> str:
        """The path and the query string, joined by ``?`` (always present, as in Werkzeug)."""
        return f"{self.path}?{self.query_string.decode('utf-8', 'replace')}"

    @property
    def scheme(self) -> str:
        """``http`` or ``https``."""
        return self.environ.get("wsgi.url_scheme", "http")  # type: ignore[no-any-return]

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
        return self.environ.get("HTTP_HOST")

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
        """The ``X-Forwarded-For`` chain, or just ``remote_addr``."""
        forwarded = self.environ.get("HTTP_X_FORWARDED_FOR")
        if forwarded:
            return [address.strip() for address in forwarded.split(",")]
        return [self.remote_addr] if self.remote_addr else []

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
        return self.environ.get("CONTENT_TYPE") or None

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
            environ = self.environ
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
        encoding = self.environ.get("HTTP_TRANSFER_ENCODING")
        return encoding is not None and "chunked" in encoding.lower()

    @property
    def is_json(self) -> bool:
        """True for ``application/json`` and ``application/*+json`` bodies."""
        return is_json_mimetype(self.mimetype)

    @property
    def user_agent(self) -> UserAgent:
        """The ``User-Agent`` header."""
        return UserAgent(self.environ.get("HTTP_USER_AGENT", ""))

    @property
    def referrer(self) -> str | None:
        """The ``Referer`` header."""
        return self.environ.get("HTTP_REFERER")

    @property
    def origin(self) -> str | None:
        """The ``Origin`` header."""
        return self.environ.get("HTTP_ORIGIN")

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
        return self.environ.get("HTTP_COOKIE")

    # -- routing --------------------------------------------------------------

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the matched rule."""
        return self.url_rule.endpoint if self.url_rule is not None else None

    @property
    def blueprint(self) -> str | None:
        """The blueprint of the matched endpoint (blueprints are not supported yet)."""
        return None

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

    # -- body -----------------------------------------------------------------

    # Flask 3.1 lets a view or hook set ``request.max_content_length`` and the two form
    # limits on one request; None goes back to the app's (the options').

    @property
    def max_content_length(self) -> int | None:
        """The largest body accepted (``MAX_CONTENT_LENGTH``); larger ones are a 413."""
        limit = self._max_content_length
        return limit if limit is not None else self.options.max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:
        """The largest non-file form field (``MAX_FORM_MEMORY_SIZE``)."""
        limit = self._max_form_memory_size
        return limit if limit is not None else self.options.max_form_memory_size

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    @property
    def max_form_parts(self) -> int | None:
        """The most form fields or parts accepted (``MAX_FORM_PARTS``)."""
        limit = self._max_form_parts
        return limit if limit is not None else self.options.max_form_parts

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value

    @property
    def max_query_fields(self) -> int | None:
        """The most query-string fields accepted (``MAX_QUERY_FIELDS``); more is a 414."""
        return self.options.max_query_fields

    @property
    def max_json_size(self) -> int | None:
        """The largest JSON body :meth:`get_json` parses (``MAX_JSON_SIZE``); larger is a 413."""
        return self.options.max_json_size

    @property
    def max_json_depth(self) -> int | None:
        """The deepest nesting :meth:`get_json` parses (``MAX_JSON_DEPTH``); deeper is a 400."""
        return self.options.max_json_depth

    @property
    def stream(self) -> BinaryIO:
        """The body as a stream, bounded by ``Content-Length`` and ``MAX_CONTENT_LENGTH``."""
        stream = self._stream
        if stream is None:
            stream = self._stream = self._open_stream()
        return stream

    def _input(self) -> BinaryIO | None:
        """The server's body stream (``wsgi.input``), if it gave one."""
        return self.environ.get("wsgi.input")

    def _input_terminated(self) -> bool:
        """True if the server says the stream ends with the body (a chunked body)."""
        return bool(self.environ.get("wsgi.input_terminated"))

    def _open_stream(self) -> BinaryIO:
        source = self._input()
        length = self.content_length
        limit = self.max_content_length
        if source is None:
            return io.BytesIO()
        if length is None:
            # SECURITY: without a length, read only a body the server says ends
            # (chunked); otherwise reading could block on a keep-alive socket.
            if not self._input_terminated():
                return io.BytesIO()
            return cast(BinaryIO, _BoundedStream(source, None, limit))
        if limit is not None and length > limit:
            raise RequestEntityTooLarge()
        return cast(BinaryIO, _BoundedStream(source, length, None))

    def _read_all(self, limit: int | None = None) -> bytes:
        """Read the rest of the body; one longer than ``limit`` (or than
        ``MAX_CONTENT_LENGTH``) is a 413, read no further than the limit.

        PERF: a body of known length not yet touched is read straight from the
        server's stream, without the bounded wrapper.
        """
        source = self._input()
        length = self.content_length
        if self._stream is not None or source is None or length is None:
            return _read_capped(self.stream, limit)
        maximum = self.max_content_length
        if (maximum is not None and length > maximum) or (limit is not None and length > limit):
            raise RequestEntityTooLarge()
        data: bytes = source.read(length) if length else b""
        while len(data) < length:
            chunk = source.read(length - len(data))
            if not chunk:
                raise ClientDisconnected(
                    "The client sent less data than its Content-Length announced."
                )
            data += chunk
        self._stream = _EXHAUSTED
        return data

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> Any:
        """Read the whole body.

        :param cache: keep the bytes so later calls (and ``json``) see them too.
        :param as_text: decode as UTF-8 (invalid bytes replaced).
        :param parse_form_data: parse a form body first; its bytes then read as empty.
        """
        if parse_form_data:
            self._load_form()
        data = self._data
        if data is None:
            data = self._read_all()
            if cache:
                self._data = data
        return data.decode("utf-8", "replace") if as_text else data

    @property
    def data(self) -> bytes:
        """The raw body; empty for form bodies, which go to ``form`` and ``files``."""
        return self.get_data(parse_form_data=True)  # type: ignore[no-any-return]

    @property
    def form(self) -> RequestDict:
        """The fields of a urlencoded or multipart body (a missing key is a 400)."""
        form = self._form
        if form is None:
            self._load_form()
            form = self._form
            assert form is not None
        return form

    @property
    def files(self) -> RequestDict:
        """The uploaded files of a multipart body, as ``FileStorage`` objects."""
        files = self._files
        if files is None:
            self._load_form()
            files = self._files
            assert files is not None
        return files

    @property
    def values(self) -> CombinedMultiDict[str, Any]:
        """``args`` and ``form`` together (``args`` only for GET, as Werkzeug)."""
        if self.method == "GET":
            return CombinedMultiDict([self.args])
        return CombinedMultiDict([self.args, self.form])

    def _load_form(self) -> None:
        if self._form is not None:
            return
        content_type = self.content_type
        # PERF: the exact header of a plain HTML form skips parsing the content type.
        if content_type == "application/x-www-form-urlencoded":
            mimetype = content_type
        else:
            mimetype = mimetype_of(content_type)
        if mimetype not in FORM_MIMETYPES or self._data is not None:
            self._form = self._files = _EMPTY_DICT
            return
        if mimetype == "multipart/form-data":
            try:
                fields, files = self._parse_multipart()
            except FormError as exc:
                # A 413 keeps Flask's default page; the reason stays in the chain.
                if exc.status_code == 413:
                    raise RequestEntityTooLarge() from exc
                raise BadRequest(str(exc)) from exc
            self._form = _request_dict(fields)
            self._files = _request_dict(files) if files else _EMPTY_DICT
        else:
            # An urlencoded body is bounded by MAX_FORM_MEMORY_SIZE, as in Flask, and
            # (unlike Flask, whose MAX_FORM_PARTS counts multipart parts only) its
            # fields by MAX_FORM_PARTS, counted before any is parsed.
            body = self._read_all(self.max_form_memory_size)
            limit = self.max_form_parts
            if limit is not None and body.count(b"&") >= limit:
                raise RequestEntityTooLarge(
                    f"The form has more than {limit} fields (MAX_FORM_PARTS)."
                )
            self._form = _request_lists(parse_urlencoded_lists(body, max_fields=None))
            self._files = _EMPTY_DICT
        self._data = _EMPTY

    def _parse_multipart(self) -> tuple[list[tuple[str, str]], list[tuple[str, FileStorage]]]:
        boundary = self.mimetype_params.get("boundary")
        if not boundary:
            raise BadRequest("The multipart body has no boundary in its Content-Type.")
        stream = self.stream
        return parse_multipart(
            stream,
            boundary=boundary,
            content_length=None,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
        )

    # -- JSON -----------------------------------------------------------------

    @property
    def json(self) -> Any:
        """The body parsed as JSON (a 415 if it is not JSON, a 400 if it is malformed)."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """Parse the body as JSON, as Flask does.

        :param force: parse whatever the content type.
        :param silent: return None instead of failing.
        :param cache: remember the result for later calls.
        """
        cached = self._json
        if cached is not None and cached[0] == silent:
            return cached[1]
        if not (force or self.is_json):
            if silent:
                return None
            return self.on_json_loading_failed(None)
        data = self._data
        if data is None:
            # SECURITY: a JSON body is read no further than MAX_JSON_SIZE (a 413):
            # parsed, it takes tens of times its size in memory.
            data = self._read_all(self.max_json_size)
            if cache:
                self._data = data
        else:
            limit = self.max_json_size
            if limit is not None and len(data) > limit:
                raise RequestEntityTooLarge()
        depth = self.max_json_depth
        if depth is not None and json_depth_exceeds(data, depth):
            if silent:
                return None
            raise BadRequest(f"The JSON body nests deeper than {depth} levels (MAX_JSON_DEPTH).")
        try:
            value = self.options.json_loads(data)
        except (ValueError, RecursionError) as exc:
            # SECURITY: deeply nested JSON exhausts the parser's recursion; that is
            # bad input like any other, not a server error.
            if not silent:
                error = exc if isinstance(exc, ValueError) else ValueError(str(exc))
                return self.on_json_loading_failed(error)
            value = None
        if cache:
            self._json = (silent, value)
        return value

    def on_json_loading_failed(self, exc: ValueError | None) -> Any:
        """Called when JSON cannot be loaded: a 415 for a non-JSON body, else a 400."""
        if exc is None:
            raise UnsupportedMediaType(
                "Did not attempt to load JSON data because the request"
                " Content-Type was not 'application/json'."
            )
        if self.options.debug:
            raise BadRequest(f"Failed to decode JSON object: {exc}")
        raise BadRequest()

    def close(self) -> None:
        """Close the uploaded files."""
        files = self._files
        if files:
            for storages in files.listvalues():
                for storage in storages:
                    storage.close()


class _Exhausted:
    """The stream of a body already read whole: nothing more to read."""

    __slots__ = ()

    def read(self, size: int | None = -1) -> bytes:
        return b""

    def readline(self, size: int | None = -1) -> bytes:
        return b""

    def readable(self) -> bool:
        return True


# PERF: stateless, so one instance serves every request.
_EXHAUSTED = cast(BinaryIO, _Exhausted())


def _read_capped(stream: BinaryIO, limit: int | None) -> bytes:
    """Read ``stream`` to its end; more than ``limit`` bytes is a 413, found after
    reading at most one chunk beyond the limit."""
    if limit is None:
        return stream.read()
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(limit + 1 - size, 64 * 1024))
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLarge()
        chunks.append(chunk)


class _BoundedStream(io.RawIOBase):
    """Reads at most ``length`` bytes of the server's input stream.

    A body shorter than announced is a 400 (``ClientDisconnected``) rather than
    silently truncated data; an unbounded (chunked) body longer than ``limit``
    is a 413.
    """

    def __init__(self, source: BinaryIO, length: int | None, limit: int | None) -> None:
        self._source = source
        self._remaining = length
        self._limit = limit
        self._read_so_far = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        remaining = self._remaining
        if size is None or size < 0:
            chunks: list[bytes] = []
            while self._remaining != 0:
                # PERF: a body of known length is usually read in one call.
                chunk = self.read(self._remaining or 64 * 1024)
                if not chunk:
                    break
                chunks.append(chunk)
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if remaining is not None:
            size = min(size, remaining)
        if size == 0:
            return b""
        chunk = self._source.read(size)
        if remaining is not None:
            if not chunk:
                raise ClientDisconnected(
                    "The client sent less data than its Content-Length announced."
                )
            self._remaining = remaining - len(chunk)
        else:
            self._read_so_far += len(chunk)
            if self._limit is not None and self._read_so_far > self._limit:
                raise RequestEntityTooLarge()
        return chunk

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

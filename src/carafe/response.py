"""The response object: status, headers, body, cookies, and the WSGI call.

Mirrors Flask's ``Response`` (Werkzeug's response with ``text/html`` as the
default mimetype): same constructor, same properties, same bytes on the wire.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Generator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, cast

from carafe.http._compiled import mypyc_attr, speedups
from carafe.http.byteranges import byte_ranges
from carafe.http.caches import remember
from carafe.http.dates import http_date
from carafe.http.etags import ETags, generate_etag, is_resource_modified
from carafe.http.files import FileBody
from carafe.http.headers import KNOWN_NAMES, Headers, is_json_mimetype, mimetype_of
from carafe.http.html import escape_html
from carafe.http.ranges import Range, RangeBody
from carafe.http.status import BODYLESS_CODES, STATUS_LINES, parse_status, status_line
from carafe.http.urls import uri_for_header as uri_for_header
from carafe.response_fields import ResponseFields

# Importable from here too (it was defined here before the header fields moved out).
from carafe.response_fields import content_type_for as content_type_for
from carafe.runner import is_async_body, iterate_async
from carafe.wsgi_apps import call_wsgi_app

if TYPE_CHECKING:
    from http import HTTPStatus

    from carafe.typing import StartResponse, WSGIEnvironment

HeadersLike = Headers | dict[str, Any] | Iterable[tuple[str, Any]]

# Headers that describe a body; a 304 answer drops them, as Werkzeug does (which
# keeps Expires and Content-Location, RFC 9110 section 15.4.5).
_ENTITY_HEADERS = frozenset(
    {
        "allow",
        "content-encoding",
        "content-language",
        "content-length",
        "content-md5",
        "content-range",
        "content-type",
        "last-modified",
    }
)

# PERF: content types seen before (few distinct values per app) skip validation:
# the Content-Type for a mimetype, and content types given whole.
_FOR_MIMETYPE: dict[str, str] = {}
_AS_GIVEN: dict[str, str] = {}
_CONTENT_TYPES_MAX = 256
_new_headers = Headers.__new__


# PERF: the decimal text of body lengths already sent, so a Content-Length is one
# lookup instead of a str() call; bounded, as bodies may echo what clients send.
_LENGTH_TEXTS: dict[int, str] = {}
_LENGTH_TEXTS_MAX = 4096


def _length_text(size: int) -> str:
    """``str(size)``, remembered for the next body of that length."""
    return remember(_LENGTH_TEXTS, size, str(size), _LENGTH_TEXTS_MAX)


def _checked_content_type(value: str, is_mimetype: bool) -> str:
    """The ``Content-Type`` for a mimetype (or a content type given as is), checked
    against header injection."""
    cache = _FOR_MIMETYPE if is_mimetype else _AS_GIVEN
    checked = cache.get(value)
    if checked is None:
        checked = content_type_for(value) if is_mimetype else value
        # SECURITY: the same check every header value gets.
        Headers([("Content-Type", checked)])
        remember(cache, value, checked, _CONTENT_TYPES_MAX)
    return checked


@mypyc_attr(allow_interpreted_subclasses=True)
class Response(ResponseFields):
    """An HTTP response.

    :param response: the body: ``str``, ``bytes``, or an iterable of them
        (streamed as produced).
    :param status: an ``int``, ``HTTPStatus`` or a string such as ``"201 CREATED"``.
    :param headers: a ``Headers``, a dict or a list of ``(name, value)`` pairs.
    :param mimetype: the mimetype; a charset is added for text types.
    :param content_type: the full ``Content-Type``, used as given.
    """

    __slots__ = ("_on_close", "_status", "_status_code", "direct_passthrough", "response")

    response: Iterable[bytes] | Iterable[str] | AsyncIterable[bytes] | AsyncIterable[str]
    direct_passthrough: bool
    _on_close: list[Callable[[], Any]] | None
    _status: str
    _status_code: int

    default_status: ClassVar[int] = 200
    default_mimetype: ClassVar[str | None] = "text/html"
    automatically_set_content_length: ClassVar[bool] = True
    #: The module ``get_json`` parses with; None means the standard library's json.
    json_module: ClassVar[Any] = None

    def __init__(
        self,
        response: Iterable[bytes]
        | Iterable[str]
        | AsyncIterable[bytes]
        | AsyncIterable[str]
        | str
        | bytes
        | bytearray
        | None = None,
        status: int | str | HTTPStatus | None = None,
        headers: HeadersLike | None = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        if status is None:
            code = self._status_code = self.default_status
            # PERF: the default 200 needs no lookup.
            self._status = "200 OK" if code == 200 else status_line(code)
        elif status.__class__ is int:
            # PERF: a plain int code (``return "Created", 201``) is one lookup.
            self._status_code = status
            self._status = STATUS_LINES.get(status) or status_line(status)
        else:
            self._status_code, self._status = parse_status(status)
        self.direct_passthrough = direct_passthrough
        # PERF: most responses never get a call_on_close function: no list for them.
        self._on_close = None
        if headers is None:
            # PERF: without headers to merge, the header list is built directly
            # from a content type validated once per distinct value.
            if content_type is None:
                mimetype = mimetype if mimetype is not None else self.default_mimetype
                if mimetype is not None:
                    content_type = _FOR_MIMETYPE.get(mimetype) or _checked_content_type(
                        mimetype, True
                    )
            else:
                content_type = _AS_GIVEN.get(content_type) or _checked_content_type(
                    content_type, False
                )
            header_list = [] if content_type is None else [("Content-Type", content_type)]
            if type(response) is str:
                response = response.encode()
            # PERF: the list is adopted as it is (Headers._trusted without the call).
            headers_object = self.headers = _new_headers(Headers)
            headers_object._list = header_list
            if type(response) is bytes:
                if self.automatically_set_content_length:
                    size = len(response)
                    try:
                        length = _LENGTH_TEXTS[size]
                    except KeyError:
                        length = _length_text(size)
                    header_list.append(("Content-Length", length))
                self.response = [response]
                return
        else:
            if self._adopt_headers(headers, mimetype, content_type, response):
                return
        if response is None:
            self.response = []
        elif isinstance(response, (str, bytes, bytearray)):
            self.set_data(response)
        else:
            self.response = response

    def _adopt_headers(
        self, headers: HeadersLike, mimetype: str | None, content_type: str | None, body: Any
    ) -> bool:
        """Take the constructor's headers, add ``Content-Type`` and, for a str or
        bytes body, set the body and ``Content-Length``; True if the body was set.

        As in Werkzeug, a header already given is replaced in place (the content
        type only when a mimetype or content type was passed), others are appended.
        """
        adopted = headers if isinstance(headers, Headers) else Headers(headers)
        self.headers = adopted
        items = adopted._list
        # PERF: one pass over the given headers instead of a lookup per header added.
        has_type = has_length = False
        for name, _ in items:
            try:
                lower = KNOWN_NAMES[name]
            except KeyError:
                lower = name.lower()
            if lower == "content-type":
                has_type = True
            elif lower == "content-length":
                has_length = True
        if content_type is None:
            if mimetype is None and not has_type:
                mimetype = self.default_mimetype
            if mimetype is not None:
                content_type = _FOR_MIMETYPE.get(mimetype) or _checked_content_type(mimetype, True)
        else:
            given = content_type
            content_type = _AS_GIVEN.get(given) or _checked_content_type(given, False)
        if content_type is not None:
            if has_type:
                adopted.set("Content-Type", content_type)
            else:
                items.append(("Content-Type", content_type))
        if type(body) is str:
            body = body.encode()
        elif type(body) is not bytes:
            return False
        self.response = [body]
        if self.automatically_set_content_length:
            length = _LENGTH_TEXTS.get(len(body)) or _length_text(len(body))
            if has_length:
                adopted.set("Content-Length", length)
            else:
                items.append(("Content-Length", length))
        return True

    def __repr__(self) -> str:
        if self.is_sequence:
            chunks = cast("list[bytes]", self.response)
            body = f"{sum(len(chunk) for chunk in chunks)} bytes"
        else:
            body = "streamed"
        return f"<{type(self).__name__} {body} [{self._status}]>"

    # -- status ---------------------------------------------------------------

    @property
    def status(self) -> str:
        """The status line, such as ``"404 NOT FOUND"``."""
        return self._status

    @status.setter
    def status(self, value: int | str | HTTPStatus) -> None:
        self._status_code, self._status = parse_status(value)

    @property
    def status_code(self) -> int:
        """The status code; setting an unknown code gives the reason ``UNKNOWN``."""
        return self._status_code

    @status_code.setter
    def status_code(self, code: int) -> None:
        # PERF: known codes are one lookup, without a call.
        self._status = STATUS_LINES.get(code) or status_line(code)
        self._status_code = code

    # -- body -----------------------------------------------------------------

    @property
    def is_sequence(self) -> bool:
        """True when the body is a list or tuple, so its length is known."""
        return isinstance(self.response, (list, tuple))

    @property
    def is_streamed(self) -> bool:
        """True when the body is an iterator of unknown length."""
        return not self.is_sequence

    def get_data(self, as_text: bool = False) -> Any:
        """Return the body as bytes (or text); a streamed body is consumed once and kept."""
        if not isinstance(self.response, list):
            self.response = list(self.iter_encoded())
        data = b"".join(self.iter_encoded())
        return data.decode() if as_text else data

    def set_data(self, value: str | bytes | bytearray) -> None:
        """Replace the body and set ``Content-Length``."""
        if isinstance(value, str):
            value = value.encode()
        elif type(value) is not bytes:
            value = bytes(value)
        self.response = [value]
        if self.automatically_set_content_length:
            self.headers.set("Content-Length", str(len(value)))

    @property
    def data(self) -> bytes:
        """The body as bytes; assigning replaces it."""
        return self.get_data()  # type: ignore[no-any-return]

    @data.setter
    def data(self, value: str | bytes | bytearray) -> None:
        self.set_data(value)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.get_data(as_text=True)  # type: ignore[no-any-return]

    def iter_encoded(self) -> Generator[bytes, None, None]:
        """Iterate over the body as bytes, encoding strings as UTF-8.

        The body is taken when this is called, as in Werkzeug, so the result may
        replace it (a range of it, say). An async iterable body (an async generator)
        is iterated step by step on this thread's event loop; over ASGI it is
        iterated on the server's loop instead, without this method.
        """
        return _encoded(self.response)

    @property
    def is_json(self) -> bool:
        """True for ``application/json`` and ``application/*+json`` bodies."""
        return is_json_mimetype(mimetype_of(self.headers.get("Content-Type")))

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None if it is not JSON."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        """Parse the body as JSON.

        :param force: parse even if the mimetype is not JSON.
        :param silent: return None instead of raising on invalid JSON.
        """
        if not (force or self.is_json):
            return None
        try:
            module = self.json_module
            if module is None:
                import json  # Start-up: loads on first use.

                module = json
            return module.loads(self.get_data())
        except ValueError:
            if silent:
                return None
            raise

    # -- conditional and range requests ---------------------------------------

    def calculate_content_length(self) -> int | None:
        """The body's length when it is known (a list or tuple body), else None.

        Unlike Werkzeug, a streamed body is not read into memory to find out.
        """
        if not isinstance(self.response, (list, tuple)):
            return None
        return sum(len(chunk) for chunk in self.iter_encoded())

    def freeze(self) -> None:
        """Read the whole body into a list, set ``Content-Length`` and add an ``ETag``
        if there is none, so the response can be kept (cached, pickled)."""
        self.response = list(self.iter_encoded())
        self.headers.set("Content-Length", str(sum(len(chunk) for chunk in self.response)))
        self.add_etag()

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        """Set an ``ETag`` from the body's SHA-1 unless there is one (or ``overwrite``)."""
        if overwrite or "ETag" not in self.headers:
            self.set_etag(generate_etag(self.get_data()), weak)

    def make_conditional(
        self,
        request_or_environ: Any,
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> Response:
        """Answer the request's conditional and range headers, as Werkzeug does; for
        GET and HEAD only. Returns this response, changed in place.

        A ``Date`` is added if missing. ``If-None-Match`` or ``If-Modified-Since``
        matching the response's ``ETag`` or ``Last-Modified`` makes it a 304; an
        ``If-Match`` it fails a 412. With ``accept_ranges`` (True for ``bytes``) the
        ``Accept-Ranges`` header is set and, given ``complete_length``, a satisfiable
        ``Range`` (honouring ``If-Range``) makes it a 206 with ``Content-Range`` and
        that part of the body; an unsatisfiable or malformed one raises
        :exc:`~carafe.exceptions.RequestedRangeNotSatisfiable` (416).

        :param request_or_environ: the request, or its WSGI environ.
        :param complete_length: the whole body's length, needed to answer a range.
        """
        environ: Mapping[str, Any] = (
            request_or_environ
            if isinstance(request_or_environ, Mapping)
            else request_or_environ.environ
        )
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self
        headers = self.headers
        if "Date" not in headers:
            headers.set("Date", http_date())
        partial = self._answer_range(environ, complete_length, accept_ranges)
        if not partial and not self._is_modified_for(environ, True):
            self.status_code = 412 if ETags.from_header(environ.get("HTTP_IF_MATCH")) else 304
        if self.automatically_set_content_length and "Content-Length" not in headers:
            length = self.calculate_content_length()
            if length is not None:
                headers.set("Content-Length", str(length))
        return self

    def _answer_range(
        self, environ: Mapping[str, Any], complete_length: int | None, accept_ranges: bool | str
    ) -> bool:
        """Make this a 206 answering the request's ``Range``; False when there is
        nothing to answer (no ``Range``, no length, or an ``If-Range`` that no
        longer matches). A range that cannot be answered is a 416."""
        if not accept_ranges:
            return False
        self.accept_ranges = "bytes" if accept_ranges is True else accept_ranges
        http_range = environ.get("HTTP_RANGE")
        if not complete_length or http_range is None:
            return False
        if "HTTP_IF_RANGE" in environ and self._is_modified_for(environ, False):
            # The client's copy is stale: it gets the whole body (RFC 9110 13.1.5).
            return False
        requested = Range.from_header(http_range)
        if requested is not None and len(requested.ranges) > 1:
            return self._send_ranges(requested, complete_length)
        span = None if requested is None else requested.range_for_length(complete_length)
        if requested is None or span is None:
            _range_not_satisfiable(complete_length)
        self._send_range(span[0], span[1], complete_length, requested.units)
        return True

    def _send_ranges(self, requested: Range, complete_length: int) -> bool:
        """Answer a ``Range`` of several ranges with one ``multipart/byteranges`` body
        (:mod:`carafe.http.byteranges`); False (the whole body) when they ask too
        much, a 416 when none of them can be answered."""
        spans = []
        for one in requested.ranges:
            span = Range(requested.units, [one]).range_for_length(complete_length)
            if span is not None:
                spans.append(span)
        if not spans:
            _range_not_satisfiable(complete_length)
        body = self.response
        answer = byte_ranges(body, spans, complete_length, self.headers.get("Content-Type"))
        if answer is None:
            return False
        self.headers.set("Content-Type", answer.content_type)
        self.headers.set("Content-Length", str(answer.length))
        self.status_code = 206
        self.response = answer
        close = getattr(body, "close", None)
        if close is not None:
            self.call_on_close(close)
        return True

    def _is_modified_for(self, environ: Mapping[str, Any], ignore_if_range: bool) -> bool:
        """True unless the request's conditional headers say its copy is current."""
        return is_resource_modified(
            http_range=environ.get("HTTP_RANGE"),
            http_if_range=environ.get("HTTP_IF_RANGE"),
            http_if_modified_since=environ.get("HTTP_IF_MODIFIED_SINCE"),
            http_if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
            http_if_match=environ.get("HTTP_IF_MATCH"),
            etag=self.headers.get("ETag"),
            last_modified=self.headers.get("Last-Modified"),
            ignore_if_range=ignore_if_range,
        )

    def _send_range(self, start: int, stop: int, complete_length: int, units: str) -> None:
        """Make this the 206 answer of bytes ``start`` to ``stop`` (exclusive)."""
        self.headers.set("Content-Length", str(stop - start))
        self.headers.set("Content-Range", f"{units} {start}-{stop - 1}/{complete_length}")
        self.status_code = 206
        body = self.response
        part = getattr(body, "part", None)
        if part is not None:
            # A body that reads its own ranges (a file's: it seeks instead of reading
            # up to the start, and a server may still send it by path).
            self.response = part(start, stop - start)
        elif type(body) is list and all(type(chunk) is bytes for chunk in body):
            # PERF: a body in memory is sliced at once.
            data = b"".join(cast("list[bytes]", body))
            self.response = [data[start:stop]]
        else:
            self.response = RangeBody(self.iter_encoded(), start, stop - start)
            # The body itself is closed with the response, not left to the collector.
            close = getattr(body, "close", None)
            if close is not None:
                self.call_on_close(close)

    # -- WSGI -----------------------------------------------------------------

    def call_on_close(self, func: Callable[[], Any]) -> Callable[[], Any]:
        """Register ``func`` to run when the server closes the body iterable."""
        if self._on_close is None:
            self._on_close = []
        self._on_close.append(func)
        return func

    def close(self) -> None:
        """Close the body iterable and run the ``call_on_close`` functions."""
        close = getattr(self.response, "close", None)
        if close is not None:
            close()
        if self._on_close:
            for func in self._on_close:
                func()

    def wsgi_headers(self) -> list[tuple[str, str]]:
        """The header list to send: body headers dropped for bodyless codes,
        ``Content-Length`` computed for a body whose length is known."""
        code = self._status_code
        # PERF: headers.to_wsgi_list() without the call: the storage list itself.
        header_list = self.headers._list
        ready = _headers_ready
        # PERF: the usual list, ready to send as it is, is found by one compiled pass.
        if ready is not None and code not in BODYLESS_CODES and ready(header_list, KNOWN_NAMES):
            return header_list
        has_length = needs_uri = False
        # PERF: one pass over the (few) headers finds everything this method needs.
        for name, value in header_list:
            try:
                # PERF: a validated name's lower case is one lookup, without a call.
                lower = KNOWN_NAMES[name]
            except KeyError:
                lower = name.lower()
            if lower == "content-length":
                has_length = True
            elif lower == "location" and value != uri_for_header(value):
                needs_uri = True
        if needs_uri:
            header_list = [
                (name, uri_for_header(value) if name.lower() == "location" else value)
                for name, value in header_list
            ]
        if code in BODYLESS_CODES:
            drop = _ENTITY_HEADERS if code == 304 else {"content-length"}
            return [(name, value) for name, value in header_list if name.lower() not in drop]
        if (
            not has_length
            and self.automatically_set_content_length
            and isinstance(self.response, (list, tuple))
        ):
            length = sum(len(chunk) for chunk in self.iter_encoded())
            header_list = [*header_list, ("Content-Length", str(length))]
        return header_list

    def wsgi_body(self, method: str) -> Iterable[bytes]:
        """The body iterable to hand to the server for a request with ``method``."""
        if method == "HEAD" or self._status_code in BODYLESS_CODES:
            self.close()
            return ()
        body = self.response
        # PERF: the usual body, a list of one bytes object, goes out as it is.
        if type(body) is list and not self._on_close:
            if len(body) == 1 and type(body[0]) is bytes:
                return body
            if all(type(chunk) is bytes for chunk in body):
                return body
        if type(body) is FileBody and body.wrapper and body.whole and not self._on_close:
            # The server's wsgi.file_wrapper sends the file (sendfile, where it can).
            wrapped: Iterable[bytes] = body.wrapper(body.file, body.block_size)
            return wrapped
        return _ClosingBody(self)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve this response as a WSGI application."""
        start_response(self._status, self.wsgi_headers())
        return self.wsgi_body(environ.get("REQUEST_METHOD", "GET"))

    @classmethod
    def force_type(cls, response: Any, environ: WSGIEnvironment | None = None) -> Response:
        """Turn another response object or a WSGI callable into a ``cls`` instance."""
        if isinstance(response, cls):
            return response
        if isinstance(response, Response):
            converted = cls(response.response, status=response.status, headers=response.headers)
            converted._on_close = response._on_close
            return converted
        if not callable(response):
            raise TypeError(f"Cannot convert a {type(response).__name__} into a response object.")
        body, status, headers = call_wsgi_app(response, environ or {})
        converted = cls(body, status=status, headers=headers)
        converted.call_on_close(body.close)
        return converted


def _range_not_satisfiable(complete_length: int) -> NoReturn:
    """Raise the 416 of a range that cannot be answered (``Content-Range: */length``)."""
    # Imported here: the exception's own page is a Response (carafe.exceptions imports
    # this module), as Werkzeug's response imports its exceptions.
    from carafe.exceptions import RequestedRangeNotSatisfiable

    raise RequestedRangeNotSatisfiable(complete_length)


def _encoded(
    body: Iterable[bytes] | Iterable[str] | AsyncIterable[bytes] | AsyncIterable[str],
) -> Generator[bytes, None, None]:
    """The chunks of a body as bytes (see :meth:`Response.iter_encoded`)."""
    if is_async_body(body):
        steps = iterate_async(cast("AsyncIterable[bytes | str]", body))
        try:
            for chunk in steps:
                yield chunk.encode() if isinstance(chunk, str) else chunk
        finally:
            # Closed here, not left to the garbage collector: the async body's
            # own ``finally`` runs when this generator is closed.
            steps.close()
        return
    for chunk in cast("Iterable[bytes | str]", body):
        yield chunk.encode() if isinstance(chunk, str) else chunk


#: The check of a header list ready to send as it is, compiled (carafe/http/_speedups.c);
#: None in pure Python.
_headers_ready = speedups.headers_ready if speedups is not None else None


class _ClosingBody:
    """Iterates over a streamed body as bytes and closes it when the server is done."""

    __slots__ = ("_iterator", "_response")

    def __init__(self, response: Response) -> None:
        self._response = response
        self._iterator: Generator[bytes, None, None] = response.iter_encoded()

    def __iter__(self) -> Iterator[bytes]:
        return self._iterator

    def close(self) -> None:
        # Closing the encoding generator first closes an async body it drives.
        self._iterator.close()
        self._response.close()


_REDIRECT_PAGE = (
    "<!doctype html>\n"
    "<html lang=en>\n"
    "<title>Redirecting...</title>\n"
    "<h1>Redirecting...</h1>\n"
    "<p>You should be redirected automatically to the target URL:"
    ' <a href="{0}">{0}</a>. If not, click the link.\n'
)


def redirect_response(
    location: str, code: int = 302, response_class: type[Response] | None = None
) -> Response:
    """A redirect to ``location`` with Werkzeug's body (the ``Location`` escaped in it):
    what ``redirect()``, ``app.redirect()`` and routing's redirects answer with."""
    response = (response_class or Response)(
        _REDIRECT_PAGE.format(escape_html(location)), code, mimetype="text/html"
    )
    response.headers.set("Location", location)
    return response

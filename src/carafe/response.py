"""The response object: status, headers, body, cookies, and the WSGI call.

Mirrors Flask's ``Response`` (Werkzeug's response with ``text/html`` as the
default mimetype): same constructor, same properties, same bytes on the wire.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Generator, Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, cast

from carafe.http._compiled import mypyc_attr, speedups
from carafe.http.caches import remember
from carafe.http.cookies import dump_cookie
from carafe.http.headers import (
    KNOWN_NAMES,
    Headers,
    is_json_mimetype,
    mimetype_of,
    parse_options_header,
)
from carafe.http.html import escape_html
from carafe.http.status import BODYLESS_CODES, STATUS_LINES, parse_status, status_line
from carafe.http.urls import iri_to_uri
from carafe.runner import is_async_body, iterate_async
from carafe.wsgi_apps import call_wsgi_app

if TYPE_CHECKING:
    from http import HTTPStatus

    from carafe.typing import StartResponse, WSGIEnvironment

HeadersLike = Headers | dict[str, Any] | Iterable[tuple[str, Any]]

# Headers that describe a body; a 304 answer drops them, as Werkzeug does.
_ENTITY_HEADERS = frozenset(
    {
        "allow",
        "content-encoding",
        "content-language",
        "content-length",
        "content-location",
        "content-md5",
        "content-range",
        "content-type",
        "expires",
        "last-modified",
    }
)

# PERF: content types seen before (few distinct values per app) skip validation:
# the Content-Type for a mimetype, and content types given whole.
_FOR_MIMETYPE: dict[str, str] = {}
_AS_GIVEN: dict[str, str] = {}
_CONTENT_TYPES_MAX = 256
_new_headers = Headers.__new__


def uri_for_header(location: str) -> str:
    """The ``Location`` value to send: the IRI as a URI, as Werkzeug sends it.

    A value that is not a parsable URL goes out as it is (it was already checked
    for CR, LF and NUL when it was set).
    """
    try:
        return iri_to_uri(location)
    except ValueError:
        return location


def content_type_for(mimetype: str) -> str:
    """Add ``; charset=utf-8`` to a mimetype when Werkzeug would (text and XML types)."""
    if (
        mimetype.startswith("text/")
        or mimetype in ("application/xml", "application/javascript", "application/ecmascript")
        or mimetype.endswith("+xml")
    ) and "charset" not in mimetype:
        return mimetype + "; charset=utf-8"
    return mimetype


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
class Response:
    """An HTTP response.

    :param response: the body: ``str``, ``bytes``, or an iterable of them
        (streamed as produced).
    :param status: an ``int``, ``HTTPStatus`` or a string such as ``"201 CREATED"``.
    :param headers: a ``Headers``, a dict or a list of ``(name, value)`` pairs.
    :param mimetype: the mimetype; a charset is added for text types.
    :param content_type: the full ``Content-Type``, used as given.
    """

    __slots__ = (
        "_on_close",
        "_status",
        "_status_code",
        "direct_passthrough",
        "headers",
        "response",
    )

    response: Iterable[bytes] | Iterable[str] | AsyncIterable[bytes] | AsyncIterable[str]
    headers: Headers
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

    # -- headers --------------------------------------------------------------

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header (None removes it)."""
        return self.headers.get("Content-Type")

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        self._set_header("Content-Type", value)

    @property
    def mimetype(self) -> str | None:
        """The mimetype: the content type without parameters, lower-cased."""
        content_type = self.headers.get("Content-Type")
        return None if content_type is None else mimetype_of(content_type)

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers.set("Content-Type", content_type_for(value))

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The parameters of the content type, such as ``{"charset": "utf-8"}``."""
        return parse_options_header(self.headers.get("Content-Type"))[1]

    @property
    def content_length(self) -> int | None:
        """The ``Content-Length`` header as an int."""
        value = self.headers.get("Content-Length")
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            return None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is None:
            self.headers.pop("Content-Length", None)
        else:
            self.headers.set("Content-Length", str(int(value)))

    @property
    def location(self) -> str | None:
        """The ``Location`` header (None removes it)."""
        return self.headers.get("Location")

    @location.setter
    def location(self, value: str | None) -> None:
        self._set_header("Location", value)

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

    def _set_header(self, name: str, value: str | None) -> None:
        """Set header ``name``; None removes it."""
        if value is None:
            self.headers.pop(name, None)
        else:
            self.headers.set(name, value)

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

        An async iterable body (an async generator) is iterated step by step on
        this thread's event loop; over ASGI it is iterated on the server's loop
        instead, without this method.
        """
        if is_async_body(self.response):
            steps = iterate_async(cast("AsyncIterable[bytes | str]", self.response))
            try:
                for chunk in steps:
                    yield chunk.encode() if isinstance(chunk, str) else chunk
            finally:
                # Closed here, not left to the garbage collector: the async body's
                # own ``finally`` runs when this generator is closed.
                steps.close()
            return
        for chunk in cast("Iterable[bytes | str]", self.response):
            yield chunk.encode() if isinstance(chunk, str) else chunk

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
        """Add a ``Set-Cookie`` header; ``max_age`` also sets ``Expires``, as Flask does."""
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
            ),
        )

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

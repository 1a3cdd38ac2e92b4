"""The request object: lazy, cached views over a WSGI environ; its head (request
line, headers, query string) is :class:`carafe.request_head.RequestHead`, and this
module adds the body (data, form, files, JSON) and its limits.

(:class:`carafe.asgi_request.ASGIRequest` is the same request read from an
ASGI scope.)

Nothing is parsed until it is asked for, and nothing is parsed twice
(``request.form`` parses the body once; ``request.args`` the query string once).
Bad input becomes a 4xx as in Flask: a missing form key is a 400, malformed JSON
a 400, JSON asked of a non-JSON body a 415, an oversized body a 413.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO, cast

from carafe.exceptions import (
    BadRequest,
    ClientDisconnected,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)
from carafe.http._compiled import mypyc_attr
from carafe.http.datastructures import CombinedMultiDict, FileStorage
from carafe.http.forms import FormError, parse_multipart, parse_urlencoded_lists
from carafe.http.header_values import mimetype_of
from carafe.http.nesting import json_depth_exceeds
from carafe.request_body import _EXHAUSTED, _BoundedStream, _read_capped
from carafe.request_fields import RequestFields
from carafe.request_head import _EMPTY_DICT, _request_dict, _request_lists

# Importable from here too (as Werkzeug's wrappers have them beside Request).
from carafe.request_head import RequestDict as RequestDict
from carafe.request_head import RequestHeaders as RequestHeaders
from carafe.request_head import UserAgent as UserAgent

#: The body types ``request.form`` parses.
FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_EMPTY = b""


@mypyc_attr(allow_interpreted_subclasses=True)
class Request(RequestFields):
    """An incoming HTTP request, as Flask's ``request`` presents it.

    Besides what it declares, it takes attributes of an app's own
    (``request.user = ...``), as Flask's does.
    """

    __slots__ = ()

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
        return self._environ.get("wsgi.input")

    def _input_terminated(self) -> bool:
        """True if the server says the stream ends with the body (a chunked body)."""
        return bool(self._environ.get("wsgi.input_terminated"))

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

"""Form bodies: ``application/x-www-form-urlencoded`` and ``multipart/form-data``.

Both parsers are bounded: too many fields, too large a field or too many parts
raise :class:`FormTooLarge` (413) and a body that is not what it claims to be
raises :class:`MalformedForm` (400). Nothing is silently dropped or truncated.
The multipart parser is the ``multipart`` library, imported on first use.
"""

from __future__ import annotations

import codecs
import re
from typing import IO, ClassVar, Protocol

from carafe.http._compiled import mypyc_attr, speedups

from .datastructures import FileStorage, group_pairs
from .headers import Headers, parse_options_header

__all__ = [
    "FormError",
    "FormTooLarge",
    "MalformedForm",
    "parse_multipart",
    "parse_urlencoded",
    "parse_urlencoded_lists",
]


@mypyc_attr(allow_interpreted_subclasses=True)
class FormError(ValueError):
    """A request body that cannot be parsed as the form it claims to be."""

    #: The HTTP status the framework answers with.
    status_code: ClassVar[int] = 400


@mypyc_attr(allow_interpreted_subclasses=True)
class MalformedForm(FormError):
    """The form body is not valid (400 Bad Request)."""

    status_code = 400


@mypyc_attr(allow_interpreted_subclasses=True)
class FormTooLarge(FormError):
    """The form exceeds a configured limit (413 Content Too Large)."""

    status_code = 413


class Readable(Protocol):
    """Anything with a binary ``read(size)``, such as ``wsgi.input``."""

    def read(self, size: int, /) -> bytes: ...


# -- urlencoded ----------------------------------------------------------------


def _requote_undecodable(error: UnicodeError) -> tuple[str, int]:
    # Percent-escaped bytes that are not UTF-8 stay percent-escaped ("%E9"),
    # as Werkzeug leaves them.
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return "".join(f"%{byte:02X}" for byte in bad), error.end


codecs.register_error("carafe.requote", _requote_undecodable)


def _unquote_plus(text: str) -> str:
    # PERF: most names and values hold neither '+' nor '%'.
    if "+" in text:
        text = text.replace("+", " ")
    if "%" in text:
        from urllib.parse import unquote  # Start-up: urllib.parse loads on first use.

        return unquote(text, "utf-8", "carafe.requote")
    return text


def parse_urlencoded(body: bytes, *, max_fields: int | None = 1000) -> list[tuple[str, str]]:
    """Parse an urlencoded form body or query string into ``(name, value)`` pairs.

    Werkzeug 3.1 semantics: only ``&`` separates fields, ``+`` is a space,
    invalid percent-escapes stay literal, percent-escaped bytes that are not
    UTF-8 stay escaped (``%E9``), a field without ``=`` gets ``""`` and empty
    fields are skipped. Raw bytes that are not UTF-8 become U+FFFD.

    :param body: the body, or a query string encoded as latin-1.
    :param max_fields: more fields than this raise :class:`FormTooLarge`;
        ``None`` for no limit.
    """
    if not body:
        return []
    # SECURITY: raw invalid UTF-8 is replaced rather than raising (Werkzeug raises
    # for a query string and drops the whole form body).
    return _pairs(body.decode("utf-8", "replace"), max_fields)


def parse_urlencoded_lists(
    body: bytes | bytearray, *, max_fields: int | None = 1000
) -> dict[str, list[str]]:
    """:func:`parse_urlencoded`, grouped: each name with its values in order."""
    if not body:
        return {}
    if _native_lists is not None and body.__class__ is bytes:
        # PERF: the compiled parser (_speedups.c), same results.
        lists = _native_lists(body, max_fields)
        if lists.__class__ is int:
            raise _too_many_fields(lists, max_fields)
        return lists  # type: ignore[return-value]
    return _parse_lists(body, max_fields)


def _parse_lists(body: bytes | bytearray, max_fields: int | None) -> dict[str, list[str]]:
    # The pure-Python parse_urlencoded_lists, the reference for the compiled one.
    text = body.decode("utf-8", "replace")
    if max_fields is not None or "+" in text or "%" in text:
        return group_pairs(_pairs(text, max_fields))
    # PERF: nothing to unquote and no limit (request.form and request.args): the
    # fields go straight into the dict, with no calls per field but one.
    lists: dict[str, list[str]] = {}
    for segment in text.split("&"):
        if segment:
            name, _, value = segment.partition("=")
            if name in lists:
                lists[name].append(value)
            else:
                lists[name] = [value]
    return lists


_native_lists = speedups.urlencoded_lists if speedups is not None else None


def _too_many_fields(count: int, max_fields: int | None) -> FormTooLarge:
    return FormTooLarge(f"The form has {count} fields, more than the limit of {max_fields}.")


def _pairs(text: str, max_fields: int | None) -> list[tuple[str, str]]:
    segments = text.split("&")
    if max_fields is not None and len(segments) > max_fields:
        count = sum(1 for segment in segments if segment)
        if count > max_fields:
            raise _too_many_fields(count, max_fields)
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    if "+" not in text and "%" not in text:
        # PERF: nothing to unquote anywhere (the usual small form): no calls per field.
        for segment in segments:
            if segment:
                name, _, value = segment.partition("=")
                append((name, value))
        return pairs
    for segment in segments:
        if not segment:
            continue
        name, _, value = segment.partition("=")
        append((_unquote_plus(name), _unquote_plus(value)))
    return pairs


# -- multipart -----------------------------------------------------------------

# RFC 2046 section 5.1.1 allows at most 70 characters; like Werkzeug, accept up
# to 200 printable ASCII characters not ending in a space.
_BOUNDARY_RE = re.compile(r"[ -~]{0,199}[!-~]")
# The Content-Disposition of a text field as browsers send it: only a quoted name
# holding nothing escaped (no backslash, and no '%': browsers send '"' as %22).
_PLAIN_FIELD = re.compile(r'form-data; name="([^"%\\\x00-\x1f\x7f]*)"')
# Part charsets honoured for text fields; anything else is read as UTF-8.
_FIELD_CHARSETS = frozenset(["ascii", "us-ascii", "utf-8", "iso-8859-1"])


def _from_latin1(text: str) -> str:
    # The parser decodes part headers as latin-1 so it never fails; recover the
    # UTF-8 that browsers send, replacing anything invalid.
    if text.isascii():
        return text
    return text.encode("latin-1").decode("utf-8", "replace")


def parse_multipart(
    stream: Readable,
    *,
    boundary: str,
    content_length: int | None,
    max_form_memory_size: int | None = 500_000,
    max_form_parts: int | None = 1000,
    spool_max_size: int = 500 * 1024,
    chunk_size: int = 64 * 1024,
) -> tuple[list[tuple[str, str]], list[tuple[str, FileStorage]]]:
    """Parse a ``multipart/form-data`` body into form fields and files.

    A part whose ``Content-Disposition`` has a ``filename`` parameter (even an
    empty one) becomes a :class:`FileStorage` over a spooled temporary file,
    rewound to the start; other parts become strings decoded as UTF-8 (or the
    part's ``ascii``/``iso-8859-1`` charset) with invalid bytes replaced. An
    empty body gives no fields.

    :param stream: the body; read with ``read(n)``, at most ``content_length``
        bytes, or until EOF if that is ``None``.
    :param boundary: the ``boundary`` parameter of the ``Content-Type``.
    :param max_form_memory_size: the largest non-file field, in bytes.
    :param max_form_parts: the most parts the body may have.
    :param spool_max_size: file parts larger than this spill to disk.
    :raises FormTooLarge: a limit is exceeded.
    :raises MalformedForm: the body is truncated or not valid multipart.
    """
    if not boundary or _BOUNDARY_RE.fullmatch(boundary) is None:
        raise MalformedForm(f"Invalid multipart boundary {boundary!r}.")
    if content_length is not None and content_length < 0:
        raise MalformedForm(f"Invalid Content-Length {content_length}.")

    # PERF: the parser library and tempfile load only when a multipart body arrives.
    from tempfile import SpooledTemporaryFile

    import multipart  # type: ignore[import-untyped]

    parser = _push_parser_class()(
        boundary,
        content_length=-1 if content_length is None else content_length,
        max_segment_count=float("inf") if max_form_parts is None else max_form_parts,
        header_charset="latin-1",
    )
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, FileStorage]] = []
    remaining = content_length
    first = True
    # SECURITY: the preamble (anything before the first boundary) is skipped here, not by
    # the parser library, which decides whether the first boundary is preceded by CRLF
    # from the chunk it sees: a body it refuses read whole, it would accept read in
    # other chunks (a client chooses the chunks, as ASGI body messages). Here the
    # answer does not depend on the chunks: the first ``--boundary`` must open the body
    # or a line (after CRLF, LF or CR, as Werkzeug allows).
    opener = b"--" + boundary.encode("ascii")
    preamble: bytes | None = b""  # Its end, kept while the first boundary is looked for.
    # State of the part being read.
    name = ""
    headers: Headers | None = None
    filename: str | None = None
    charset = "utf-8"
    spool: IO[bytes] | None = None
    chunks: list[bytes] = []
    size = 0

    parsed = False
    try:
        while not parser.closed:
            if remaining is None:
                chunk = stream.read(chunk_size)
            elif remaining > 0:
                chunk = stream.read(min(chunk_size, remaining))
                remaining -= len(chunk)
            else:
                chunk = b""
            if first:
                if not chunk:
                    parsed = True
                    return [], []
                first = False
            if preamble is not None and chunk:
                chunk = preamble + chunk
                start = chunk.find(opener)
                if start == -1:
                    # Keep what may begin a boundary, and the byte before it.
                    preamble = chunk[-len(opener) :]
                    continue
                if start > 0 and chunk[start - 1] not in b"\r\n":
                    raise MalformedForm(
                        "The multipart form is malformed: unexpected bytes in front of"
                        " the first boundary."
                    )
                chunk = chunk[start:]
                preamble = None
            for event in parser.parse(chunk):
                if isinstance(event, bytes):
                    if spool is not None:
                        spool.write(event)
                        continue
                    size += len(event)
                    if max_form_memory_size is not None and size > max_form_memory_size:
                        raise FormTooLarge(
                            f"The form field {name!r} is larger than the limit of"
                            f" {max_form_memory_size} bytes."
                        )
                    chunks.append(event)
                elif event is None:
                    assert headers is not None
                    if spool is not None:
                        spool.seek(0)
                        files.append((name, FileStorage(spool, filename, name, headers=headers)))
                        spool = None
                    else:
                        fields.append((name, b"".join(chunks).decode(charset, "replace")))
                else:
                    headers = _part_headers(event.headerlist)
                    disposition = headers.get("Content-Disposition")
                    plain = _PLAIN_FIELD.fullmatch(disposition) if disposition else None
                    if plain is not None:
                        # PERF: a text field as browsers send it, without parsing.
                        name = plain[1]
                        filename = None
                    else:
                        # Name and filename as Werkzeug reads them (RFC 2231
                        # `filename*=` included), not the parser library's way.
                        _, params = parse_options_header(disposition)
                        name = params.get("name", "")
                        filename = params.get("filename")
                    chunks = []
                    size = 0
                    part_charset = (event.charset or "").lower()
                    charset = part_charset if part_charset in _FIELD_CHARSETS else "utf-8"
                    if filename is not None:
                        # Handed to FileStorage, or closed in the finally block on failure.
                        spool = SpooledTemporaryFile(max_size=spool_max_size, mode="w+b")  # noqa: SIM115
        parsed = True
    except multipart.ParserLimitReached as exc:
        raise FormTooLarge(f"The multipart form exceeds a limit: {exc}.") from None
    except multipart.MultipartError as exc:
        raise MalformedForm(f"The multipart form is malformed: {exc}.") from None
    finally:
        if not parsed:
            # Whatever went wrong, no temporary file is left open.
            if spool is not None:
                spool.close()
            for _, storage in files:
                storage.close()
    return fields, files


def _push_parser_class() -> type:
    """The push parser (carafe/http/_multipart.py), imported on the first multipart form."""
    from ._multipart import PushParser

    return PushParser


def _part_headers(headerlist: list[tuple[str, str]]) -> Headers:
    try:
        return Headers([(key, _from_latin1(value)) for key, value in headerlist])
    except ValueError as exc:
        # SECURITY: part headers are client input; one Headers refuses (a NUL,
        # a bare CR) makes the form malformed rather than a 500.
        raise MalformedForm(f"The multipart form has an invalid part header: {exc}") from None

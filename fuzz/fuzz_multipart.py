"""Fuzz the multipart/form-data parser (carafe/http/forms.py) on raw bodies.

Documented outcomes: ``(fields, files)`` with ``str`` field names and values and
:class:`FileStorage` files, or a :class:`FormError` (:class:`MalformedForm` for a
body or boundary that is not valid, :class:`FormTooLarge` past a limit). The
body is read in chunks, so the outcome must not depend on the chunk size: the
same body read 7, 64 and 65536 bytes at a time gives the same fields, the same
files (name, filename, headers and content) or the same error class.
"""

from __future__ import annotations

import io
from typing import Any

from _runner import instrumented, run

with instrumented("multipart"):
    from carafe.http.datastructures import FileStorage
    from carafe.http.forms import FormError, parse_multipart

SEEDS = [
    b'\x00--BOUND\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
    b'--BOUND\r\nContent-Disposition: form-data; name="f"; filename="x.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\nfile body\r\n--BOUND--\r\n",
    b"\x01--BOUND\r\nContent-Disposition: form-data; name*=UTF-8''%C3%A9;"
    b" filename*=utf-8''caf%C3%A9.txt\r\nContent-Type: text/plain; charset=iso-8859-1"
    b"\r\n\r\n\xe9\r\n--BOUND--",
    b'\x82--BOUND\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--BOUND--\r\n',
    b"\x80xyz\n--xyz\r\nContent-Disposition: form-data; name=a\r\n\r\n--xy\r\n--xyz--\r\n",
    b"\x03--BOUND\r\n\r\n\r\n--BOUND\r\nContent-Disposition: form-data\r\n\r\n--BOUND--",
]

CHUNK_SIZES = (7, 64, 65536)


def outcome(body: bytes, boundary: str, options: int, chunk_size: int) -> Any:
    """What parsing gives, in a form two parses can be compared by."""
    try:
        fields, files = parse_multipart(
            io.BytesIO(body),
            boundary=boundary,
            content_length=len(body) if options & 1 else None,
            max_form_memory_size=64 if options & 2 else 500_000,
            max_form_parts=3 if options & 4 else 1000,
            spool_max_size=16 if options & 8 else 500 * 1024,
            chunk_size=chunk_size,
        )
    except FormError as exc:
        return type(exc)
    assert all(type(name) is str and type(value) is str for name, value in fields)
    described = []
    for name, storage in files:
        assert type(name) is str and isinstance(storage, FileStorage)
        try:
            described.append(
                (name, storage.filename, storage.headers.items(), storage.stream.read())
            )
        finally:
            storage.close()
    return fields, described


def test_one_input(data: bytes) -> None:
    if not data:
        return
    options, rest = data[0], data[1:]
    if options & 0x80:
        # The boundary is fuzzed too: the first line.
        line, _, body = rest.partition(b"\n")
        boundary = line.decode("latin-1")
    else:
        boundary, body = "BOUND", rest
    outcomes = [outcome(body, boundary, options, size) for size in CHUNK_SIZES]
    assert outcomes[0] == outcomes[1] == outcomes[2], (body, boundary, options, outcomes)


if __name__ == "__main__":
    run(test_one_input, SEEDS, max_len=8192)

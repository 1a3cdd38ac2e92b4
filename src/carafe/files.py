"""Sending files, as Flask's ``send_file`` and ``send_from_directory``.

A file goes out as a :class:`~carafe.http.files.FileBody`: handed whole to a WSGI
server's ``wsgi.file_wrapper`` or to an ASGI server's ``http.response.pathsend``
when they have one, read in blocks in the thread pool otherwise (never on the
event loop). Responses are conditional by default: ``ETag`` and ``Last-Modified``
answer ``If-None-Match``/``If-Modified-Since`` with 304, and ``Range`` requests get
206 (one range), ``multipart/byteranges`` (several) or 416.
"""

from __future__ import annotations

import io
import mimetypes
import os
from collections.abc import Callable
from datetime import datetime
from time import time
from typing import IO, TYPE_CHECKING, Any
from unicodedata import normalize
from urllib.parse import quote
from zlib import adler32

from carafe.ctx import _NO_REQUEST, get_request_context
from carafe.exceptions import NotFound
from carafe.http.caches import remember
from carafe.http.files import FileBody, safe_join
from carafe.http.header_values import quote_header_value
from carafe.http.headers import Headers

if TYPE_CHECKING:
    from carafe.response import Response

__all__ = ["safe_join", "send_file", "send_from_directory"]


def send_file(
    path_or_file: os.PathLike[str] | str | IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: int | Callable[[str | None], int | None] | None = None,
) -> Response:
    """A response with the contents of a file, in the current request.

    :param path_or_file: a path (relative ones are under the app's ``root_path``;
        never pass a path from the user: use :func:`send_from_directory`), or a
        binary file object (``download_name`` or ``mimetype`` is then needed).
    :param mimetype: guessed from ``download_name`` (or the path) when not given.
    :param as_attachment: ``Content-Disposition: attachment`` (the browser saves
        the file) instead of ``inline``.
    :param download_name: the file name the browser sees (the path's by default).
    :param conditional: answer conditional and range requests (304, 206, 416).
    :param etag: compute an ETag from the path (True), use this one (a str), or none.
    :param last_modified: the ``Last-Modified`` time; the file's by default.
    :param max_age: seconds the browser may cache it (``Cache-Control: public``); by
        default the app's ``get_send_file_max_age`` (``SEND_FILE_MAX_AGE_DEFAULT``:
        None, so browsers revalidate with a conditional request each time).
    """
    ctx = get_request_context()
    if ctx is None:
        raise RuntimeError(_NO_REQUEST)
    app = ctx.app
    request = ctx.request
    path: str | None = None
    file: IO[bytes] | None = None
    size: int | None = None
    mtime: float | None = None
    if isinstance(path_or_file, (str, os.PathLike)):
        # (Absolute: an ASGI server sends it by this path, http.response.pathsend.)
        path = os.path.abspath(os.path.join(app.root_path, os.fspath(path_or_file)))
        stat = os.stat(path)
        size = stat.st_size
        mtime = stat.st_mtime
    else:
        file = path_or_file
    if download_name is None and path is not None:
        download_name = os.path.basename(path)
    headers = Headers()
    if mimetype is None:
        if download_name is None:
            raise TypeError(
                "Unable to detect the MIME type because a file name is not available."
                " Either set 'download_name', pass a path instead of a file, or set"
                " 'mimetype'."
            )
        mimetype, encoding = mimetypes.guess_type(download_name)
        mimetype = mimetype or "application/octet-stream"
        # (Not for attachments: browsers would save a .tar.gz decompressed.)
        if encoding is not None and not as_attachment:
            headers.set("Content-Encoding", encoding)
    if download_name is not None:
        headers.set("Content-Disposition", _disposition(as_attachment, download_name))
    elif as_attachment:
        raise TypeError("No name provided for attachment.")
    body: FileBody | None = None
    if app.config["USE_X_SENDFILE"] and path is not None:
        headers.set("X-Sendfile", path)
    else:
        if file is None:
            assert path is not None
            file = open(path, "rb")  # noqa: SIM115 (the response closes it)
        elif isinstance(file, io.BytesIO):
            size = file.getbuffer().nbytes
        elif isinstance(file, io.TextIOBase):
            raise ValueError("Files must be opened in binary mode or use BytesIO.")
        body = FileBody(file, path=path, wrapper=request.environ.get("wsgi.file_wrapper"))
    response = app.response_class(
        body, mimetype=mimetype, headers=headers, direct_passthrough=True
    )
    try:
        return _finish(
            app, request, response, path, size, mtime, etag, last_modified, max_age, conditional
        )
    except BaseException:
        # (The file is closed by the response that would have sent it.)
        response.close()
        raise


def _finish(
    app: Any,
    request: Any,
    response: Response,
    path: str | None,
    size: int | None,
    mtime: float | None,
    etag: bool | str,
    last_modified: datetime | int | float | None,
    max_age: int | Callable[[str | None], int | None] | None,
    conditional: bool,
) -> Response:
    """:func:`send_file`'s headers and conditional answer for the file's response."""
    if size is not None:
        response.headers.set("Content-Length", str(size))
    if last_modified is None:
        last_modified = mtime
    if last_modified is not None:
        response.last_modified = last_modified
    response.cache_control.no_cache = True
    if max_age is None:
        max_age = app.get_send_file_max_age
    age = max_age(path) if callable(max_age) else max_age
    if age is not None:
        if age > 0:
            response.cache_control.no_cache = None
            response.cache_control.public = True
        response.cache_control.max_age = age
        response.expires = int(time() + age)
    if isinstance(etag, str):
        response.set_etag(etag)
    elif etag and path is not None:
        check = adler32(path.encode()) & 0xFFFFFFFF
        response.set_etag(f"{mtime}-{size}-{check}")
    if conditional:
        response = response.make_conditional(request, accept_ranges=True, complete_length=size)
        if response.status_code == 304:
            # Some X-Sendfile servers would send the file despite the 304.
            response.headers.remove("X-Sendfile")
    return response


def _disposition(as_attachment: bool, name: str) -> str:
    kind = "attachment" if as_attachment else "inline"
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        # An ASCII fallback for old clients, and the exact name in RFC 5987 form.
        simple = normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        quoted = quote(name, safe="!#$&+-.^_`|~")
        return f"{kind}; filename={quote_header_value(simple)}; filename*=UTF-8''{quoted}"
    return f"{kind}; filename={quote_header_value(name)}"


_REAL_FOLDERS: dict[str, str] = {}


def send_from_directory(
    directory: os.PathLike[str] | str, path: os.PathLike[str] | str, **kwargs: Any
) -> Response:
    """:func:`send_file` for ``path`` (from the user: a URL, a form) inside
    ``directory``; 404 for anything that would leave it (``..``, absolute paths,
    backslashes, NUL bytes, Windows device names, symbolic links pointing out) or
    is not a file. ``directory`` is under the app's ``root_path`` when relative."""
    ctx = get_request_context()
    if ctx is None:
        raise RuntimeError(_NO_REQUEST)
    base = os.path.join(ctx.app.root_path, os.fspath(directory))
    joined = safe_join(base, os.fspath(path))
    if joined is None:
        raise NotFound()
    real_base = _REAL_FOLDERS.get(base)
    if real_base is None:
        # PERF: a folder's real path, worked out once (a static folder serves often).
        real_base = remember(_REAL_FOLDERS, base, os.path.realpath(base), 256)
    real = os.path.realpath(joined)
    if not real.startswith(real_base.rstrip(os.sep) + os.sep) or not os.path.isfile(real):
        raise NotFound()
    return send_file(joined, **kwargs)

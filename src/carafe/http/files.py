"""Files as response bodies, and joining untrusted paths onto a directory safely.

:func:`safe_join` is the one gate between a URL and the file system: what it
refuses never reaches ``open``. :class:`FileBody` is a file (or a part of one) as a
body: iterated in blocks where it has to be, or handed whole to a server that sends
files itself (``wsgi.file_wrapper``, ASGI's ``http.response.pathsend``).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterator
from typing import IO, Any

__all__ = ["FileBody", "safe_join"]

# Windows' reserved device names, refused as any path component with any extension
# (``NUL``, ``con.txt``, ``COM1.log``): opening one there reads or writes a device.
_DEVICE_NAME = re.compile(
    r"(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9\u00b9\u00b2\u00b3]|LPT[0-9\u00b9\u00b2\u00b3])"
    r"(?:\..*)?",
    re.IGNORECASE,
)
# A drive (``C:``) or an alternate data stream (``file:stream``) on Windows.
_COLON = ":"


def _unsafe_component(part: str) -> bool:
    # Windows also drops trailing dots and spaces: "NUL " and "con." are devices.
    stripped = part.rstrip(". ")
    return bool(_DEVICE_NAME.fullmatch(stripped)) or (part != stripped and part not in {".", ".."})


def safe_join(directory: str, *pathnames: str) -> str | None:
    """``directory`` joined with the untrusted ``pathnames``; None when one of them
    could name something outside ``directory`` on any platform.

    Refused: ``..`` segments that climb out (after normalising, so
    ``a/../../x`` too), absolute paths, backslashes, NUL bytes, drive letters and
    ``:`` streams, and Windows device names (``NUL``, ``CON.txt``). Symbolic links
    are not resolved here: :func:`carafe.send_from_directory` checks the real path.
    """
    parts: list[str] = []
    for name in pathnames:
        if not name:
            continue
        if "\0" in name or "\\" in name or _COLON in name:
            return None
        normal = posixpath.normpath(name)
        if (
            normal.startswith("/")
            or normal == ".."
            or normal.startswith("../")
            or os.path.isabs(normal)
            or any(_unsafe_component(part) for part in normal.split("/"))
        ):
            return None
        parts.append(normal)
    if not parts:
        return directory
    return posixpath.join(directory, *parts)


class FileBody:
    """A file as a response body: ``length`` bytes from ``offset`` (None: from where
    the file is, to its end), read ``block_size`` bytes at a time.

    :param path: the file's path when it has one, so a server can send it itself.
    :param wrapper: the WSGI server's ``wsgi.file_wrapper``, when the request had one.
    """

    __slots__ = ("block_size", "file", "length", "offset", "path", "wrapper")

    def __init__(
        self,
        file: IO[bytes],
        *,
        path: str | None = None,
        offset: int | None = None,
        length: int | None = None,
        block_size: int = 64 * 1024,
        wrapper: Callable[[Any, int], Any] | None = None,
    ) -> None:
        self.file = file
        self.path = path
        self.offset = offset
        self.length = length
        self.block_size = block_size
        self.wrapper = wrapper

    @property
    def whole(self) -> bool:
        """True when the body is the whole file, from its start."""
        return not self.offset and self.length is None

    def part(self, offset: int, length: int) -> FileBody:
        """The same file, ``length`` bytes from ``offset`` (an absolute position)."""
        return FileBody(
            self.file,
            path=self.path,
            offset=offset,
            length=length,
            block_size=self.block_size,
            wrapper=None,
        )

    def read_range(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset`` (fewer if the file ends first)."""
        self.file.seek(offset)
        return self.file.read(length)

    def __iter__(self) -> Iterator[bytes]:
        file = self.file
        if self.offset is not None:
            file.seek(self.offset)
        remaining = self.length
        block_size = self.block_size
        while remaining is None or remaining > 0:
            chunk = file.read(block_size if remaining is None else min(block_size, remaining))
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk

    def close(self) -> None:
        """Close the file."""
        self.file.close()

    def __repr__(self) -> str:
        where = self.path or repr(self.file)
        return f"<FileBody {where} offset={self.offset} length={self.length}>"

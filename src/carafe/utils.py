"""Helpers for handling client input safely, mirroring ``werkzeug.utils``.

Only :func:`secure_filename` so far: the name an uploaded file may be saved
under, derived from the name the client sent (``FileStorage.filename``, which
is reported exactly as sent and must never be used as a path).
"""

from __future__ import annotations

import os
import re
import unicodedata

__all__ = ["secure_filename"]

# Anything but these is dropped from a filename.
_UNSAFE_FILENAME_CHARS_RE = re.compile(r"[^A-Za-z0-9_.-]+")
# Names Windows maps to devices whatever the extension ("CON.txt" too). Only
# ASCII letters and digits survive the filtering, so no other spelling can occur.
_WINDOWS_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"{prefix}{digit}" for prefix in ("COM", "LPT") for digit in range(1, 10)]
)


def secure_filename(filename: str) -> str:
    """Reduce ``filename`` to a name that is safe to save a file under.

    The result holds only ASCII letters, digits, ``_``, ``.`` and ``-``: accents
    are decomposed and other non-ASCII characters dropped, path separators and
    whitespace become ``_``, and leading or trailing dots and underscores are
    stripped, so no ``..`` or absolute path survives. On Windows a device name
    such as ``CON`` or ``nul.txt`` is prefixed with ``_``. The result may be
    ``""``; callers should then pick a name of their own.

    Gives the same result as ``werkzeug.utils.secure_filename``, on the same
    platform: ``"../../etc/passwd"`` gives ``"etc_passwd"``.

    :param filename: the name as the client sent it.
    """
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    # SECURITY: separators are read at call time, as the platform defines them:
    # a backslash is a separator on Windows and an ordinary (dropped) character
    # elsewhere.
    for separator in (os.sep, os.path.altsep):
        if separator:
            ascii_name = ascii_name.replace(separator, " ")
    words = ascii_name.split()
    safe_name = _UNSAFE_FILENAME_CHARS_RE.sub("", "_".join(words)).strip("._")
    # SECURITY: opening "CON" or "nul.txt" on Windows opens a device, not a file.
    if os.name == "nt" and safe_name.partition(".")[0].upper() in _WINDOWS_DEVICE_NAMES:
        safe_name = "_" + safe_name
    return safe_name

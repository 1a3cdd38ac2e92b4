"""The optional compiled helpers, ``carafe._speedups`` (src/carafe/_speedups.c).

``speedups`` is the extension module, or None where it was not built (no C
compiler at install) or ``CARAFE_NO_SPEEDUPS`` is set to a non-empty value in
the environment. Every module that uses it keeps a pure-Python version, which
is the reference; the tests run both.
"""

from __future__ import annotations

import os

#: The interface version of _speedups.c this Python code is written for. A build left
#: over from another version (an editable install not rebuilt) is not used.
VERSION = 12

try:
    if os.environ.get("CARAFE_NO_SPEEDUPS"):
        raise ImportError("CARAFE_NO_SPEEDUPS is set")
    from carafe import _speedups as speedups

    if getattr(speedups, "VERSION", None) != VERSION:
        raise ImportError(f"carafe._speedups is not version {VERSION}: rebuild it")
except ImportError:
    speedups = None  # type: ignore[assignment]

__all__ = ["speedups"]

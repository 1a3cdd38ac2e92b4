"""The optional compiled leaf functions, ``carafe.http._speedups`` (_speedups.c here).

``speedups`` is the extension module, or None where it was not built (no C
compiler at install) or ``CARAFE_NO_SPEEDUPS`` is set to a non-empty value in
the environment. Every function in it has a pure-Python twin, which is the
reference; the tests run both.
"""

from __future__ import annotations

import os

#: The interface version of _speedups.c this Python code is written for. A build left
#: over from another version (an editable install not rebuilt) is not used.
VERSION = 1

try:
    if os.environ.get("CARAFE_NO_SPEEDUPS"):
        raise ImportError("CARAFE_NO_SPEEDUPS is set")
    from carafe.http import _speedups as speedups

    if getattr(speedups, "VERSION", None) != VERSION:
        raise ImportError(f"carafe.http._speedups is not version {VERSION}: rebuild it")
except ImportError:
    speedups = None  # type: ignore[assignment]

__all__ = ["speedups"]

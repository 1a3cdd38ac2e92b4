"""The optional compiled helpers, ``carafe._speedups`` (src/carafe/_speedups.c).

``speedups`` is the extension module, or None where it was not built (no C
compiler at install) or ``CARAFE_NO_SPEEDUPS`` is set to a non-empty value in
the environment. Every module that uses it keeps a pure-Python version, which
is the reference; the tests run both.
"""

from __future__ import annotations

import os

try:
    if os.environ.get("CARAFE_NO_SPEEDUPS"):
        raise ImportError("CARAFE_NO_SPEEDUPS is set")
    from carafe import _speedups as speedups
except ImportError:
    speedups = None  # type: ignore[assignment]

__all__ = ["speedups"]

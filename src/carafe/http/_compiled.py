"""The optional compiled leaf functions, ``carafe.http._speedups`` (_speedups.c here).

``speedups`` is the extension module, or None where it was not built (no C
compiler at install) or ``CARAFE_NO_SPEEDUPS`` is set to a non-empty value in
the environment. Every function in it has a pure-Python twin, which is the
reference; the tests run both.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    # What mypyc reads in a build with CARAFE_MYPYC=1 (setup.py): written
    # ``@mypyc_attr(allow_interpreted_subclasses=True)`` on a public class, it lets
    # interpreted code subclass the compiled class (users' Request, Response, Headers
    # and converters). At run time an identity decorator, so the pure package needs
    # no mypy_extensions.
    from mypy_extensions import mypyc_attr as mypyc_attr
else:

    def mypyc_attr(*names: str, **attrs: object) -> Callable[[T], T]:
        return _unchanged

    def _unchanged(cls: T) -> T:
        return cls


T = TypeVar("T")
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

__all__ = ["mypyc_attr", "speedups"]

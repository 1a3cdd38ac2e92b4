"""Load the sanitized speedups as ``carafe.http._speedups`` (see fuzz/sanitized.py).

Python imports this module at start-up when fuzz/sanitized.py puts its folder on
``PYTHONPATH``; it does nothing unless ``CARAFE_SANITIZED_SPEEDUPS`` names the build.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

#: The module the sanitized file stands in for.
NAME = "carafe.http._speedups"
PATH = os.environ.get("CARAFE_SANITIZED_SPEEDUPS")


class SanitizedSpeedups:
    """A finder that answers for ``carafe.http._speedups`` only, with the sanitized file."""

    @staticmethod
    def find_spec(
        name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != NAME or PATH is None:
            return None
        return importlib.util.spec_from_file_location(name, PATH)


if PATH is not None:
    sys.meta_path.insert(0, SanitizedSpeedups)  # type: ignore[arg-type]

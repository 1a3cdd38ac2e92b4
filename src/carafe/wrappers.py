"""The request and response classes, under Flask's module name (``flask.wrappers``)."""

from __future__ import annotations

from carafe.request import Request as Request
from carafe.response import Response as Response

__all__ = ["Request", "Response"]

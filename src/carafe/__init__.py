"""Carafe: Flask's API, at Falcon's speed, on WSGI and ASGI.

Port a Flask app by changing its import: ``from carafe import Flask, request, ...``.
"""

from __future__ import annotations

from carafe.app import Flask
from carafe.blueprints import Blueprint
from carafe.ctx import after_this_request, has_app_context, has_request_context
from carafe.globals import current_app, g, request
from carafe.helpers import abort, jsonify, make_response, redirect, url_for
from carafe.request import Request
from carafe.response import Response

#: The app class under Carafe's own name.
Carafe = Flask

__version__ = "0.1.0"

__all__ = [
    "Blueprint",
    "Carafe",
    "Flask",
    "Request",
    "Response",
    "abort",
    "after_this_request",
    "current_app",
    "g",
    "has_app_context",
    "has_request_context",
    "jsonify",
    "make_response",
    "redirect",
    "request",
    "url_for",
]

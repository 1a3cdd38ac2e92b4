"""Carafe: Flask's API, at Falcon's speed, on WSGI and ASGI.

Port a Flask app by changing its import: ``from carafe import Flask, request, ...``.
"""

from __future__ import annotations

from carafe.app import Flask
from carafe.blueprints import Blueprint
from carafe.config import Config
from carafe.ctx import SIGNAL_NAMES, after_this_request, has_app_context, has_request_context
from carafe.files import send_file, send_from_directory
from carafe.globals import current_app, g, request, session
from carafe.helpers import (
    abort,
    copy_current_request_context,
    flash,
    get_flashed_messages,
    get_template_attribute,
    jsonify,
    make_response,
    redirect,
    stream_with_context,
    url_for,
)
from carafe.request import Request
from carafe.response import Response
from carafe.templating import (
    render_template,
    render_template_string,
    stream_template,
    stream_template_string,
)

#: The app class under Carafe's own name.
Carafe = Flask

# Start-up: what needs a library Carafe's request path does not (blinker for the
# signals) is imported on first use. (jinja2 too: carafe.templating loads it when an
# app first renders a template.)
_LAZY = dict.fromkeys(SIGNAL_NAMES, "carafe.signals")


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'carafe' has no attribute {name!r}")
    import importlib
    import sys

    value = getattr(importlib.import_module(module), name)
    # (Not globals(): in this package that name is the carafe.globals module.)
    setattr(sys.modules[__name__], name, value)
    return value


__version__ = "0.1.0"

__all__ = [
    "Blueprint",
    "Carafe",
    "Config",
    "Flask",
    "Request",
    "Response",
    "abort",
    "after_this_request",
    "copy_current_request_context",
    "current_app",
    "flash",
    "g",
    "get_flashed_messages",
    "get_template_attribute",
    "has_app_context",
    "has_request_context",
    "jsonify",
    "make_response",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "send_file",
    "send_from_directory",
    "session",
    "stream_template",
    "stream_template_string",
    "stream_with_context",
    "url_for",
]

"""Werkzeug's HTTP exceptions, answered as Carafe's own, without importing Werkzeug.

Flask code and extensions raise ``werkzeug.exceptions.Forbidden()`` or subclass
Werkzeug's exceptions (Flask-WTF's ``CSRFError(BadRequest)``). When Werkzeug is loaded
(by whoever raised one), such an exception is an HTTP exception to Carafe: its code
picks the handlers registered for that code, and a class of ``werkzeug.exceptions``
stands for Carafe's class of the same name (``@app.errorhandler(werkzeug NotFound)``
handles Carafe's 404, and the reverse).
"""

from __future__ import annotations

import sys

from carafe import exceptions
from carafe.exceptions import HTTPException


def is_http_exception(error: BaseException) -> bool:
    """True for Carafe's HTTP exceptions and, once Werkzeug is loaded, for Werkzeug's."""
    if isinstance(error, HTTPException):
        return True
    module = sys.modules.get("werkzeug.exceptions")
    return module is not None and isinstance(error, module.HTTPException)


def is_http_exception_class(cls: type) -> bool:
    """:func:`is_http_exception` for a class."""
    if issubclass(cls, HTTPException):
        return True
    module = sys.modules.get("werkzeug.exceptions")
    return module is not None and issubclass(cls, module.HTTPException)


def carafe_twin(cls: type) -> type | None:
    """Carafe's class for a class of ``werkzeug.exceptions`` (``NotFound`` for
    ``NotFound``), or None."""
    if cls.__module__ != "werkzeug.exceptions":
        return None
    twin = getattr(exceptions, cls.__name__, None)
    return twin if isinstance(twin, type) and issubclass(twin, BaseException) else None

"""Werkzeug's HTTP exceptions, answered as Carafe's own, without importing Werkzeug.

Flask code and extensions raise ``werkzeug.exceptions.Forbidden()`` or subclass
Werkzeug's exceptions (Flask-WTF's ``CSRFError(BadRequest)``). When Werkzeug is loaded
(by whoever raised one), such an exception is an HTTP exception to Carafe: its code
picks the handlers registered for that code, and a class of ``werkzeug.exceptions``
stands for Carafe's class of the same name (``@app.errorhandler(werkzeug NotFound)``
handles Carafe's 404, and the reverse).

The other way round, code written for Flask tests Carafe's errors against Werkzeug's
classes (``isinstance(e, werkzeug.exceptions.HTTPException)`` in an error handler,
``except werkzeug.routing.BuildError``). :func:`adopt_werkzeug` makes each Carafe
class a subclass of its Werkzeug twin too, once Werkzeug is loaded: the app calls it
when it is made and at its first request, so Werkzeug is never imported for it.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TypeVar

from carafe import exceptions
from carafe.exceptions import HTTPException

E = TypeVar("E", bound=BaseException)


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


_adopted: set[str] = set()


def adopt_werkzeug(twins: dict[str, ModuleType]) -> None:
    """For each Werkzeug module already loaded, add its exception classes as bases of
    Carafe's classes of the same names (once per module): Carafe's errors are then
    instances of Werkzeug's classes too. Carafe's classes keep their own behaviour:
    they come first in the method order, and their ``__init__`` does not call
    Werkzeug's.

    :param twins: Carafe's module for each Werkzeug module (``werkzeug.routing``:
        :mod:`carafe.routing`).
    """
    pairs: list[tuple[type, type]] = []
    for module_name, ours_module in twins.items():
        werkzeug_module = sys.modules.get(module_name)
        if werkzeug_module is None or module_name in _adopted:
            continue
        _adopted.add(module_name)
        for name, ours in vars(ours_module).items():
            theirs = getattr(werkzeug_module, name, None)
            if (
                isinstance(ours, type)
                and issubclass(ours, BaseException)
                and ours.__module__.startswith("carafe.")
                and isinstance(theirs, type)
                and issubclass(theirs, BaseException)
            ):
                pairs.append((ours, theirs))
    # Bases first (HTTPException before NotFound), so each class finds its parent adopted.
    pairs.sort(key=lambda pair: len(pair[0].__mro__))
    for ours, theirs in pairs:
        if issubclass(ours, theirs):
            continue
        # Werkzeug's class replaces the bases it already derives from (Exception,
        # KeyError), so that one method order fits both hierarchies.
        bases = (*(base for base in ours.__bases__ if not issubclass(theirs, base)), theirs)
        try:
            ours.__bases__ = bases
        except TypeError:
            # A compiled (mypyc) class cannot change its bases: it stays Carafe's only.
            continue


_COMBINED: dict[type, type] = {}


def with_werkzeug_twin(cls: type[E], module_name: str) -> type[E]:
    """``cls``, or once ``module_name`` (a Werkzeug module) is loaded, a subclass of
    both ``cls`` and the Werkzeug class of the same name: for an error whose class
    cannot take Werkzeug's as a base in place (:func:`adopt_werkzeug`)."""
    module = sys.modules.get(module_name)
    theirs = getattr(module, cls.__name__, None) if module is not None else None
    if theirs is None:
        return cls
    combined = _COMBINED.get(cls)
    if combined is None:
        combined = _COMBINED[cls] = type(
            cls.__name__, (cls, theirs), {"__module__": cls.__module__}
        )
    return combined

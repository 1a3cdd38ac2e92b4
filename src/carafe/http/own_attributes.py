"""The base class that lets an app keep its own attributes on an object.

Flask code sets attributes of its own on the request and the response
(``request.user = ...``, ``response.cache_hit = True``), and extensions rely on it.
Carafe's request and response declare ``__slots__`` (no per-object dict for what
they hold themselves), plus a ``__dict__`` slot, which Python creates only when the
first attribute of the app's own is set. mypyc, which compiles those classes in the
compiled build, ignores ``__slots__``: a compiled class gets an instance dict only
when it inherits from a Python class, which :class:`OwnAttributes` is (this module is
never compiled). Either way the dict costs nothing until an attribute is set.
"""

from __future__ import annotations

__all__ = ["OwnAttributes"]


class OwnAttributes:
    """A Python base class: a compiled subclass gets an instance ``__dict__``, made
    when the first attribute it does not declare is set."""

    __slots__ = ()

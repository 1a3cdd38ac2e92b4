"""The context-local proxies: ``request``, ``session``, ``current_app`` and ``g``, as in Flask's
``flask.globals``.

Each forwards attribute access to the object the current context holds
(:mod:`carafe.ctx`). Plain Python in every build: a proxy forwards through
``__getattribute__``, which compiled (mypyc) classes cannot define.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from carafe.ctx import _NO_APP, _NO_REQUEST, _AppCtxGlobals, _cv_ctx, get_request_context

if TYPE_CHECKING:
    from carafe.app import Flask
    from carafe.ctx import AppContext, RequestContext
    from carafe.request import Request
    from carafe.sessions import SessionMixin

T = TypeVar("T")

# The proxy's own attributes: everything else is read from the proxied object.
_PROXY_OWN = frozenset({"_get_current_object", "_Proxy__get_current", "_Proxy__name"})


class _Proxy(Generic[T]):
    """Forwards attribute access to the object a context variable currently holds."""

    __slots__ = ("__get_current", "__name")

    def __init__(self, get_current: Callable[[], T], name: str) -> None:
        object.__setattr__(self, "_Proxy__get_current", get_current)
        object.__setattr__(self, "_Proxy__name", name)

    def _get_current_object(self) -> T:
        """The object behind the proxy (raises RuntimeError outside its context)."""
        return cast(T, self.__get_current())

    # PERF: ``__getattribute__``, not ``__getattr__``: every attribute read is
    # forwarded at once, instead of after a failed lookup on the proxy and the
    # AttributeError it raises (5x slower per ``request.form``).
    def __getattribute__(self, name: str) -> Any:
        if name in _PROXY_OWN:
            return object.__getattribute__(self, name)
        try:
            current = object.__getattribute__(self, "_Proxy__get_current")()
        except RuntimeError:
            if name == "__class__":
                # Unbound: isinstance(proxy, X) is False, as with Flask's proxies.
                return type(self)
            raise
        return getattr(current, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.__get_current(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self.__get_current(), name)

    def __bool__(self) -> bool:
        try:
            return bool(self.__get_current())
        except RuntimeError:
            return False

    def __repr__(self) -> str:
        try:
            return repr(self.__get_current())
        except RuntimeError:
            # (Werkzeug's LocalProxy's words, which Flask code and tests compare.)
            return "<LocalProxy unbound>"

    def __eq__(self, other: object) -> bool:
        return self.__get_current() == other  # type: ignore[no-any-return]

    def __ne__(self, other: object) -> bool:
        return self.__get_current() != other  # type: ignore[no-any-return]

    def __hash__(self) -> int:
        return hash(self.__get_current())

    def __contains__(self, item: object) -> bool:
        return item in self.__get_current()

    def __iter__(self) -> Iterator[Any]:
        return iter(self.__get_current())

    def __getitem__(self, key: Any) -> Any:
        return self.__get_current()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self.__get_current()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self.__get_current()[key]

    def __len__(self) -> int:
        return len(self.__get_current())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__get_current()(*args, **kwargs)


def _current_request() -> Request:
    ctx = _cv_ctx.get(None)
    request = ctx.request if ctx is not None else None
    if request is None:
        raise RuntimeError(_NO_REQUEST)
    return request


def _current_app() -> Flask:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_NO_APP)
    return ctx.app


def _current_g() -> _AppCtxGlobals:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_NO_APP)
    return ctx.g


def _current_app_context() -> AppContext | RequestContext:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_NO_APP)
    return ctx


def _current_session() -> SessionMixin:
    ctx = get_request_context()
    if ctx is None:
        raise RuntimeError(_NO_REQUEST)
    return ctx.session


def _current_request_context() -> RequestContext:
    ctx = get_request_context()
    if ctx is None:
        raise RuntimeError(_NO_REQUEST)
    return ctx


class _RequestProxy(_Proxy["Request"]):
    """The ``request`` proxy. PERF: attribute reads, by far its most common use,
    look the context variable up inline instead of through a getter call."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        try:
            # PERF: the usual read is this one line; no context (None has no
            # ``request``), no request (None has no ``name``) and the proxy's own
            # names all end in an AttributeError, sorted out below.
            return getattr(_cv_ctx.get(None).request, name)  # type: ignore[union-attr]
        except AttributeError:
            ctx = _cv_ctx.get(None)
            request = ctx.request if ctx is not None else None
            if name in _PROXY_OWN:
                return object.__getattribute__(self, name)
            if request is not None:
                raise  # the request's own AttributeError
            if name == "__class__":
                return type(self)
            raise RuntimeError(_NO_REQUEST) from None


request = cast("Request", _RequestProxy(_current_request, "request"))
current_app = cast("Flask", _Proxy(_current_app, "current_app"))
g = cast("_AppCtxGlobals", _Proxy(_current_g, "g"))
#: The current request's session (:mod:`carafe.sessions`), opened on first use.
session = cast("SessionMixin", _Proxy(_current_session, "session"))


class _ContextVariableView:
    """A read-only view shaped like Flask's ``_cv_request``/``_cv_app`` context
    variables: ``.get()`` and ``.get(default)``. Carafe keeps one variable for both
    contexts (:data:`carafe.ctx._cv_ctx`); code that reads Flask's sees the right one."""

    __slots__ = ("_current", "name")

    def __init__(self, name: str, current: Callable[[], Any]) -> None:
        self.name = name
        self._current = current

    def get(self, *default: Any) -> Any:
        ctx = self._current()
        if ctx is not None:
            return ctx
        if default:
            return default[0]
        raise LookupError(f"<ContextVar name={self.name!r}>")

    def __repr__(self) -> str:
        return f"<carafe view of ContextVar {self.name!r}>"


#: Flask's ``_cv_request``: the active request context, if any.
_cv_request = _ContextVariableView("flask.request_ctx", get_request_context)
#: Flask's ``_cv_app``: the active app context (a request's included), if any.
_cv_app = _ContextVariableView("flask.app_ctx", lambda: _cv_ctx.get(None))

#: The active request context (Flask's ``flask.globals.request_ctx``).
request_ctx = cast("RequestContext", _Proxy(_current_request_context, "request_ctx"))
#: The active app context (Flask's ``flask.globals.app_ctx``). Inside a request it is
#: the request's context, which is its app context too (``app``, ``g``).
app_ctx = cast("AppContext", _Proxy(_current_app_context, "app_ctx"))

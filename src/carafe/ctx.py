"""Application and request contexts (the proxies over them: :mod:`carafe.globals`).

The contexts live in ``contextvars`` (not thread-locals), so they are right
under threads and under asyncio alike. A request pushes one request context,
which sets the one variable once and resets it once.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator, MutableMapping
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, Final, Union

from carafe.http._compiled import mypyc_attr
from carafe.response_fields import COOKIE_LIMIT
from carafe.runner import run_coroutine

if TYPE_CHECKING:
    from carafe.app import Flask
    from carafe.request import Request
    from carafe.response import Response
    from carafe.sessions import SessionMixin

AfterRequestCallable = Callable[["Response"], "Response"]

# The current context: an AppContext, or a RequestContext (which does both jobs).
_cv_ctx: ContextVar[Union[AppContext, RequestContext]] = ContextVar("carafe.ctx")  # noqa: UP007

_NO_APP = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed
the current application. To solve this, set up an application context
with app.app_context()."""

_NO_REQUEST = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed
an active HTTP request."""


class SignalState:
    """Whether any of Carafe's signals (:mod:`carafe.signals`) has a receiver, and
    how to send one. PERF: the request path tests :attr:`active`, a plain attribute,
    and imports nothing of blinker while no receiver is connected."""

    __slots__ = ("active", "send", "send_step")

    def __init__(self) -> None:
        self.active = False
        #: ``send(name, sender, **kwargs)``: set by :mod:`carafe.signals` on import.
        self.send: Callable[..., None] = _no_send
        #: ``send_step(name, sender, **kwargs)``, for the pipeline's steps: returns the
        #: ``async def`` receivers' work as a coroutine (None if none) to await.
        self.send_step: Callable[..., Coroutine[Any, Any, None] | None] = _no_send


def _no_send(name: str, sender: Any, **kwargs: Any) -> None:
    pass


SIGNALS: Final = SignalState()

#: The names of Carafe's (Flask's) signals, in carafe.signals and the carafe package.
SIGNAL_NAMES = (
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
)


@mypyc_attr(native_class=False)
class _AppCtxGlobals:
    """The ``g`` namespace: a plain object that lives as long as its app context."""

    def get(self, name: str, default: Any = None) -> Any:
        """Return attribute ``name`` or ``default``."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: Any = ...) -> Any:
        """Remove and return attribute ``name`` (``default`` if given and absent)."""
        if default is ...:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        """Return attribute ``name``, setting it to ``default`` first if absent."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _cv_ctx.get(None)
        if ctx is not None:
            return f"<carafe.g of {ctx.app.name!r}>"
        return object.__repr__(self)


@mypyc_attr(allow_interpreted_subclasses=True)
class _Context:
    """What both contexts have: the app, its ``g``, and the tokens to reset."""

    __slots__ = ("_g", "_tokens", "app")

    app: Flask
    _g: _AppCtxGlobals | None
    _tokens: list[Token[AppContext | RequestContext]]

    @property
    def g(self) -> _AppCtxGlobals:
        """This context's ``g``, created on first use."""
        return self._own_g()

    def _own_g(self) -> _AppCtxGlobals:
        g = self._g
        if g is None:
            g = self._g = self.app.app_ctx_globals_class()
        return g

    def pop(self, exc: BaseException | None = None) -> None:
        """Run the teardown functions and restore the previous context."""
        raise NotImplementedError

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.pop(exc)


@mypyc_attr(allow_interpreted_subclasses=True)
class AppContext(_Context):
    """Makes ``current_app`` and ``g`` available; ``with app.app_context():``."""

    __slots__ = ("request",)

    def __init__(self, app: Flask) -> None:
        self.app = app
        #: The request of the context this one was pushed in, if any.
        self.request: Request | None = None
        self._g = None
        self._tokens = []

    def push(self) -> None:
        """Make this the current context."""
        outer = _cv_ctx.get(None)
        # An app context pushed inside a request keeps that request visible, as
        # Flask's separate request variable does.
        self.request = outer.request if outer is not None else None
        self._tokens.append(_cv_ctx.set(self))
        if SIGNALS.active:
            SIGNALS.send("appcontext_pushed", self.app)

    def pop(self, exc: BaseException | None = None) -> None:
        """Run the app-context teardown functions and restore the previous context."""
        try:
            if len(self._tokens) == 1 and (self.app.teardown_appcontext_funcs or SIGNALS.active):
                self.app.do_teardown_appcontext(exc)
        finally:
            _cv_ctx.reset(self._tokens.pop())
        if SIGNALS.active:
            SIGNALS.send("appcontext_popped", self.app)

    def __enter__(self) -> AppContext:
        self.push()
        return self


@mypyc_attr(allow_interpreted_subclasses=True)
class RequestContext(_Context):
    """Makes ``request`` available for one request, and ``current_app`` and ``g`` with it.

    PERF: one object and one context variable serve as both Flask's request
    context and the app context it pushes, so a request sets and resets one
    variable once. Inside an active app context of the same app the request
    shares that context's ``g`` and leaves its teardown to it, as in Flask.
    """

    __slots__ = (
        "_after_request_functions",
        "_outer",
        "_preserve_in",
        "_session",
        "flashes",
        "request",
        "run_coroutine",
    )

    def __init__(self, app: Flask, request: Request, session: SessionMixin | None = None) -> None:
        self.app = app
        #: The request.
        self.request: Request = request
        # PERF: None until the request first reads its session (most never do).
        self._session = session
        #: The flashed messages this request took out of its session, once read.
        self.flashes: list[tuple[str, Any]] | None = None
        self._g = None
        self._tokens = []
        # PERF: None until after_this_request adds a first function (most requests).
        self._after_request_functions: list[AfterRequestCallable] | None = None
        self._outer: _Context | None = None
        #: Where to leave this context when the test client keeps it (``with client:``):
        #: the request's environ or scope; None pops it as usual.
        self._preserve_in: MutableMapping[str, Any] | None = None
        #: How the pipeline runs a coroutine from an ``async def`` view or hook:
        #: None means await it (on the event loop); otherwise this runs it to the end.
        self.run_coroutine: Callable[[Coroutine[Any, Any, Any]], Any] | None = run_coroutine

    @property
    def g(self) -> _AppCtxGlobals:
        """The ``g`` of this request's app context."""
        outer = self._outer
        return outer.g if outer is not None else self._own_g()

    @property
    def session(self) -> SessionMixin:
        """The request's session, opened by the app's session interface on first use
        (its null session when that cannot open one). Reading it (as the ``session``
        proxy does) marks it accessed: the response then varies by cookie."""
        session = self._session
        if session is None:
            session = self._open_session()
        session.accessed = True
        return session

    @session.setter
    def session(self, value: SessionMixin | None) -> None:
        self._session = value

    def _open_session(self) -> SessionMixin:
        """Open the session (not marking it accessed: the pipeline opens the session
        of a request that did not read it, to refresh or save it)."""
        app = self.app
        interface = app.session_interface
        session = interface.open_session(app, self.request)
        if session is None:
            session = interface.make_null_session(app)
        self._session = session
        return session

    def push(self) -> None:
        """Make this the current context."""
        if not self._tokens:
            # (Pushed again, as stream_with_context does, it keeps its app context.)
            outer = _cv_ctx.get(None)
            self._outer = outer if outer is not None and outer.app is self.app else None
        self._tokens.append(_cv_ctx.set(self))
        if SIGNALS.active and self._owns_app_context():
            SIGNALS.send("appcontext_pushed", self.app)

    def pop(self, exc: BaseException | None = None) -> None:
        """Run teardown functions, close the request and restore the previous context;
        a context pushed more than once only restores the context before its last push."""
        if len(self._tokens) > 1:
            self._reset()
            return
        self.app._end_request(self, exc)

    def match_request(self) -> None:
        """Route the request again (Flask's name): a session interface that needs
        ``request.endpoint`` while opening the session may call it."""
        request = self.request
        self.app.match_request(request, request.headers.get("Host"))

    def copy(self) -> RequestContext:
        """A new context for the same request (and app), to push elsewhere: another
        thread, a greenlet (:func:`carafe.copy_current_request_context`)."""
        return type(self)(self.app, self.request, self.session)

    def _owns_app_context(self) -> bool:
        """True if popping this context ends its app context (teardown_appcontext runs)."""
        return self._outer is None and len(self._tokens) == 1

    def _reset(self) -> None:
        """Restore the previous context (no teardown)."""
        owned = SIGNALS.active and self._owns_app_context()
        _cv_ctx.reset(self._tokens.pop())
        if owned:
            SIGNALS.send("appcontext_popped", self.app)

    def __enter__(self) -> RequestContext:
        self.push()
        return self


def _app_cookie_limit() -> int:
    ctx = _cv_ctx.get(None)
    return 4093 if ctx is None else int(ctx.app.config["MAX_COOKIE_SIZE"])


COOKIE_LIMIT.current = _app_cookie_limit


def get_current_app_or_none() -> Flask | None:
    """The app of the active app context, or None outside one."""
    ctx = _cv_ctx.get(None)
    return ctx.app if ctx is not None else None


def get_request_context() -> RequestContext | None:
    """The active request context, or None outside a request."""
    ctx = _cv_ctx.get(None)
    return ctx if isinstance(ctx, RequestContext) else None


def has_request_context() -> bool:
    """True inside a request (or a ``test_request_context``)."""
    ctx = _cv_ctx.get(None)
    return ctx is not None and ctx.request is not None


def has_app_context() -> bool:
    """True inside an app context."""
    return _cv_ctx.get(None) is not None


def after_this_request(func: AfterRequestCallable) -> AfterRequestCallable:
    """Run ``func(response)`` after the current request, before ``after_request`` hooks."""
    ctx = get_request_context()
    if ctx is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request context is active,"
            " such as in a view function."
        )
    functions = ctx._after_request_functions
    if functions is None:
        functions = ctx._after_request_functions = []
    functions.append(func)
    return func

"""Flask's everyday helpers: ``make_response``, ``jsonify``, ``redirect``, ``abort``,
``url_for``, ``flash`` and ``get_flashed_messages``, ``get_template_attribute``,
``stream_with_context``, ``copy_current_request_context``, and the environment flags
``get_debug_flag`` and ``get_load_dotenv``."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from carafe.conversion import make_response as make_response
from carafe.ctx import _NO_APP, _NO_REQUEST, SIGNALS, _cv_ctx, get_request_context
from carafe.exceptions import abort as _abort
from carafe.files import send_file as send_file
from carafe.files import send_from_directory as send_from_directory
from carafe.globals import current_app
from carafe.response import redirect_response

if TYPE_CHECKING:
    from carafe.response import Response


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """A JSON response from one value, several values (a list) or keyword arguments."""
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_NO_APP)
    return ctx.app.json.response(*args, **kwargs)


def redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:
    """A response redirecting the client to ``location`` (302 by default).

    Inside an app context this uses the app's ``redirect``, as Flask does.
    """
    ctx = _cv_ctx.get(None)
    if ctx is not None and Response is None:
        return ctx.app.redirect(location, code)
    return redirect_response(location, code, Response)


def abort(code: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
    """Raise the ``HTTPException`` for ``code`` (or one carrying a response).

    ``abort(404)``, ``abort(403, "No access")``, ``abort(make_response(...))``.
    """
    ctx = _cv_ctx.get(None)
    if ctx is not None:
        ctx.app.aborter(code, *args, **kwargs)
    _abort(code, *args, **kwargs)


def flash(message: Any, category: str = "message") -> None:
    """Keep ``message`` in the session for the next request to show
    (:func:`get_flashed_messages`); ``category`` sorts messages ("error", "info"...).
    Needs a session (``SECRET_KEY``)."""
    ctx = get_request_context()
    if ctx is None:
        raise RuntimeError(_NO_REQUEST)
    session = ctx.session
    # (Read, appended, written back: a write is what marks the session modified.)
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    if SIGNALS.active:
        SIGNALS.send("message_flashed", ctx.app, message=message, category=category)


def get_flashed_messages(
    with_categories: bool = False, category_filter: Iterable[str] = ()
) -> list[Any]:
    """The messages flashed for this request, taken out of the session on the first
    call of the request (later calls return the same): messages only, or
    ``(category, message)`` pairs ``with_categories``; only the categories in
    ``category_filter`` when given."""
    ctx = get_request_context()
    if ctx is None:
        raise RuntimeError(_NO_REQUEST)
    flashes = ctx.flashes
    if flashes is None:
        session = ctx.session
        flashes = ctx.flashes = session.pop("_flashes") if "_flashes" in session else []
    if category_filter:
        wanted = set(category_filter)
        flashes = [item for item in flashes if item[0] in wanted]
    if with_categories:
        return list(flashes)
    return [message for _, message in flashes]


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: Any,
) -> str:
    """Build the URL of ``endpoint`` from its rule and ``values``.

    Values that are not rule arguments become the query string. ``_external``
    makes an absolute URL (the default outside a request), ``_scheme`` picks its
    scheme, ``_anchor`` adds ``#fragment``, ``_method`` picks among rules.
    """
    return current_app.url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )


def get_template_attribute(template_name: str, attribute: str) -> Any:
    """A macro (or any name) a template defines, to call from Python:
    ``get_template_attribute("_macros.html", "hello")("World")``."""
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)


F = TypeVar("F", bound=Callable[..., Any])

#: Debug mode from the environment (Flask's ``FLASK_DEBUG`` is read too).
DEBUG_ENV = "CARAFE_DEBUG"
#: Set to a true value to skip loading ``.env`` files (``FLASK_SKIP_DOTENV`` too).
SKIP_DOTENV_ENV = "CARAFE_SKIP_DOTENV"


def env_flag(name: str) -> bool:
    """Read a boolean environment variable as Flask reads ``FLASK_DEBUG``."""
    value = os.environ.get(name, "")
    return value.lower() not in ("", "0", "false", "no", "off")


def get_debug_flag() -> bool:
    """Whether the environment asks for debug mode: ``CARAFE_DEBUG``, or else
    Flask's ``FLASK_DEBUG``."""
    return env_flag(DEBUG_ENV if DEBUG_ENV in os.environ else "FLASK_DEBUG")


def get_load_dotenv(default: bool = True) -> bool:
    """Whether to load ``.env`` files: ``default``, unless ``CARAFE_SKIP_DOTENV`` (or
    Flask's ``FLASK_SKIP_DOTENV``) says to skip them."""
    name = SKIP_DOTENV_ENV if SKIP_DOTENV_ENV in os.environ else "FLASK_SKIP_DOTENV"
    if not os.environ.get(name):
        return default
    return not env_flag(name)


def stream_with_context(generator_or_function: Any) -> Any:
    """Keep the request context for a streamed body: wrap the generator a view
    returns (or decorate the generator function) so that ``request``, ``g`` and
    ``session`` work while it runs, after the view has returned."""
    try:
        generator: Iterator[Any] = iter(generator_or_function)
    except TypeError:

        def decorator(*args: Any, **kwargs: Any) -> Any:
            return stream_with_context(generator_or_function(*args, **kwargs))

        return update_wrapper(decorator, generator_or_function)
    ctx = get_request_context()
    if ctx is None:
        raise RuntimeError(
            "'stream_with_context' can only be used when a request context is active,"
            " such as in a view function."
        )

    def in_context() -> Iterator[Any]:
        # Pushed when the body is first iterated, and popped when it ends, both where
        # the server iterates it (an async view's coroutine runs in a Context of its
        # own, where a push could not be popped from): the request's teardown waits
        # for the end of the stream, as in Flask.
        yield None
        with ctx:
            try:
                yield from generator
            finally:
                close = getattr(generator, "close", None)
                if close is not None:
                    close()

    wrapped = in_context()
    next(wrapped)
    return wrapped


def copy_current_request_context(func: F) -> F:
    """Decorate ``func`` to run in a copy of the current request context, for
    running it later elsewhere (another thread)."""
    ctx = get_request_context()
    if ctx is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a request context is"
            " active, such as in a view function."
        )
    copied = ctx.copy()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with copied:
            return copied.app.ensure_sync(func)(*args, **kwargs)

    return update_wrapper(wrapper, func)  # type: ignore[return-value]

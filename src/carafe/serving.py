"""Serving an app with Granian: interface choice, reloading, dotenv files, workers.

This module backs ``carafe run`` and :meth:`Flask.run`. It is imported only when an app
is served, so ``import carafe`` never loads Granian, watchfiles or python-dotenv. Each
worker process finds the app again through :mod:`carafe.discovery`.

The Granian server itself (its settings, the port probe, the replacement of workers
that die) is in :mod:`carafe._granian_server`; :func:`serve` and the other public
names there are importable from here.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import multiprocessing
import os
import signal
import sys
import sysconfig
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from carafe._granian_server import _DOTENV_FILES, _echo
from carafe._granian_server import DEFAULT_HOST as DEFAULT_HOST
from carafe._granian_server import DEFAULT_MAX_HEADER_SIZE as DEFAULT_MAX_HEADER_SIZE
from carafe._granian_server import DEFAULT_PORT as DEFAULT_PORT
from carafe._granian_server import MIN_MAX_HEADER_SIZE as MIN_MAX_HEADER_SIZE
from carafe._granian_server import RESPAWN_BACKOFF_FIRST as RESPAWN_BACKOFF_FIRST
from carafe._granian_server import RESPAWN_BACKOFF_MAX as RESPAWN_BACKOFF_MAX
from carafe._granian_server import RESPAWN_FAST_DEATH as RESPAWN_FAST_DEATH
from carafe._granian_server import RESPAWN_INTERVAL as RESPAWN_INTERVAL
from carafe._granian_server import RUN_FROM_CLI_ENV as RUN_FROM_CLI_ENV
from carafe._granian_server import UnavailableError as UnavailableError
from carafe._granian_server import _reload_options as _reload_options
from carafe._granian_server import default_threads as default_threads
from carafe._granian_server import ensure_address_free as ensure_address_free
from carafe._granian_server import serve as serve
from carafe.discovery import find_import_target, load_app
from carafe.helpers import DEBUG_ENV as DEBUG_ENV
from carafe.helpers import SKIP_DOTENV_ENV as SKIP_DOTENV_ENV
from carafe.helpers import env_flag as env_flag
from carafe.helpers import get_debug_flag, get_load_dotenv

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "INTERFACES",
    "UnavailableError",
    "asgi_available",
    "is_async_app",
    "is_async_first",
    "load_dotenv",
    "resolve_interface",
    "run_app",
    "serve",
    "serve_spec",
    "source_directories",
    "wrap_app",
]


#: What ``--interface`` accepts: ``auto`` picks ASGI when the app has async code.
INTERFACES = ("auto", "wsgi", "asgi")

# Werkzeug ``run_simple`` options that mean nothing to Granian; accepted and ignored so
# that ``app.run(threaded=True)`` from a Flask app keeps working.
_IGNORED_RUN_OPTIONS = frozenset({"threaded", "use_evalex", "passthrough_errors"})

# Apps handed to forked workers by reference when no import target exists (see run_app).
_FORK_SHARED_APPS: dict[int, Any] = {}


def _ignore_terminal_interrupt() -> None:
    """Block SIGINT in a worker process, so only the main process reacts to CTRL+C.

    CTRL+C signals the whole process group. A Granian worker that gets SIGINT from the
    terminal and SIGTERM from the main process at once sometimes misses both and stops
    only when killed after the shutdown timeout. With SIGINT blocked (before Granian's
    threads start, so they inherit the mask), the worker stops on the main process's
    SIGTERM alone, promptly.
    """
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


# -- interfaces --------------------------------------------------------------------------


def _is_async_callable(func: Any) -> bool:
    """True for an ``async def`` function, partial, callable object or class-based view."""
    if inspect.iscoroutinefunction(func):
        return True
    if not inspect.isfunction(func) and inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 - an async __call__, not callability.
    ):
        return True
    # A class-based view (View.as_view) keeps its class on the view function.
    view_class = getattr(func, "view_class", None)
    if view_class is None:
        return False
    handlers = ["dispatch_request", *(method.lower() for method in view_class.methods or ())]
    return any(inspect.iscoroutinefunction(getattr(view_class, name, None)) for name in handlers)


def _app_callables(app: Any) -> Iterable[Any]:
    """Every view, request hook, teardown function and error handler of ``app``."""
    yield from getattr(app, "view_functions", {}).values()
    for registry in ("before_request_funcs", "after_request_funcs", "teardown_request_funcs"):
        for funcs in getattr(app, registry, {}).values():
            yield from funcs
    yield from getattr(app, "teardown_appcontext_funcs", ())
    for by_code in getattr(app, "error_handler_spec", {}).values():
        for by_class in by_code.values():
            yield from by_class.values()


def is_async_app(app: Any) -> bool:
    """Tell whether any view, hook or error handler of ``app`` is a coroutine function."""
    return any(_is_async_callable(func) for func in _app_callables(app))


def is_async_first(app: Any) -> bool:
    """Tell whether every view of ``app`` is a coroutine function (and it has one).

    Such an app runs entirely on the event loop over ASGI. An app with plain views
    is better served over WSGI, where they run on the server's threads directly
    (over ASGI each would cross to a thread pool and back, tens of microseconds)
    and its async views run on a per-thread loop. The static file routes do not
    count: their files go out from the thread pool on either interface.
    """
    views = [
        view
        for endpoint, view in getattr(app, "view_functions", {}).items()
        if endpoint != "static" and not endpoint.endswith(".static")
    ]
    return bool(views) and all(_is_async_callable(view) for view in views)


def asgi_available(app: Any) -> bool:
    """Tell whether ``app.asgi`` can be served, without building the adapter here.

    PERF: the adapter is built in each worker, not in the main process before it forks.
    """
    return hasattr(type(app), "asgi") and importlib.util.find_spec("carafe.asgi") is not None


def resolve_interface(app: Any, interface: str) -> str:
    """Turn ``auto``, ``wsgi`` or ``asgi`` into the interface to serve ``app`` on.

    ``auto`` is ASGI when every view is ``async def`` (:func:`is_async_first`): they then
    run natively on the event loop. Otherwise it is WSGI, whose per-request cost is
    lower, and where async views and hooks run on each thread's own loop.

    :raises UnavailableError: ``asgi`` was asked for and this Carafe cannot serve it.
    """
    if interface not in INTERFACES:
        raise ValueError(f"Unknown interface {interface!r}; expected one of {INTERFACES}.")
    if interface == "wsgi":
        return "wsgi"
    available = asgi_available(app)
    if interface == "asgi":
        if not available:
            raise UnavailableError(
                "The ASGI interface is not available: this Carafe has no ASGI adapter"
                " (carafe.asgi). Serve over WSGI with '--interface wsgi'."
            )
        return "asgi"
    if not is_async_first(app):
        return "wsgi"
    if not available:
        _echo(" * The app's views are async, but ASGI is not available: serving over WSGI.")
        return "wsgi"
    return "asgi"


def wrap_app(
    app: Any, interface: str = "wsgi", debugger: bool = False, threads: int | None = None
) -> Any:
    """The callable a worker serves: the app (WSGI) or ``app.asgi``, with the debug page.

    :param debugger: answer exceptions that escape the app with the traceback page of
        :mod:`carafe.debug` (never an interactive console).
    :param threads: over ASGI, the size of the pool that runs sync views.
    """
    if interface == "asgi":
        asgi_app = app.asgi
        if threads is not None:
            # The pool is created on first use, in this worker, at this size (on
            # Carafe's adapter, under any middleware the app set on ``app.asgi``).
            app.asgi_adapter.max_threads = threads
        if not debugger:
            return asgi_app
        from carafe.debug import ASGIDebugMiddleware

        return ASGIDebugMiddleware(asgi_app)
    if not debugger:
        return app
    from carafe.debug import DebugMiddleware

    return DebugMiddleware(app)


def _load_worker_app(
    spec: str,
    debug: bool | None,
    interface: str = "wsgi",
    debugger: bool = False,
    threads: int | None = None,
) -> Any:
    """Granian worker loader: load ``spec`` in the worker and return what it serves."""
    _ignore_terminal_interrupt()
    app = load_app(spec)
    if debug is not None:
        app.debug = debug
    return wrap_app(app, interface, debugger, threads)


def _load_fork_shared_app(
    key: int, interface: str = "wsgi", debugger: bool = False, threads: int | None = None
) -> Any:
    """Granian worker loader for an app inherited from the parent through ``fork``."""
    _ignore_terminal_interrupt()
    return wrap_app(_FORK_SHARED_APPS[key], interface, debugger, threads)


# -- environment: .env files and flags -----------------------------------------------------


def dotenv_enabled() -> bool:
    """False when ``CARAFE_SKIP_DOTENV`` (or Flask's ``FLASK_SKIP_DOTENV``) is set to a
    true value (:func:`carafe.helpers.get_load_dotenv`)."""
    return get_load_dotenv()


def load_dotenv(path: str | os.PathLike[str] | None = None, load_defaults: bool = True) -> bool:
    """Set environment variables from dotenv files, as ``flask`` loads ``.env``.

    ``path`` takes precedence over ``.env``, which takes precedence over ``.carafeenv``,
    then ``.flaskenv``; the default files are searched from the working directory upwards.
    A variable already set in the environment is never changed. Without python-dotenv
    this does nothing (and says so if such files are present).

    :return: whether any variable was set.
    """
    try:
        import dotenv
    except ImportError:
        if path is not None or (load_defaults and any(map(os.path.isfile, _DOTENV_FILES))):
            _echo(" * Tip: There are .env files present. Install python-dotenv to use them.")
        return False
    values: dict[str, str | None] = {}
    if load_defaults:
        for name in reversed(_DOTENV_FILES):
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                values.update(dotenv.dotenv_values(found, encoding="utf-8"))
    if path is not None and os.path.isfile(path):
        values.update(dotenv.dotenv_values(path, encoding="utf-8"))
    loaded = False
    for key, value in values.items():
        if value is not None and key not in os.environ:
            os.environ[key] = value
            loaded = True
    return loaded


# -- reloading ---------------------------------------------------------------------------


def _library_directories() -> tuple[Path, ...]:
    """The standard library, site-packages and scripts folders, here and in the base."""
    found: set[Path] = set()
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    for paths in (sysconfig.get_paths(), sysconfig.get_paths(vars=base)):
        for key in ("stdlib", "platstdlib", "purelib", "platlib", "scripts"):
            found.add(Path(paths[key]).resolve())
    return tuple(found)


def source_directories(app: Any, modules: Iterable[ModuleType] | None = None) -> list[Path]:
    """The folders ``--reload`` watches: those holding the app's own modules.

    Like Flask's reloader, which watches the file of every imported module, every loaded
    module outside the standard library and site-packages counts (installed packages do
    not change while one develops). The watch is recursive, so only the outermost
    folders are kept.

    :param modules: the modules to consider; all of :data:`sys.modules` by default.
    """
    libraries = _library_directories()
    found: set[Path] = set()
    root_path = getattr(app, "root_path", None)
    if isinstance(root_path, str):
        found.add(Path(root_path).resolve())
    for module in list(sys.modules.values() if modules is None else modules):
        filename = getattr(module, "__file__", None)
        if not isinstance(filename, str):
            continue
        folder = Path(filename).resolve().parent
        if not any(folder.is_relative_to(library) for library in libraries):
            found.add(folder)
    outermost: list[Path] = []
    for folder in sorted(found):
        if not any(folder.is_relative_to(kept) for kept in outermost):
            outermost.append(folder)
    return outermost


# -- serving -----------------------------------------------------------------------------


def serve_spec(
    spec: str,
    *,
    app_name: str | None = None,
    interface: str = "wsgi",
    debugger: bool = False,
    **options: Any,
) -> None:
    """Serve the app named by ``MODULE[:NAME]``, re-resolved in every worker process."""
    debug = options.get("debug")
    threads = options.get("threads")
    loader = functools.partial(_load_worker_app, spec, debug, interface, debugger, threads)
    serve(
        loader,
        target=spec,
        app_name=app_name or spec,
        interface=interface,
        debugger=debugger,
        **options,
    )


def _server_name_address(app: Any) -> tuple[str | None, int | None]:
    """Host and port from ``app.config["SERVER_NAME"]``, used by ``run()`` as Flask does."""
    config: Any = getattr(app, "config", {})
    server_name = config.get("SERVER_NAME") if hasattr(config, "get") else None
    if not server_name:
        return None, None
    host, _, port = str(server_name).partition(":")
    return host or None, int(port) if port.isdigit() else None


def run_app(
    app: Any,
    host: str | None = None,
    port: int | None = None,
    debug: bool | None = None,
    **options: Any,
) -> None:
    """Serve ``app`` with Granian; the implementation of ``Flask.run()``.

    As in Flask: ``.env`` files are loaded first (unless ``load_dotenv=False``) and
    ``CARAFE_DEBUG`` sets debug mode; the host and port come from ``SERVER_NAME`` when
    set, else ``127.0.0.1:5000``; ``use_reloader`` and ``use_debugger`` default to debug
    mode (the "debugger" is the traceback page, never a console). Extra options:
    ``workers`` (or Werkzeug's ``processes``), ``threads``, ``interface``,
    ``access_log`` and ``ssl_context=(cert, key)``. Werkzeug-only options such as
    ``threaded`` are ignored. Inside ``carafe run`` this does nothing, as Flask's
    ``run()`` does inside ``flask run``.
    """
    if os.environ.get(RUN_FROM_CLI_ENV) == "true":
        _echo(
            " * Ignoring a call to 'app.run()': a Carafe server is already running."
            " Only call 'app.run()' in an 'if __name__ == \"__main__\":' guard."
        )
        return
    if options.pop("load_dotenv", True) and dotenv_enabled():
        load_dotenv()
        if DEBUG_ENV in os.environ or "FLASK_DEBUG" in os.environ:
            app.debug = get_debug_flag()
    if debug is not None:
        app.debug = bool(debug)
    app_debug = bool(getattr(app, "debug", False))
    server_host, server_port = _server_name_address(app)
    host = host or server_host or DEFAULT_HOST
    port = int(port or server_port or DEFAULT_PORT)
    reload = bool(options.pop("use_reloader", app_debug))
    debugger = bool(options.pop("use_debugger", app_debug))
    interface = resolve_interface(app, str(options.pop("interface", "auto")))

    serve_options: dict[str, Any] = {}
    for key, value in options.items():
        if key in ("workers", "processes"):
            serve_options["workers"] = int(value)
        elif key in ("threads", "access_log", "respawn", "max_header_size"):
            serve_options[key] = value
        elif key == "ssl_context":
            if value is None:
                continue
            if not (isinstance(value, tuple) and len(value) == 2):
                raise TypeError("ssl_context must be a (cert_file, key_file) tuple.")
            serve_options["ssl_cert"], serve_options["ssl_key"] = value
        elif key not in _IGNORED_RUN_OPTIONS:
            raise TypeError(f"run() got an unexpected keyword argument {key!r}")

    threads = serve_options.get("threads")
    target = find_import_target(app)
    loader: Callable[[], Any]
    if target is not None:
        loader = functools.partial(
            _load_worker_app, target, app_debug, interface, debugger, threads
        )
    elif multiprocessing.get_start_method() == "fork":
        # A forked worker inherits this very object, so no import target is needed.
        _FORK_SHARED_APPS[id(app)] = app
        loader = functools.partial(_load_fork_shared_app, id(app), interface, debugger, threads)
        target = str(getattr(app, "import_name", "app"))
        if reload:
            # Reloading imports the app afresh in each worker, which needs a target.
            _echo(" * Reloading needs the app to be a module global: not reloading.")
            reload = False
    else:
        raise RuntimeError(
            "Cannot serve an app that is not a module global on a platform without fork:"
            " assign it to a module-level name, or use 'carafe --app MODULE:NAME run'."
        )
    if reload and importlib.util.find_spec("watchfiles") is None:
        _echo(" * Reloading needs the 'watchfiles' package: not reloading.")
        reload = False
    serve(
        loader,
        target=target,
        # Like Flask's banner: app.name, which is the script's name for ``__main__``.
        app_name=str(getattr(app, "name", target)),
        host=host,
        port=port,
        debug=app_debug,
        interface=interface,
        reload=reload,
        reload_paths=source_directories(app) if reload else (),
        debugger=debugger,
        **serve_options,
    )

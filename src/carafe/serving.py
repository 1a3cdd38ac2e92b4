"""Serving an app with Granian: interface choice, reloading, dotenv files, workers.

This module backs ``carafe run`` and :meth:`Flask.run`. It is imported only when an app
is served, so ``import carafe`` never loads Granian, watchfiles or python-dotenv. Each
worker process finds the app again through :mod:`carafe.discovery`.
"""

from __future__ import annotations

import errno
import functools
import importlib.util
import inspect
import multiprocessing
import os
import signal
import socket
import sys
import sysconfig
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from carafe.discovery import find_import_target, load_app

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

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000

#: Set while ``carafe run`` serves, so a stray ``app.run()`` at import time is a no-op.
RUN_FROM_CLI_ENV = "CARAFE_RUN_FROM_CLI"

#: Debug mode from the environment, read by ``carafe`` and ``app.run()`` (``FLASK_DEBUG``).
DEBUG_ENV = "CARAFE_DEBUG"

#: Set to a true value to skip loading ``.env`` files (Flask's ``FLASK_SKIP_DOTENV``).
SKIP_DOTENV_ENV = "CARAFE_SKIP_DOTENV"

#: The largest request head (request line and headers) ``carafe run`` accepts, in
#: bytes: nginx's default total (four 8 KiB buffers); Node.js allows 16 KiB.
DEFAULT_MAX_HEADER_SIZE = 32 * 1024

#: The least a request head limit can be: Granian's (hyper's) smallest buffer.
MIN_MAX_HEADER_SIZE = 8192

#: Seconds between workers replaced one by one on purpose (a reload): Granian's
#: ``respawn_interval``. A worker that died is replaced at once.
RESPAWN_INTERVAL = 1.0

#: A replaced worker that dies again within this many seconds of its start is
#: crash-looping: the next replacement waits, twice as long each time, up to
#: :data:`RESPAWN_BACKOFF_MAX` seconds.
RESPAWN_FAST_DEATH = 1.0
RESPAWN_BACKOFF_FIRST = 0.1
RESPAWN_BACKOFF_MAX = 2.0

#: What ``--interface`` accepts: ``auto`` picks ASGI when the app has async code.
INTERFACES = ("auto", "wsgi", "asgi")

# Searched upwards from the working directory, earlier files taking precedence (as
# Flask's .env over .flaskenv); .flaskenv is read so a ported app keeps its settings.
_DOTENV_FILES = (".env", ".carafeenv", ".flaskenv")


# Werkzeug ``run_simple`` options that mean nothing to Granian; accepted and ignored so
# that ``app.run(threaded=True)`` from a Flask app keeps working.
_IGNORED_RUN_OPTIONS = frozenset({"threaded", "use_evalex", "passthrough_errors"})

# Apps handed to forked workers by reference when no import target exists (see run_app).
_FORK_SHARED_APPS: dict[int, Any] = {}


class UnavailableError(Exception):
    """A serving feature asked for is not available: ASGI support or the reloader."""


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
    and its async views run on a per-thread loop.
    """
    views = list(getattr(app, "view_functions", {}).values())
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


def env_flag(name: str) -> bool:
    """Read a boolean environment variable as Flask reads ``FLASK_DEBUG``."""
    value = os.environ.get(name, "")
    return value.lower() not in ("", "0", "false", "no", "off")


def dotenv_enabled() -> bool:
    """False when ``CARAFE_SKIP_DOTENV`` is set to a true value."""
    return not env_flag(SKIP_DOTENV_ENV)


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


def _reload_options(paths: Sequence[Path]) -> dict[str, Any]:
    """Granian's options for restarting the workers when a watched source file changes."""
    if importlib.util.find_spec("watchfiles") is None:
        raise UnavailableError("Reloading needs the 'watchfiles' package: pip install watchfiles")
    from watchfiles import PythonFilter

    class SourceFilter(PythonFilter):
        """Python sources, and the dotenv files the command line reads."""

        def __init__(self) -> None:
            super().__init__(extra_extensions=_DOTENV_FILES)

    if multiprocessing.get_start_method() == "fork":
        # A forked worker would inherit the modules imported here, old code and all; a
        # spawned one imports the sources as they are now.
        multiprocessing.set_start_method("spawn", force=True)
    return {
        "reload": True,
        "reload_paths": list(paths) or [Path.cwd()],
        "reload_filter": SourceFilter,
        # A worker that fails to start (a syntax error being typed) is started again on
        # the next change, instead of stopping the whole server.
        "reload_ignore_worker_failure": True,
    }


# -- serving -----------------------------------------------------------------------------


def _display_url(scheme: str, host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def _echo(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _granian_log_config() -> dict[str, Any]:
    """Send Granian's log lines to stderr, next to the ``* Running on`` banner."""
    handlers = {
        name: {
            "formatter": formatter,
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
        }
        for name, formatter in (("console", "generic"), ("access", "access"))
    }
    return {"handlers": handlers}


def ensure_address_free(host: str, port: int) -> None:
    """Raise :exc:`OSError` if another program listens on ``host:port``.

    Granian binds with ``SO_REUSEPORT``, so a second server on a busy port would start
    and silently share the traffic; a plain probe bind fails instead, as it should.
    """
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR ignores sockets in TIME_WAIT, but not a live listener.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise OSError(
                errno.EADDRINUSE,
                f"Address already in use: port {port} is in use by another program."
                " Stop that program or start the server with a different port.",
            ) from None


def default_threads() -> int:
    """The default number of Python threads per worker for WSGI: ``2 * CPUs + 1``.

    Granian's own default (half its backpressure, 512) makes it warn on small machines.
    """
    return 2 * (os.cpu_count() or 1) + 1


def _keep_serving(server_class: type[Any]) -> type[Any]:
    """Granian's server class, with a worker that keeps dying replaced each time.

    SECURITY: Granian (2.8) stops every worker and exits when a worker it replaced
    dies again within 5.5 seconds ("crash loop"), so two crashes in a row (a request
    that kills its worker, the OOM killer) would take the whole server down. Here the
    replacement always comes; a worker that dies within :data:`RESPAWN_FAST_DEATH`
    of its start is replaced after a growing pause instead, so a real crash loop (a
    worker that cannot start) costs little CPU while the other workers keep serving.
    """

    class KeepServing(server_class):  # type: ignore[misc]
        def _respawn_workers(
            self, workers: list[int], spawn_target: Any, target_loader: Any, delay: float = 0
        ) -> None:
            started: dict[int, float] = self.__dict__.setdefault("carafe_started", {})
            fast_deaths: dict[int, int] = self.__dict__.setdefault("carafe_fast_deaths", {})
            if not delay:  # workers that died (a reload replaces them with a delay)
                now = time.monotonic()
                for index in workers:
                    fast = now - started.get(index, 0.0) < RESPAWN_FAST_DEATH
                    fast_deaths[index] = fast_deaths.get(index, 0) + 1 if fast else 0
                streak = max((fast_deaths.get(index, 0) for index in workers), default=0)
                if streak:
                    time.sleep(min(RESPAWN_BACKOFF_FIRST * 2 ** (streak - 1), RESPAWN_BACKOFF_MAX))
            super()._respawn_workers(workers, spawn_target, target_loader, delay)
            for index in workers:
                started[index] = time.monotonic()
                # What Granian's crash-loop rule reads: without it, no exit.
                self.respawned_wrks.pop(index, None)

    KeepServing.__name__ = KeepServing.__qualname__ = server_class.__name__
    return KeepServing


def serve(
    loader: Callable[[], Any],
    *,
    target: str,
    app_name: str,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    debug: bool = False,
    interface: str = "wsgi",
    workers: int = 1,
    threads: int | None = None,
    reload: bool = False,
    reload_paths: Sequence[Path] = (),
    debugger: bool = False,
    access_log: bool = False,
    ssl_cert: str | None = None,
    ssl_key: str | None = None,
    shutdown_timeout: int = 10,
    respawn: bool = True,
    max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
) -> None:
    """Serve what ``loader`` returns in each worker with Granian, over WSGI or ASGI.

    Blocks until SIGINT or SIGTERM, then lets the workers finish the requests in flight
    (for up to ``shutdown_timeout`` seconds) and returns.

    :param loader: a picklable callable run in every worker, returning the app to serve.
    :param target: the import target shown in Granian's process title and logs.
    :param app_name: the name shown in the ``* Serving Carafe app`` banner line.
    :param interface: ``wsgi`` or ``asgi``, matching what ``loader`` returns.
    :param threads: Python threads per worker: Granian's for WSGI; over ASGI the loader
        sizes the app's own pool for sync views, as Granian allows ASGI one thread.
    :param reload: restart the workers when a Python file under ``reload_paths`` changes.
    :param debugger: only shown in the banner; the loader adds the traceback page.
    :param shutdown_timeout: seconds a worker may take to stop before it is killed.
    :param respawn: start a new worker when one dies (killed, out of memory, a crash
        in native code); without it one dead worker stops the whole server.
    :param max_header_size: the largest request head (request line and headers) in
        bytes; a larger one is answered 431 by the server (at least 8192).
    :raises UnavailableError: ``reload`` without the watchfiles package.
    """
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    asgi = interface == "asgi"
    reload_options = _reload_options(reload_paths) if reload else {}
    ensure_address_free(host, port)
    blocking_threads = 1 if asgi else threads or default_threads()
    server = _keep_serving(Server)(
        target,
        address=host,
        port=port,
        interface=Interfaces.ASGI if asgi else Interfaces.WSGI,
        workers=workers,
        # Granian runs an ASGI app on its event loop and allows it one blocking thread.
        blocking_threads=blocking_threads,
        http=HTTPModes.auto,
        # SECURITY: the request head is bounded far below Granian's 408 KiB default.
        http1_settings=HTTP1Settings(keep_alive=True, max_buffer_size=max_header_size),
        websockets=False,
        log_level=LogLevels.info if debug else LogLevels.warning,
        log_dictconfig=_granian_log_config(),
        log_access=access_log,
        ssl_cert=Path(ssl_cert) if ssl_cert else None,
        ssl_key=Path(ssl_key) if ssl_key else None,
        # A worker that misses the stop signal (a CTRL+C racing its start-up) would
        # otherwise keep the server waiting forever on shutdown.
        workers_kill_timeout=shutdown_timeout,
        # SECURITY: a worker that dies is replaced; the others serve meanwhile.
        respawn_failed_workers=respawn,
        respawn_interval=RESPAWN_INTERVAL,
        **reload_options,
    )
    scheme = "https" if ssl_cert else "http"

    def announce() -> None:
        # Runs after Granian has bound the socket, so the URL printed really answers.
        shown = host
        if host in ("0.0.0.0", "::"):
            _echo(f" * Running on all addresses ({host})")
            shown = "127.0.0.1" if host == "0.0.0.0" else "::1"
        _echo(f" * Running on {_display_url(scheme, shown, port)}")
        _echo("Press CTRL+C to quit")

    server.on_startup(announce)
    worker_word = "worker" if workers == 1 else "workers"
    if asgi:
        threads_note = f", {threads} threads each for sync views" if threads else ""
    else:
        threads_note = f", {blocking_threads} threads each"
    _echo(f" * Serving Carafe app '{app_name}'")
    _echo(f" * Interface: {interface.upper()} ({workers} {worker_word}{threads_note})")
    _echo(f" * Debug mode: {'on' if debug else 'off'}")
    if debugger:
        _echo(" * Traceback page for unhandled errors: on (never an interactive console)")
    if reload:
        watched = ", ".join(str(path) for path in reload_options["reload_paths"])
        _echo(f" * Reloading on changes in: {watched}")
    previous = os.environ.get(RUN_FROM_CLI_ENV)
    # Spawned workers import the app's module again: an unguarded app.run() there must
    # not start another server.
    os.environ[RUN_FROM_CLI_ENV] = "true"
    try:
        server.serve(target_loader=loader, wrap_loader=False)
    finally:
        if previous is None:
            os.environ.pop(RUN_FROM_CLI_ENV, None)


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
        if DEBUG_ENV in os.environ:
            app.debug = env_flag(DEBUG_ENV)
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

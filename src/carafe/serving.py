"""Finding an app from ``MODULE[:NAME]`` and serving it with Granian.

This module backs ``carafe run`` and :meth:`Flask.run`. It is imported only when an app
is served, so ``import carafe`` never loads Granian. App discovery follows ``flask
--app``: ``NAME`` may be an attribute or a factory call such as ``create_app("dev")``;
without ``NAME`` the module's ``app`` or ``application``, its single app instance, or a
``create_app``/``make_app`` factory is used.
"""

from __future__ import annotations

import ast
import errno
import functools
import inspect
import multiprocessing
import os
import re
import signal
import socket
import sys
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "NoAppError",
    "find_import_target",
    "load_app",
    "locate_app",
    "prepare_import",
    "run_app",
    "serve",
    "serve_spec",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000

#: Set while ``carafe run`` serves, so a stray ``app.run()`` at import time is a no-op.
RUN_FROM_CLI_ENV = "CARAFE_RUN_FROM_CLI"

# The names and factories looked up in a module when no NAME is given (Flask's order).
_APP_NAMES = ("app", "application")
_FACTORY_NAMES = ("create_app", "make_app")

# Werkzeug ``run_simple`` options that mean nothing to Granian; accepted and ignored so
# that ``app.run(threaded=True)`` from a Flask app keeps working.
_IGNORED_RUN_OPTIONS = frozenset(
    {"threaded", "use_debugger", "use_evalex", "load_dotenv", "passthrough_errors"}
)

# Apps handed to forked workers by reference when no import target exists (see run_app).
_FORK_SHARED_APPS: dict[int, Any] = {}


class NoAppError(Exception):
    """The app named by ``MODULE[:NAME]`` could not be imported, found or created."""


def _is_app(value: object) -> bool:
    from carafe import Flask

    return isinstance(value, Flask)


def prepare_import(path: str) -> str:
    """Turn ``path`` (a module name or a ``.py`` file) into an importable module name.

    Like ``flask --app``, a file path is walked up past any package ``__init__.py`` files
    and the first directory outside a package is put on :data:`sys.path`.
    """
    path = os.path.realpath(path)
    stem, ext = os.path.splitext(path)
    if ext == ".py":
        path = stem
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    parts: list[str] = []
    while True:
        path, name = os.path.split(path)
        parts.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(parts))


def split_app_spec(spec: str) -> tuple[str, str | None]:
    """Split ``MODULE[:NAME]`` on the first colon not followed by a path separator.

    The lookahead keeps Windows drive letters (``C:\\app.py``) in the module part.
    """
    parts = re.split(r":(?![\\/])", spec, maxsplit=1)
    if len(parts) == 1:
        return parts[0], None
    return parts[0], parts[1]


def _import_module(module_name: str) -> ModuleType:
    try:
        __import__(module_name)
    except ImportError as exc:
        # An ImportError raised from inside the module is a bug in the app, not a bad
        # name: show its traceback instead of hiding it behind "could not import".
        if exc.__traceback__ is not None and exc.__traceback__.tb_next is not None:
            raise NoAppError(
                f"While importing {module_name!r}, an ImportError was raised:\n\n"
                f"{traceback.format_exc()}"
            ) from exc
        raise NoAppError(f"Could not import {module_name!r}.") from exc
    return sys.modules[module_name]


def _called_with_wrong_args(factory: Callable[..., Any]) -> bool:
    """Tell whether the last :exc:`TypeError` came from calling ``factory`` itself.

    A ``TypeError`` raised inside the factory is the app's bug and must propagate; one
    raised by the call (missing arguments) means the factory needs arguments.
    """
    tb = sys.exc_info()[2]
    try:
        while tb is not None:
            if tb.tb_frame.f_code is getattr(factory, "__code__", None):
                return False
            tb = tb.tb_next
        return True
    finally:
        del tb


def find_best_app(module: ModuleType) -> Any:
    """Find the app in ``module`` when no name was given, the way ``flask --app`` does."""
    for name in _APP_NAMES:
        value = getattr(module, name, None)
        if _is_app(value):
            return value
    found = [value for value in vars(module).values() if _is_app(value)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise NoAppError(
            f"Detected multiple Carafe applications in module '{module.__name__}'."
            f" Use '{module.__name__}:name' to specify the correct one."
        )
    for name in _FACTORY_NAMES:
        factory = getattr(module, name, None)
        if not inspect.isfunction(factory):
            continue
        try:
            app = factory()
        except TypeError as exc:
            if not _called_with_wrong_args(factory):
                raise
            raise NoAppError(
                f"Detected factory '{name}' in module '{module.__name__}', but could not"
                " call it without arguments. Use"
                f" '{module.__name__}:{name}(args)' to specify arguments."
            ) from exc
        if _is_app(app):
            return app
    raise NoAppError(
        f"Failed to find Carafe application or factory in module '{module.__name__}'."
        f" Use '{module.__name__}:name' to specify one."
    )


def _parse_app_name(app_name: str) -> tuple[str, list[Any], dict[str, Any]]:
    """Parse ``NAME`` or ``NAME(literal args)`` into a name and call arguments."""
    try:
        expr = ast.parse(app_name.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppError(
            f"Failed to parse {app_name!r} as an attribute name or function call."
        ) from None
    if isinstance(expr, ast.Name):
        return expr.id, [], {}
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        # SECURITY: only literals are accepted as factory arguments; nothing is evaluated.
        try:
            args = [ast.literal_eval(arg) for arg in expr.args]
            kwargs = {
                kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg is not None
            }
        except ValueError:
            raise NoAppError(
                f"Failed to parse arguments as literal values: {app_name!r}."
            ) from None
        return expr.func.id, args, kwargs
    raise NoAppError(f"Failed to parse {app_name!r} as an attribute name or function call.")


def find_app_by_string(module: ModuleType, app_name: str) -> Any:
    """Resolve ``NAME`` (an attribute) or ``NAME(args)`` (a factory call) in ``module``."""
    name, args, kwargs = _parse_app_name(app_name)
    try:
        attr = getattr(module, name)
    except AttributeError as exc:
        raise NoAppError(f"Failed to find attribute {name!r} in {module.__name__!r}.") from exc
    if inspect.isfunction(attr):
        try:
            app = attr(*args, **kwargs)
        except TypeError as exc:
            if not _called_with_wrong_args(attr):
                raise
            raise NoAppError(
                f"The factory {app_name!r} in module {module.__name__!r} could not be"
                " called with the specified arguments."
            ) from exc
    elif args or kwargs:
        raise NoAppError(f"{name!r} in module {module.__name__!r} is not a factory function.")
    else:
        app = attr
    if _is_app(app):
        return app
    raise NoAppError(
        f"A valid Carafe application was not obtained from '{module.__name__}:{app_name}'."
    )


def locate_app(module_name: str, app_name: str | None) -> Any:
    """Import ``module_name`` and return the app named ``app_name`` (or the best one)."""
    module = _import_module(module_name)
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def load_app(spec: str) -> Any:
    """Load the app for ``MODULE[:NAME]``; ``MODULE`` may also be a ``.py`` file path."""
    path, app_name = split_app_spec(spec)
    return locate_app(prepare_import(path), app_name)


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


def _load_worker_app(spec: str, debug: bool | None) -> Any:
    """Granian worker loader: load ``spec`` in the worker and return its WSGI callable."""
    _ignore_terminal_interrupt()
    app = load_app(spec)
    if debug is not None:
        app.debug = debug
    return app


def _load_fork_shared_app(key: int) -> Any:
    """Granian worker loader for an app inherited from the parent through ``fork``."""
    _ignore_terminal_interrupt()
    return _FORK_SHARED_APPS[key]


def find_import_target(app: Any) -> str | None:
    """Find the ``MODULE:NAME`` target that lets a worker import ``app`` again.

    ``app.import_name`` names the module that created the app, as in Flask; its globals
    are searched for the object. An app in ``__main__`` is found through the script path.
    Return ``None`` when the app is not a module global (made by a factory, say).
    """
    module_name = getattr(app, "import_name", None)
    module = sys.modules.get(module_name) if isinstance(module_name, str) else None
    if module is None:
        return None
    names = [name for name, value in vars(module).items() if value is app]
    if not names:
        return None
    name = next((candidate for candidate in _APP_NAMES if candidate in names), names[0])
    if module.__name__ == "__main__":
        script = getattr(module, "__file__", None)
        if script is None:
            return None
        # The worker imports the script under its own module name, so its
        # ``if __name__ == "__main__":`` block does not run again there.
        return f"{prepare_import(script)}:{name}"
    return f"{module.__name__}:{name}"


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


def serve(
    loader: Callable[[], Any],
    *,
    target: str,
    app_name: str,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    debug: bool = False,
    workers: int = 1,
    threads: int | None = None,
    access_log: bool = False,
    ssl_cert: str | None = None,
    ssl_key: str | None = None,
    shutdown_timeout: int = 10,
) -> None:
    """Serve the app returned by ``loader`` in each worker, with Granian over WSGI.

    Blocks until SIGINT or SIGTERM, then shuts the workers down and returns.

    :param loader: a picklable callable run in every worker, returning the WSGI app.
    :param target: the import target shown in Granian's process title and logs.
    :param app_name: the name shown in the ``* Serving Carafe app`` banner line.
    :param shutdown_timeout: seconds a worker may take to stop before it is killed.
    """
    from pathlib import Path

    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    ensure_address_free(host, port)
    server = Server(
        target,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads or default_threads(),
        http=HTTPModes.auto,
        http1_settings=HTTP1Settings(keep_alive=True),
        websockets=False,
        log_level=LogLevels.info if debug else LogLevels.warning,
        log_dictconfig=_granian_log_config(),
        log_access=access_log,
        ssl_cert=Path(ssl_cert) if ssl_cert else None,
        ssl_key=Path(ssl_key) if ssl_key else None,
        # A worker that misses the stop signal (a CTRL+C racing its start-up) would
        # otherwise keep the server waiting forever on shutdown.
        workers_kill_timeout=shutdown_timeout,
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
    _echo(f" * Serving Carafe app '{app_name}'")
    _echo(f" * Debug mode: {'on' if debug else 'off'}")
    server.serve(target_loader=loader, wrap_loader=False)


def serve_spec(spec: str, *, app_name: str | None = None, **options: Any) -> None:
    """Serve the app named by ``MODULE[:NAME]``, re-resolved in every worker process."""
    debug = options.get("debug")
    loader = functools.partial(_load_worker_app, spec, debug)
    serve(loader, target=spec, app_name=app_name or spec, **options)


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

    Defaults match Flask: the host and port come from ``SERVER_NAME`` when set, else
    ``127.0.0.1:5000``. Extra options: ``workers`` (or Werkzeug's ``processes``),
    ``threads``, ``access_log`` and ``ssl_context=(cert, key)``. Werkzeug-only options
    such as ``threaded`` are ignored. Inside ``carafe run`` this does nothing, as Flask's
    ``run()`` does inside ``flask run``.
    """
    if os.environ.get(RUN_FROM_CLI_ENV) == "true":
        return
    if debug is not None:
        app.debug = bool(debug)
    server_host, server_port = _server_name_address(app)
    host = host or server_host or DEFAULT_HOST
    port = int(port or server_port or DEFAULT_PORT)

    serve_options: dict[str, Any] = {}
    for key, value in options.items():
        if key in ("workers", "processes"):
            serve_options["workers"] = int(value)
        elif key in ("threads", "access_log"):
            serve_options[key] = value
        elif key == "ssl_context":
            if value is None:
                continue
            if not (isinstance(value, tuple) and len(value) == 2):
                raise TypeError("ssl_context must be a (cert_file, key_file) tuple.")
            serve_options["ssl_cert"], serve_options["ssl_key"] = value
        elif key == "use_reloader":
            if value:
                _echo(" * The reloader is not available; restart the server after changes.")
        elif key not in _IGNORED_RUN_OPTIONS:
            raise TypeError(f"run() got an unexpected keyword argument {key!r}")

    app_debug = bool(getattr(app, "debug", False))
    target = find_import_target(app)
    loader: Callable[[], Any]
    if target is not None:
        loader = functools.partial(_load_worker_app, target, app_debug)
    elif multiprocessing.get_start_method() == "fork":
        # A forked worker inherits this very object, so no import target is needed.
        _FORK_SHARED_APPS[id(app)] = app
        loader = functools.partial(_load_fork_shared_app, id(app))
        target = str(getattr(app, "import_name", "app"))
    else:
        raise RuntimeError(
            "Cannot serve an app that is not a module global on a platform without fork:"
            " assign it to a module-level name, or use 'carafe --app MODULE:NAME run'."
        )
    serve(
        loader,
        target=target,
        # Like Flask's banner: app.name, which is the script's name for ``__main__``.
        app_name=str(getattr(app, "name", target)),
        host=host,
        port=port,
        debug=app_debug,
        **serve_options,
    )

"""The embedded Granian server behind :mod:`carafe.serving`: starting it, and keeping it up.

:func:`serve` starts Granian's server with Carafe's settings (the bounded request head,
the log lines on stderr, the reload watch of :func:`_reload_options`, the banner) after
:func:`ensure_address_free` has probed the port, and blocks until it stops. Its server
class replaces a worker that dies every time, backing off when one keeps dying
(:func:`_keep_serving`). Only :mod:`carafe.serving` imports this module; the public
names are re-exported there.
"""

from __future__ import annotations

import errno
import importlib.util
import multiprocessing
import os
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000

#: Set while ``carafe run`` serves, so a stray ``app.run()`` at import time is a no-op.
RUN_FROM_CLI_ENV = "CARAFE_RUN_FROM_CLI"

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

# Searched upwards from the working directory, earlier files taking precedence (as
# Flask's .env over .flaskenv); .flaskenv is read so a ported app keeps its settings.
_DOTENV_FILES = (".env", ".carafeenv", ".flaskenv")


class UnavailableError(Exception):
    """A serving feature asked for is not available: ASGI support or the reloader."""


# -- reloading ---------------------------------------------------------------------------


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

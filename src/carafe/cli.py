"""The ``carafe`` command line: ``carafe --app MODULE[:NAME] run``, like ``flask run``.

Click is imported here and nowhere in the core, so ``import carafe`` stays light; the
console script ``carafe`` and ``python -m carafe`` both call :func:`main`.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
from collections.abc import Callable, Iterable
from functools import update_wrapper
from typing import Any, TypeVar

import click

from carafe import discovery, helpers, serving

# Flask's names for the app discovery it shares with Carafe (flask.cli exports them).
from carafe.discovery import NoAppError as NoAppException
from carafe.discovery import find_best_app as find_best_app
from carafe.discovery import locate_app as locate_app
from carafe.discovery import prepare_import as prepare_import
from carafe.serving import load_dotenv as load_dotenv

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "AppGroup",
    "AppLocator",
    "FlaskGroup",
    "NoAppException",
    "ScriptInfo",
    "cli",
    "find_best_app",
    "get_version",
    "load_dotenv",
    "locate_app",
    "main",
    "pass_script_info",
    "prepare_import",
    "with_appcontext",
]

# Files tried, in order, when neither --app nor CARAFE_APP names the app (as flask does).
_DEFAULT_APP_FILES = ("wsgi.py", "app.py")

# Methods every rule answers automatically, hidden by ``carafe routes`` unless asked.
_AUTOMATIC_METHODS = frozenset({"HEAD", "OPTIONS"})


class ScriptInfo:
    """What the command line knows of the app, as Flask's ``ScriptInfo``: where to
    load it from (``--app``), or a factory; the app, loaded on first use.

    :param app_import_path: ``MODULE[:NAME]`` or ``FILE.py[:NAME]``; None tries
        ``wsgi.py`` and ``app.py`` in the working directory.
    :param create_app: a function returning the app (instead of an import path).
    :param set_debug_flag: apply ``--debug`` (or ``CARAFE_DEBUG``/``FLASK_DEBUG``).
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: Callable[..., Any] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = load_dotenv_defaults
        #: Anything commands want to keep here.
        self.data: dict[Any, Any] = {}
        #: ``--debug``/``--no-debug`` as given (None: from the environment, if set).
        self.debug: bool | None = None
        self._loaded_app: Any = None

    def resolve_spec(self) -> str:
        """Return the ``MODULE[:NAME]`` to load, choosing a default file if none was given."""
        if self.app_import_path:
            return self.app_import_path
        for filename in _DEFAULT_APP_FILES:
            if os.path.exists(filename):
                return filename
        raise NoAppException(
            "Could not locate a Carafe application. Use the 'carafe --app' option,"
            " the 'CARAFE_APP' environment variable, or a 'wsgi.py' or 'app.py' file"
            " in the current directory."
        )

    def load_app(self) -> Any:
        """Import (or create) and return the app, once; discovery failures are usage
        errors."""
        if self._loaded_app is None:
            if self.create_app is not None:
                app = self.create_app()
            else:
                app = discovery.load_app(self.resolve_spec())
            if self.set_debug_flag:
                # As Flask: --debug, else the environment, decides (not the factory).
                app.debug = self.debug if self.debug is not None else helpers.get_debug_flag()
            self._loaded_app = app
        return self._loaded_app


#: The name this class had before Flask's.
AppLocator = ScriptInfo

pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(func: F) -> F:
    """Decorate a command to run in the app's app context (the app loaded first)."""

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        from carafe.globals import current_app

        if not current_app:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(func, *args, **kwargs)

    return update_wrapper(decorator, func)  # type: ignore[return-value]


class AppGroup(click.Group):
    """A click group whose commands run in the app context (``app.cli``; Flask's
    ``AppGroup``): ``@app.cli.command()``, or ``with_appcontext=False`` to opt out."""

    def command(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], click.Command]:
        """A command of this group, wrapped in :func:`with_appcontext` unless
        ``with_appcontext=False``."""
        wrap = kwargs.pop("with_appcontext", True)

        def decorator(func: Callable[..., Any]) -> click.Command:
            if wrap:
                func = with_appcontext(func)
            command: click.Command = click.Group.command(self, *args, **kwargs)(func)
            return command

        return decorator

    def group(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], click.Group]:
        """A subgroup, an :class:`AppGroup` unless ``cls=`` says otherwise."""
        kwargs.setdefault("cls", AppGroup)
        return click.Group.group(self, *args, **kwargs)  # type: ignore[no-any-return]


class FlaskGroup(AppGroup):
    """The ``carafe`` command group, as Flask's ``FlaskGroup``: the ``--app``,
    ``--debug``, ``-e/--env-file`` and ``--version`` options, the ``run``, ``shell``
    and ``routes`` commands, then the app's own (``app.cli``, blueprints' groups
    included), found by loading the app.

    :param add_default_commands: add ``run``, ``shell`` and ``routes``.
    :param create_app: a function returning the app (instead of ``--app``).
    :param add_version_option: add ``--version``.
    :param load_dotenv: load ``.env`` files (unless ``CARAFE_SKIP_DOTENV``).
    :param set_debug_flag: apply ``--debug`` to the app.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: Callable[..., Any] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: Any,
    ) -> None:
        params = list(extra.pop("params", None) or ())
        params.extend((_env_file_option, _app_option, _debug_option))
        if add_version_option:
            params.append(_version_option)
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if "obj" not in extra and "obj" not in (self.context_settings or {}):
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent, **extra)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        try:
            app = ctx.ensure_object(ScriptInfo).load_app()
        except click.UsageError as exc:
            click.secho(f"Error: {exc.format_message()}\n", err=True, fg="red")
            return None
        # The app's commands run in its context, whatever they are decorated with.
        from carafe.globals import current_app

        if not current_app or current_app._get_current_object() is not app:  # type: ignore[attr-defined]
            ctx.with_resource(app.app_context())
        return app.cli.get_command(ctx, cmd_name)  # type: ignore[no-any-return]

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        try:
            names.update(ctx.ensure_object(ScriptInfo).load_app().cli.list_commands(ctx))
        except click.UsageError as exc:
            # The help still lists the built-in commands, after saying why not the app's.
            click.secho(f"Error: {exc.format_message()}\n", err=True, fg="red")
        except Exception:
            import traceback

            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(names)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if (not args and self.no_args_is_help) or (
            len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        ):
            # The help lists the app's commands: read --env-file and --app from the
            # environment now, before click stops at --help.
            _env_file_option.handle_parse_result(ctx, {}, [])
            _app_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)


def get_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        carafe_version = version("carafe")
    except PackageNotFoundError:
        carafe_version = "unknown"
    click.echo(f"Python {platform.python_version()}\nCarafe {carafe_version}")
    ctx.exit()


def _load_env_files(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Load ``--env-file`` and the default dotenv files, as ``flask`` does.

    The option is eager, so this runs before other options read the environment.
    """
    if ctx.resilient_parsing:
        return value
    if value is not None and importlib.util.find_spec("dotenv") is None:
        raise click.BadParameter("python-dotenv must be installed to load an env file.")
    defaults = ctx.ensure_object(ScriptInfo).load_dotenv_defaults and serving.dotenv_enabled()
    if value is not None or defaults:
        serving.load_dotenv(value, load_defaults=defaults)
    return value


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    # Eager, as --debug: the app's own commands are looked up before the group runs.
    if value:
        ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool | None) -> bool | None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).debug = value
    return value


_env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    is_eager=True,
    expose_value=False,
    callback=_load_env_files,
    help="Load environment variables from this file, taking precedence over .env,"
    " .carafeenv and .flaskenv (which are loaded too unless CARAFE_SKIP_DOTENV is set)."
    " Variables already set in the environment win. Needs python-dotenv.",
)

_app_option = click.Option(
    ["-A", "--app", "app_spec"],
    metavar="IMPORT",
    envvar=["CARAFE_APP", "FLASK_APP"],
    is_eager=True,
    expose_value=False,
    callback=_set_app,
    help="The app to load, as 'module:name' or 'file.py:name'; a factory may be called"
    " as 'module:create_app(\"dev\")'. Without a name, 'app', 'application', the"
    " module's single app, or a 'create_app'/'make_app' factory is used.",
)

_debug_option = click.Option(
    ["--debug/--no-debug"],
    default=None,
    envvar=serving.DEBUG_ENV,
    is_eager=True,
    expose_value=False,
    callback=_set_debug,
    help="Set debug mode (app.debug).",
)

_version_option = click.Option(
    ["--version"],
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=get_version,
    help="Show the Carafe and Python versions.",
)


@click.command("run", short_help="Serve the app with Granian.")
@click.option(
    "-h",
    "--host",
    default=serving.DEFAULT_HOST,
    show_default=True,
    show_envvar=True,
    envvar="CARAFE_RUN_HOST",
    help="The interface to bind to.",
)
@click.option(
    "-p",
    "--port",
    default=serving.DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    show_envvar=True,
    envvar="CARAFE_RUN_PORT",
    help="The port to bind to.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    show_envvar=True,
    envvar="CARAFE_RUN_WORKERS",
    help="Worker processes.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    show_envvar=True,
    envvar="CARAFE_RUN_THREADS",
    help="Python threads per worker: for WSGI, Granian's; for ASGI, the pool running"
    " sync views.  [default: 2 * CPUs + 1]",
)
@click.option(
    "--interface",
    type=click.Choice(serving.INTERFACES),
    default="auto",
    show_default=True,
    show_envvar=True,
    envvar="CARAFE_RUN_INTERFACE",
    help="Serve app.asgi or the WSGI app; 'auto' picks ASGI when a view, hook or error"
    " handler is 'async def'.",
)
@click.option(
    "--debug/--no-debug",
    "run_debug",
    default=None,
    show_envvar=True,
    envvar=serving.DEBUG_ENV,
    help="Debug mode: app.debug, reloading and the traceback page.",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    show_envvar=True,
    envvar="CARAFE_RUN_RELOAD",
    help="Restart the workers when a source file changes (needs watchfiles)."
    "  [default: on in debug mode]",
)
@click.option(
    "--debugger/--no-debugger",
    default=None,
    show_envvar=True,
    envvar="CARAFE_RUN_DEBUGGER",
    help="Answer unhandled errors with a traceback page (never an interactive console)."
    "  [default: on in debug mode]",
)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_envvar=True,
    envvar="CARAFE_RUN_ACCESS_LOG",
    help="Log every request to stderr.",
)
@click.option(
    "--respawn/--no-respawn",
    default=True,
    show_default=True,
    show_envvar=True,
    envvar="CARAFE_RUN_RESPAWN",
    help="Start a new worker when one dies, instead of stopping the server.",
)
@click.option(
    "--max-header-size",
    default=serving.DEFAULT_MAX_HEADER_SIZE,
    show_default=True,
    type=click.IntRange(min=serving.MIN_MAX_HEADER_SIZE),
    show_envvar=True,
    envvar="CARAFE_RUN_MAX_HEADER_SIZE",
    help="The largest request line and headers in bytes; a larger request head is a 431.",
)
@click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="TLS certificate.")
@click.option("--key", type=click.Path(exists=True, dir_okay=False), help="TLS private key.")
@pass_script_info
def run_command(
    locator: ScriptInfo,
    host: str,
    port: int,
    workers: int,
    threads: int | None,
    interface: str,
    run_debug: bool | None,
    reload: bool | None,
    debugger: bool | None,
    access_log: bool,
    respawn: bool,
    max_header_size: int,
    cert: str | None,
    key: str | None,
) -> None:
    """Serve the app on Granian, a production HTTP/1.1 server, over WSGI or ASGI.

    Stops on CTRL+C or SIGTERM after finishing the requests in flight.
    """
    if (cert is None) != (key is None):
        raise click.BadParameter("--cert and --key must be given together.", param_hint="--cert")
    # CARAFE_DEBUG feeds both --debug options; a flag typed before 'run' beats it.
    source = click.get_current_context().get_parameter_source("run_debug")
    from_env = source is click.core.ParameterSource.ENVIRONMENT
    if run_debug is not None and not (from_env and locator.debug is not None):
        locator.debug = run_debug
    # A module that calls app.run() at import time must not start a second server.
    os.environ[serving.RUN_FROM_CLI_ENV] = "true"
    # Load in this process first, so a bad --app is a usage error, not a worker crash.
    app = locator.load_app()
    spec = locator.resolve_spec()
    debug = bool(getattr(app, "debug", False))
    try:
        chosen = serving.resolve_interface(app, interface)
    except serving.UnavailableError as exc:
        raise click.UsageError(str(exc)) from None
    if reload is None:
        reload = debug and importlib.util.find_spec("watchfiles") is not None
        if debug and not reload:
            click.echo(" * Install watchfiles to reload on changes in debug mode.", err=True)
    try:
        serving.serve_spec(
            spec,
            host=host,
            port=port,
            debug=debug,
            interface=chosen,
            workers=workers,
            threads=threads,
            reload=reload,
            reload_paths=serving.source_directories(app) if reload else (),
            debugger=debug if debugger is None else debugger,
            access_log=access_log,
            respawn=respawn,
            max_header_size=max_header_size,
            ssl_cert=cert,
            ssl_key=key,
        )
    except serving.UnavailableError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(exc.strerror or str(exc)) from None


def _route_rows(rules: Iterable[Any], all_methods: bool) -> list[tuple[str, str, str]]:
    rows = []
    for rule in rules:
        methods = set(rule.methods or ())
        if not all_methods:
            methods -= _AUTOMATIC_METHODS
        rows.append((str(rule.endpoint), ", ".join(sorted(methods)), str(rule.rule)))
    return rows


@click.command("routes", short_help="Show the routes of the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "rule", "match")),
    default="endpoint",
    show_default=True,
    help="Sort by this column; 'match' is the order the router tries the rules.",
)
@click.option("--all-methods", is_flag=True, help="Also show HEAD and OPTIONS.")
@pass_script_info
def routes_command(locator: ScriptInfo, sort: str, all_methods: bool) -> None:
    """Show every route of the app: its endpoint, methods and rule."""
    rules = list(locator.load_app().url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    rows = _route_rows(rules, all_methods)
    if sort != "match":
        column = ("endpoint", "methods", "rule").index(sort)
        rows.sort(key=lambda row: row[column])
    header = ("Endpoint", "Methods", "Rule")
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(3)]
    separator = tuple("-" * width for width in widths)
    for row in (header, separator, *rows):
        # Padded like Flask's table, the last column included.
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


@click.command("shell", short_help="Run a shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """Run an interactive Python shell in the app's context, with ``app``, ``g`` and
    the app's shell context (``app.shell_context_processor``) in its namespace; the
    file ``PYTHONSTARTUP`` names runs first."""
    import code

    from carafe.globals import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.import_name}\nInstance: {app.instance_path}"
    )
    namespace: dict[str, Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as file:
            exec(compile(file.read(), startup, "exec"), namespace)  # noqa: S102 - the user's own
    namespace.update(app.make_shell_context())
    hook = getattr(sys, "__interactivehook__", None)
    if hook is not None:
        # Tab completion and history, as the plain interpreter sets them up.
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            readline.set_completer(Completer(namespace).complete)
        hook()
    code.interact(banner=banner, local=namespace)


#: The ``carafe`` command.
cli = FlaskGroup(name="carafe", help="A command line for Carafe applications.")


def main() -> None:
    """Entry point of the ``carafe`` console script and of ``python -m carafe``."""
    # Click names the program "python -m carafe" by itself when run that way.
    cli.main()

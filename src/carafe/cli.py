"""The ``carafe`` command line: ``carafe --app MODULE[:NAME] run``, like ``flask run``.

Click is imported here and nowhere in the core, so ``import carafe`` stays light; the
console script ``carafe`` and ``python -m carafe`` both call :func:`main`.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable
from typing import Any

import click

from carafe import serving

__all__ = ["AppLocator", "cli", "main"]

# Files tried, in order, when neither --app nor CARAFE_APP names the app (as flask does).
_DEFAULT_APP_FILES = ("wsgi.py", "app.py")

# Methods every rule answers automatically, hidden by ``carafe routes`` unless asked.
_AUTOMATIC_METHODS = frozenset({"HEAD", "OPTIONS"})


class AppLocator:
    """What ``--app`` named, and the app loaded from it on first use.

    :param spec: ``MODULE[:NAME]`` or ``FILE.py[:NAME]``; ``None`` tries ``wsgi.py`` and
        ``app.py`` in the working directory.
    """

    def __init__(self, spec: str | None = None, debug: bool | None = None) -> None:
        self.spec = spec
        self.debug = debug
        self._app: Any = None

    def resolve_spec(self) -> str:
        """Return the ``MODULE[:NAME]`` to load, choosing a default file if none was given."""
        if self.spec:
            return self.spec
        for filename in _DEFAULT_APP_FILES:
            if os.path.exists(filename):
                return filename
        raise click.UsageError(
            "Could not locate a Carafe application. Use the 'carafe --app' option,"
            " the 'CARAFE_APP' environment variable, or a 'wsgi.py' or 'app.py' file"
            " in the current directory."
        )

    def load_app(self) -> Any:
        """Import and return the app, turning discovery failures into usage errors."""
        if self._app is None:
            try:
                self._app = serving.load_app(self.resolve_spec())
            except serving.NoAppError as exc:
                raise click.UsageError(str(exc)) from None
            if self.debug is not None:
                self._app.debug = self.debug
        return self._app


pass_locator = click.make_pass_decorator(AppLocator, ensure=True)


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        carafe_version = version("carafe")
    except PackageNotFoundError:
        carafe_version = "unknown"
    click.echo(f"Python {platform.python_version()}\nCarafe {carafe_version}")
    ctx.exit()


@click.group(help="A command line for Carafe applications.")
@click.option(
    "-A",
    "--app",
    "app_spec",
    metavar="IMPORT",
    envvar=["CARAFE_APP", "FLASK_APP"],
    help="The app to load, as 'module:name' or 'file.py:name'; a factory may be called"
    " as 'module:create_app(\"dev\")'. Without a name, 'app', 'application', the"
    " module's single app, or a 'create_app'/'make_app' factory is used.",
)
@click.option(
    "--debug/--no-debug",
    default=None,
    envvar="CARAFE_DEBUG",
    help="Set debug mode (app.debug).",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the Carafe and Python versions.",
)
@click.pass_context
def cli(ctx: click.Context, app_spec: str | None, debug: bool | None) -> None:
    """Run the ``carafe`` command group, recording which app to load."""
    ctx.obj = AppLocator(app_spec, debug)


@cli.command("run", short_help="Serve the app with Granian.")
@click.option(
    "-h",
    "--host",
    default=serving.DEFAULT_HOST,
    show_default=True,
    envvar="CARAFE_RUN_HOST",
    help="The interface to bind to.",
)
@click.option(
    "-p",
    "--port",
    default=serving.DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    envvar="CARAFE_RUN_PORT",
    help="The port to bind to.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    help="Python threads per worker [default: 2 * CPUs + 1].",
)
@click.option("--access-log", is_flag=True, help="Log every request to stderr.")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="TLS certificate.")
@click.option("--key", type=click.Path(exists=True, dir_okay=False), help="TLS private key.")
@pass_locator
def run_command(
    locator: AppLocator,
    host: str,
    port: int,
    workers: int,
    threads: int | None,
    access_log: bool,
    cert: str | None,
    key: str | None,
) -> None:
    """Serve the app on Granian, a production HTTP/1.1 server (WSGI interface).

    Stops cleanly on CTRL+C or SIGTERM.
    """
    if (cert is None) != (key is None):
        raise click.BadParameter("--cert and --key must be given together.", param_hint="--cert")
    # A module that calls app.run() at import time must not start a second server.
    os.environ[serving.RUN_FROM_CLI_ENV] = "true"
    # Load in this process first, so a bad --app is a usage error, not a worker crash.
    app = locator.load_app()
    spec = locator.resolve_spec()
    try:
        serving.serve_spec(
            spec,
            host=host,
            port=port,
            debug=bool(getattr(app, "debug", False)),
            workers=workers,
            threads=threads,
            access_log=access_log,
            ssl_cert=cert,
            ssl_key=key,
        )
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


@cli.command("routes", short_help="Show the routes of the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "rule", "match")),
    default="endpoint",
    show_default=True,
    help="Sort by this column; 'match' is the order the router tries the rules.",
)
@click.option("--all-methods", is_flag=True, help="Also show HEAD and OPTIONS.")
@pass_locator
def routes_command(locator: AppLocator, sort: str, all_methods: bool) -> None:
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
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


def main() -> None:
    """Entry point of the ``carafe`` console script and of ``python -m carafe``."""
    # Click names the program "python -m carafe" by itself when run that way.
    cli.main()

"""The ``carafe`` command line and the app discovery behind it (``carafe.serving``)."""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import carafe
from carafe import discovery, serving
from carafe.cli import cli

WriteModule = Callable[[str, str], str]

APP_SOURCE = """
from carafe import Flask
{name} = Flask(__name__)

@{name}.route("/")
def index():
    return "hello"
"""


@pytest.fixture(autouse=True)
def isolated_imports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Run each test in ``tmp_path`` and forget the modules and sys.path it added."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CARAFE_APP", raising=False)
    monkeypatch.delenv("FLASK_APP", raising=False)
    monkeypatch.delenv("CARAFE_DEBUG", raising=False)
    monkeypatch.delenv(serving.RUN_FROM_CLI_ENV, raising=False)
    for name in list(os.environ):
        if name.startswith("CARAFE_"):
            monkeypatch.delenv(name)
    saved_env = dict(os.environ)
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    yield
    # The CLI writes os.environ itself (dotenv files, CARAFE_RUN_FROM_CLI).
    os.environ.clear()
    os.environ.update(saved_env)
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        del sys.modules[name]


@pytest.fixture
def write_module(tmp_path: Path) -> WriteModule:
    """Write ``source`` to ``tmp_path/<name>.py`` and return the module name."""

    def write(name: str, source: str) -> str:
        path = tmp_path.joinpath(*name.split(".")).with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        return name

    return write


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str, **kwargs: Any) -> Any:
    return runner.invoke(cli, list(args), catch_exceptions=False, **kwargs)


# App discovery -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["app", "application", "my_service"])
def test_finds_the_app_without_a_name(write_module: WriteModule, name: str) -> None:
    module = write_module("discover_plain", APP_SOURCE.format(name=name))
    app = discovery.load_app(module)
    assert isinstance(app, carafe.Flask)
    assert app is getattr(sys.modules[module], name)


def test_prefers_app_over_other_instances(write_module: WriteModule) -> None:
    module = write_module(
        "discover_prefer",
        """
        from carafe import Flask
        other = Flask("other")
        app = Flask(__name__)
        """,
    )
    assert discovery.load_app(module) is sys.modules[module].app


def test_several_instances_need_a_name(write_module: WriteModule) -> None:
    module = write_module(
        "discover_many",
        """
        from carafe import Flask
        first = Flask("first")
        second = Flask("second")
        """,
    )
    with pytest.raises(discovery.NoAppError, match="multiple Carafe applications"):
        discovery.load_app(module)
    assert discovery.load_app(f"{module}:second") is sys.modules[module].second


@pytest.mark.parametrize("factory", ["create_app", "make_app"])
def test_calls_a_factory_without_a_name(write_module: WriteModule, factory: str) -> None:
    module = write_module(
        "discover_factory",
        f"""
        from carafe import Flask
        def {factory}():
            return Flask("made")
        """,
    )
    app = discovery.load_app(module)
    assert isinstance(app, carafe.Flask)
    assert app.import_name == "made"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("create_app", "default"),
        ("create_app()", "default"),
        ("create_app('dev')", "dev"),
        ('create_app(name="kw")', "kw"),
    ],
)
def test_factory_call_in_the_name(write_module: WriteModule, spec: str, expected: str) -> None:
    module = write_module(
        "discover_call",
        """
        from carafe import Flask
        def create_app(name="default"):
            return Flask(name)
        """,
    )
    assert discovery.load_app(f"{module}:{spec}").import_name == expected


def test_factory_needing_arguments_is_explained(write_module: WriteModule) -> None:
    module = write_module(
        "discover_needs_args",
        """
        from carafe import Flask
        def create_app(config):
            return Flask(config)
        """,
    )
    with pytest.raises(discovery.NoAppError, match="could not call it without arguments"):
        discovery.load_app(module)
    with pytest.raises(discovery.NoAppError, match="could not be called with the specified"):
        discovery.load_app(f"{module}:create_app(1, 2)")


def test_type_error_inside_a_factory_propagates(write_module: WriteModule) -> None:
    module = write_module(
        "discover_buggy",
        """
        def create_app():
            return len(42)
        """,
    )
    with pytest.raises(TypeError, match="has no len"):
        discovery.load_app(module)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("discover_errors:missing", "Failed to find attribute 'missing'"),
        ("discover_errors:value", "A valid Carafe application was not obtained"),
        ("discover_errors:value(1)", "is not a factory function"),
        ("discover_errors:make(x)", "Failed to parse arguments as literal values"),
        ("discover_errors:1 +", "Failed to parse"),
        ("discover_errors:a.b", "Failed to parse"),
        ("discover_errors", "Failed to find Carafe application or factory"),
        ("no_such_module_here", "Could not import 'no_such_module_here'."),
    ],
)
def test_discovery_errors(write_module: WriteModule, spec: str, message: str) -> None:
    write_module("discover_errors", "value = 42\ndef make(arg):\n    return arg\n")
    with pytest.raises(discovery.NoAppError, match=message.replace("(", r"\(")):
        discovery.load_app(spec)


def test_import_error_inside_the_module_shows_its_traceback(write_module: WriteModule) -> None:
    module = write_module("discover_broken", "import no_such_dependency_xyz\n")
    with pytest.raises(discovery.NoAppError) as info:
        discovery.load_app(module)
    assert "While importing 'discover_broken', an ImportError was raised" in str(info.value)
    assert "no_such_dependency_xyz" in str(info.value)


def test_file_path_inside_a_package(write_module: WriteModule, tmp_path: Path) -> None:
    write_module("pkg.__init__", "")
    write_module("pkg.web", APP_SOURCE.format(name="app"))
    app = discovery.load_app("pkg/web.py:app")
    assert app.import_name == "pkg.web"
    assert sys.path[0] == str(tmp_path.resolve())


# The command line ----------------------------------------------------------------------


def test_help(runner: CliRunner) -> None:
    result = invoke(runner, "--help")
    assert result.exit_code == 0
    assert "--app IMPORT" in result.output
    assert "run" in result.output
    assert "routes" in result.output


def test_run_help_shows_flask_defaults(runner: CliRunner) -> None:
    result = invoke(runner, "run", "--help")
    assert result.exit_code == 0
    assert "default: 127.0.0.1" in result.output
    assert "default: 5000" in result.output


def test_version(runner: CliRunner) -> None:
    result = invoke(runner, "--version")
    assert result.exit_code == 0
    assert "Carafe " in result.output
    assert "Python " in result.output


def test_routes(runner: CliRunner, write_module: WriteModule) -> None:
    module = write_module(
        "cli_routes",
        """
        from carafe import Flask
        app = Flask(__name__)

        @app.route("/")
        def index():
            return ""

        @app.route("/users/<int:user_id>", methods=["GET", "POST"])
        def user(user_id):
            return ""
        """,
    )
    result = invoke(runner, "--app", module, "routes")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["Endpoint", "Methods", "Rule"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["index", "GET", "/"]
    # (Every app has Flask's static route, sorted by endpoint as the others.)
    assert lines[3].split() == ["static", "GET", "/static/<path:filename>"]
    assert lines[4].split() == ["user", "GET,", "POST", "/users/<int:user_id>"]

    by_rule = invoke(runner, "--app", module, "routes", "--sort", "rule", "--all-methods")
    assert by_rule.output.splitlines()[2].split() == ["index", "GET,", "HEAD,", "OPTIONS", "/"]


def test_routes_of_an_empty_app(runner: CliRunner, write_module: WriteModule) -> None:
    module = write_module(
        "cli_empty", "from carafe import Flask\napp = Flask(__name__, static_folder=None)\n"
    )
    result = invoke(runner, "--app", module, "routes")
    assert result.output.strip() == "No routes were registered."


@pytest.mark.parametrize("variable", ["CARAFE_APP", "FLASK_APP"])
def test_app_from_the_environment(
    runner: CliRunner, write_module: WriteModule, variable: str
) -> None:
    module = write_module("cli_env", APP_SOURCE.format(name="app"))
    result = invoke(runner, "routes", env={variable: module})
    assert result.exit_code == 0, result.output
    assert "index" in result.output


@pytest.mark.parametrize("filename", ["wsgi", "app"])
def test_default_app_files(runner: CliRunner, write_module: WriteModule, filename: str) -> None:
    write_module(filename, APP_SOURCE.format(name="app"))
    result = invoke(runner, "routes")
    assert result.exit_code == 0, result.output
    assert "index" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Could not locate a Carafe application"),
        (("--app", "cli_nowhere"), "Could not import 'cli_nowhere'."),
        (("--app", "cli_bad:nothing"), "Failed to find attribute 'nothing'"),
    ],
)
def test_missing_app_is_a_usage_error(
    runner: CliRunner, write_module: WriteModule, args: tuple[str, ...], message: str
) -> None:
    write_module("cli_bad", "value = 1\n")
    for command in ("routes", "run"):
        result = runner.invoke(cli, [*args, command])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "Traceback" not in result.output


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record calls to Granian's entry point instead of serving."""
    calls: list[dict[str, Any]] = []

    def fake_serve(loader: Callable[[], Any], **kwargs: Any) -> None:
        calls.append({"loader": loader, **kwargs})

    monkeypatch.setattr(serving, "serve", fake_serve)
    return calls


def test_run_defaults(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]]
) -> None:
    module = write_module("cli_run", APP_SOURCE.format(name="app"))
    result = invoke(runner, "--app", module, "run")
    assert result.exit_code == 0, result.output
    (call,) = served
    assert (call["host"], call["port"], call["workers"], call["debug"]) == (
        "127.0.0.1",
        5000,
        1,
        False,
    )
    assert call["target"] == call["app_name"] == module
    # The loader is what each Granian worker calls: it must give back the same app.
    assert call["loader"]() is sys.modules[module].app


def test_run_options_and_debug(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]]
) -> None:
    module = write_module("cli_run_opts", APP_SOURCE.format(name="app"))
    args = ["--app", module, "--debug", "run", "-h", "0.0.0.0", "-p", "8080", "--workers", "2"]
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.output
    (call,) = served
    assert (call["host"], call["port"], call["workers"], call["debug"]) == (
        "0.0.0.0",
        8080,
        2,
        True,
    )
    assert sys.modules[module].app.debug is True


def test_run_rejects_a_bad_port(runner: CliRunner, served: list[dict[str, Any]]) -> None:
    result = runner.invoke(cli, ["run", "--port", "70000"])
    assert result.exit_code == 2
    assert not served


def test_run_marks_the_process_as_served_by_the_cli(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]]
) -> None:
    # A module calling app.run() at import must not start a second server.
    module = write_module("cli_run_at_import", APP_SOURCE.format(name="app") + "app.run()\n")
    result = invoke(runner, "--app", module, "run")
    assert result.exit_code == 0, result.output
    assert len(served) == 1


def test_import_carafe_loads_neither_click_nor_granian() -> None:
    heavy = "{'click', 'granian', 'dotenv', 'watchfiles', 'carafe.debug', 'carafe.serving'}"
    code = f"import sys, carafe; print(sorted({heavy} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_python_m_carafe() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "carafe", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: python -m carafe" in result.stdout


# Flask.run() ---------------------------------------------------------------------------


def test_import_target_of_a_module_global(write_module: WriteModule) -> None:
    module = write_module("run_global", APP_SOURCE.format(name="service"))
    app = discovery.load_app(module)
    assert discovery.find_import_target(app) == f"{module}:service"


def test_import_target_of_a_factory_app_is_none(write_module: WriteModule) -> None:
    module = write_module(
        "run_factory",
        "from carafe import Flask\ndef create_app():\n    return Flask(__name__)\n",
    )
    assert discovery.find_import_target(discovery.load_app(module)) is None


def test_import_target_of_a_main_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "serve_me.py"
    script.write_text("", encoding="utf-8")
    main = type(sys)("__main__")
    main.__file__ = str(script)
    main.app = carafe.Flask("__main__")
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert discovery.find_import_target(main.app) == "serve_me:app"


def test_app_run_passes_flask_defaults(
    write_module: WriteModule, served: list[dict[str, Any]]
) -> None:
    module = write_module("run_defaults", APP_SOURCE.format(name="app"))
    app = discovery.load_app(module)
    app.run(threaded=True)
    (call,) = served
    assert (call["host"], call["port"], call["debug"]) == ("127.0.0.1", 5000, False)
    assert call["target"] == f"{module}:app"
    assert call["app_name"] == module
    assert call["loader"]() is app


def test_app_run_options(write_module: WriteModule, served: list[dict[str, Any]]) -> None:
    module = write_module("run_options", APP_SOURCE.format(name="app"))
    app = discovery.load_app(module)
    app.run(host="0.0.0.0", port=8000, debug=True, processes=3)
    (call,) = served
    assert (call["host"], call["port"], call["debug"], call["workers"]) == (
        "0.0.0.0",
        8000,
        True,
        3,
    )
    assert app.debug is True


def test_app_run_uses_server_name(write_module: WriteModule, served: list[dict[str, Any]]) -> None:
    module = write_module("run_server_name", APP_SOURCE.format(name="app"))
    app = discovery.load_app(module)
    app.config["SERVER_NAME"] = "example.test:8123"
    app.run()
    assert (served[0]["host"], served[0]["port"]) == ("example.test", 8123)


def test_app_run_rejects_unknown_options(
    write_module: WriteModule, served: list[dict[str, Any]]
) -> None:
    app = discovery.load_app(write_module("run_unknown", APP_SOURCE.format(name="app")))
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        app.run(colour="blue")
    assert not served


def test_app_run_does_nothing_inside_carafe_run(
    write_module: WriteModule, served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = discovery.load_app(write_module("run_inside", APP_SOURCE.format(name="app")))
    monkeypatch.setenv(serving.RUN_FROM_CLI_ENV, "true")
    app.run()
    assert not served


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork", reason="workers inherit the app by fork"
)
def test_app_made_by_a_factory_runs_through_fork(
    write_module: WriteModule, served: list[dict[str, Any]]
) -> None:
    module = write_module(
        "run_fork",
        "from carafe import Flask\ndef create_app():\n    return Flask(__name__)\n",
    )
    app = discovery.load_app(module)
    app.run()
    assert served[0]["loader"]() is app


# carafe run: interface, reload, debugger, environment -----------------------------------

ASYNC_VIEW_APP = """
from carafe import Flask
app = Flask(__name__)

@app.route("/")
async def index():
    return "hello"
"""


def test_run_passes_every_option(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]]
) -> None:
    module = write_module("cli_run_all", APP_SOURCE.format(name="app"))
    args = ["--workers", "3", "--threads", "4", "--interface", "wsgi", "--access-log"]
    result = invoke(runner, "--app", module, "run", *args, "--reload", "--debugger")
    assert result.exit_code == 0, result.output
    (call,) = served
    expected = {"workers": 3, "threads": 4, "interface": "wsgi", "access_log": True}
    assert {key: call[key] for key in expected} == expected
    assert (call["reload"], call["debugger"], call["debug"]) == (True, True, False)
    assert Path(sys.modules[module].__file__).parent in call["reload_paths"]
    from carafe.debug import DebugMiddleware

    served_app = call["loader"]()
    assert isinstance(served_app, DebugMiddleware)
    assert served_app.app is sys.modules[module].app


def test_run_defaults_are_production_settings(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]]
) -> None:
    module = write_module("cli_run_prod", APP_SOURCE.format(name="app"))
    assert invoke(runner, "--app", module, "run").exit_code == 0
    (call,) = served
    assert (call["interface"], call["threads"], call["access_log"]) == ("wsgi", None, False)
    assert (call["reload"], call["debugger"], call["reload_paths"]) == (False, False, ())


@pytest.mark.parametrize("where", ["group", "run", "env"])
def test_debug_turns_on_reload_and_the_debugger(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]], where: str
) -> None:
    module = write_module(f"cli_debug_{where}", APP_SOURCE.format(name="app"))
    if where == "group":
        result = invoke(runner, "--app", module, "--debug", "run")
    elif where == "run":
        result = invoke(runner, "--app", module, "run", "--debug")
    else:
        result = invoke(runner, "--app", module, "run", env={"CARAFE_DEBUG": "1"})
    assert result.exit_code == 0, result.output
    (call,) = served
    assert (call["debug"], call["reload"], call["debugger"]) == (True, True, True)
    assert sys.modules[module].app.debug is True


def test_debug_without_reload_or_debugger(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]]
) -> None:
    module = write_module("cli_debug_off", APP_SOURCE.format(name="app"))
    result = invoke(runner, "--app", module, "run", "--debug", "--no-reload", "--no-debugger")
    assert result.exit_code == 0, result.output
    (call,) = served
    assert (call["debug"], call["reload"], call["debugger"]) == (True, False, False)
    # The worker gets the app itself, in debug mode.
    assert call["loader"]() is sys.modules[module].app


def test_debug_without_watchfiles_serves_without_reloading(
    runner: CliRunner,
    write_module: WriteModule,
    served: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "watchfiles" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    module = write_module("cli_debug_no_watchfiles", APP_SOURCE.format(name="app"))
    result = invoke(runner, "--app", module, "--debug", "run")
    assert result.exit_code == 0, result.output
    assert "Install watchfiles to reload on changes" in result.output
    assert served[0]["reload"] is False
    with pytest.raises(serving.UnavailableError, match="pip install watchfiles"):
        serving._reload_options([])


def test_reload_error_is_a_usage_error(
    runner: CliRunner, write_module: WriteModule, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(loader: Any, **kwargs: Any) -> None:
        raise serving.UnavailableError("Reloading needs the 'watchfiles' package")

    monkeypatch.setattr(serving, "serve", unavailable)
    module = write_module("cli_reload_missing", APP_SOURCE.format(name="app"))
    result = runner.invoke(cli, ["--app", module, "run", "--reload"])
    assert result.exit_code == 2
    assert "Reloading needs the 'watchfiles' package" in result.output


def test_reload_options_spawn_fresh_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    methods: list[str] = []
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda: "fork")
    monkeypatch.setattr(
        multiprocessing, "set_start_method", lambda method, force=False: methods.append(method)
    )
    options = serving._reload_options([Path("/somewhere")])
    assert options["reload"] is True
    assert options["reload_paths"] == [Path("/somewhere")]
    assert methods == ["spawn"]
    source_filter = options["reload_filter"]()
    assert source_filter(None, "/somewhere/app.py")
    assert source_filter(None, "/somewhere/.env")
    assert not source_filter(None, "/somewhere/notes.txt")


def test_source_directories(tmp_path: Path) -> None:
    import json
    import json.decoder

    package = tmp_path / "project" / "pkg"
    package.mkdir(parents=True)
    own = type(sys)("pkg.web")
    own.__file__ = str(package / "web.py")
    nested = type(sys)("pkg.sub.deep")
    nested.__file__ = str(package / "sub" / "deep.py")
    app = carafe.Flask("pkg.web", root_path=str(package))
    found = serving.source_directories(app, [own, nested, json, json.decoder, sys])
    # Standard library modules and built-ins are left out; nested folders are covered.
    assert found == [package.resolve()]


@pytest.mark.parametrize(
    ("source", "is_async"),
    [
        (APP_SOURCE.format(name="app"), False),
        (ASYNC_VIEW_APP, True),
        ("@app.before_request\nasync def hook():\n    pass\n", True),
        ("@app.after_request\nasync def hook(response):\n    return response\n", True),
        ("@app.teardown_request\nasync def hook(exc):\n    pass\n", True),
        ("@app.teardown_appcontext\nasync def hook(exc):\n    pass\n", True),
        ("@app.errorhandler(404)\nasync def handler(error):\n    return 'x', 404\n", True),
        ("@app.errorhandler(KeyError)\nasync def handler(error):\n    return 'x'\n", True),
        ("@app.before_request\ndef hook():\n    pass\n", False),
    ],
)
def test_is_async_app(write_module: WriteModule, source: str, is_async: bool) -> None:
    if not source.startswith("\nfrom"):
        source = "from carafe import Flask\napp = Flask(__name__)\n" + source
    module = write_module("async_detect", source)
    assert serving.is_async_app(discovery.load_app(module)) is is_async


@pytest.mark.parametrize(
    ("source", "option", "expected"),
    [
        (APP_SOURCE.format(name="app"), "auto", "wsgi"),
        (ASYNC_VIEW_APP, "auto", "asgi"),
        # A plain view among async ones: WSGI runs both without a thread hop.
        (ASYNC_VIEW_APP + '\n@app.route("/sync")\ndef plain():\n    return "x"\n', "auto", "wsgi"),
        # Async hooks alone do not make an app async-first.
        (
            APP_SOURCE.format(name="app") + "\n@app.before_request\nasync def hook():\n    pass\n",
            "auto",
            "wsgi",
        ),
        (ASYNC_VIEW_APP, "wsgi", "wsgi"),
        (APP_SOURCE.format(name="app"), "asgi", "asgi"),
    ],
)
def test_interface_choice(
    runner: CliRunner,
    write_module: WriteModule,
    served: list[dict[str, Any]],
    source: str,
    option: str,
    expected: str,
) -> None:
    module = write_module("cli_interface", source)
    result = invoke(runner, "--app", module, "run", "--interface", option)
    assert result.exit_code == 0, result.output
    (call,) = served
    assert call["interface"] == expected
    served_app = call["loader"]()
    app = sys.modules[module].app
    assert served_app is (app.asgi if expected == "asgi" else app)


def test_asgi_loader_sizes_the_sync_view_pool_and_adds_the_debug_page(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]]
) -> None:
    module = write_module("cli_asgi_debug", APP_SOURCE.format(name="app"))
    args = ["--interface", "asgi", "--threads", "7", "--debug", "--no-reload"]
    assert invoke(runner, "--app", module, "run", *args).exit_code == 0
    from carafe.debug import ASGIDebugMiddleware

    served_app = served[0]["loader"]()
    assert isinstance(served_app, ASGIDebugMiddleware)
    assert served_app.app is sys.modules[module].app.asgi
    assert served_app.app.max_threads == 7


def test_asgi_unavailable(
    runner: CliRunner,
    write_module: WriteModule,
    served: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(serving, "asgi_available", lambda app: False)
    module = write_module("cli_no_asgi", ASYNC_VIEW_APP)
    result = runner.invoke(cli, ["--app", module, "run", "--interface", "asgi"])
    assert result.exit_code == 2
    assert "The ASGI interface is not available" in result.output
    assert not served
    result = invoke(runner, "--app", module, "run")
    assert result.exit_code == 0, result.output
    assert "views are async, but ASGI is not available: serving over WSGI" in result.output
    assert served[0]["interface"] == "wsgi"


def test_run_settings_from_the_environment(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]]
) -> None:
    module = write_module("cli_run_env", APP_SOURCE.format(name="app"))
    env = {
        "CARAFE_APP": module,
        "CARAFE_RUN_HOST": "0.0.0.0",
        "CARAFE_RUN_PORT": "8123",
        "CARAFE_RUN_WORKERS": "2",
        "CARAFE_RUN_THREADS": "6",
        "CARAFE_RUN_INTERFACE": "asgi",
        "CARAFE_RUN_RELOAD": "true",
        "CARAFE_RUN_DEBUGGER": "1",
        "CARAFE_RUN_ACCESS_LOG": "yes",
    }
    result = invoke(runner, "run", env=env)
    assert result.exit_code == 0, result.output
    (call,) = served
    got = {key: call[key] for key in ("host", "port", "workers", "threads", "interface")}
    assert got == {
        "host": "0.0.0.0",
        "port": 8123,
        "workers": 2,
        "threads": 6,
        "interface": "asgi",
    }
    assert (call["reload"], call["debugger"], call["access_log"]) == (True, True, True)
    # An option on the command line wins over the environment.
    served.clear()
    result = invoke(runner, "run", "--port", "9000", "--no-access-log", env=env)
    assert (served[0]["port"], served[0]["access_log"]) == (9000, False)


@pytest.mark.parametrize("variable", ["CARAFE_RUN_PORT", "CARAFE_RUN_WORKERS"])
def test_bad_environment_value_is_a_usage_error(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]], variable: str
) -> None:
    module = write_module("cli_bad_env", APP_SOURCE.format(name="app"))
    result = runner.invoke(cli, ["--app", module, "run"], env={variable: "lots"})
    assert result.exit_code == 2
    assert not served


# .env files -------------------------------------------------------------------------------


def test_dotenv_files_set_the_app_and_options(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]], tmp_path: Path
) -> None:
    module = write_module("cli_dotenv", APP_SOURCE.format(name="app"))
    (tmp_path / ".env").write_text(f"CARAFE_APP={module}\nCARAFE_RUN_PORT=7001\n")
    (tmp_path / ".carafeenv").write_text("CARAFE_RUN_PORT=7002\nCARAFE_RUN_WORKERS=2\n")
    (tmp_path / ".flaskenv").write_text("CARAFE_RUN_WORKERS=5\nCARAFE_RUN_HOST=0.0.0.0\n")
    result = invoke(runner, "run")
    assert result.exit_code == 0, result.output
    (call,) = served
    # .env over .carafeenv over .flaskenv.
    assert (call["port"], call["workers"], call["host"]) == (7001, 2, "0.0.0.0")
    assert call["target"] == module


def test_environment_wins_over_dotenv_files(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]], tmp_path: Path
) -> None:
    module = write_module("cli_dotenv_env", APP_SOURCE.format(name="app"))
    (tmp_path / ".env").write_text("CARAFE_RUN_PORT=7001\n")
    result = invoke(runner, "--app", module, "run", env={"CARAFE_RUN_PORT": "7100"})
    assert result.exit_code == 0, result.output
    assert served[0]["port"] == 7100


def test_env_file_option_takes_precedence(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]], tmp_path: Path
) -> None:
    module = write_module("cli_env_file", APP_SOURCE.format(name="app"))
    (tmp_path / ".env").write_text("CARAFE_RUN_PORT=7001\nCARAFE_RUN_WORKERS=3\n")
    (tmp_path / "custom.env").write_text("CARAFE_RUN_PORT=7200\n")
    result = invoke(runner, "-e", "custom.env", "--app", module, "run")
    assert result.exit_code == 0, result.output
    assert (served[0]["port"], served[0]["workers"]) == (7200, 3)


def test_skip_dotenv(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]], tmp_path: Path
) -> None:
    module = write_module("cli_skip_dotenv", APP_SOURCE.format(name="app"))
    (tmp_path / ".env").write_text("CARAFE_RUN_PORT=7001\n")
    result = invoke(runner, "--app", module, "run", env={"CARAFE_SKIP_DOTENV": "1"})
    assert result.exit_code == 0, result.output
    assert served[0]["port"] == 5000


def test_dotenv_missing_is_a_tip(
    runner: CliRunner,
    write_module: WriteModule,
    served: list[dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "dotenv", None)
    module = write_module("cli_no_dotenv", APP_SOURCE.format(name="app"))
    (tmp_path / ".env").write_text("CARAFE_RUN_PORT=7001\n")
    result = invoke(runner, "--app", module, "run")
    assert result.exit_code == 0, result.output
    assert "Install python-dotenv to use them" in result.output
    assert served[0]["port"] == 5000


def test_app_run_loads_dotenv_and_debug_from_the_environment(
    write_module: WriteModule, served: list[dict[str, Any]], tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("CARAFE_DEBUG=1\n")
    app = discovery.load_app(write_module("run_dotenv", APP_SOURCE.format(name="app")))
    app.run(use_reloader=False)
    (call,) = served
    assert app.debug is True
    assert (call["debug"], call["debugger"], call["reload"]) == (True, True, False)
    from carafe.debug import DebugMiddleware

    assert isinstance(call["loader"](), DebugMiddleware)


def test_app_run_debug_reloads(write_module: WriteModule, served: list[dict[str, Any]]) -> None:
    app = discovery.load_app(write_module("run_reload", APP_SOURCE.format(name="app")))
    app.run(debug=True, load_dotenv=False)
    (call,) = served
    assert (call["reload"], call["debugger"]) == (True, True)
    assert call["reload_paths"]


# carafe routes, compared with flask routes -------------------------------------------------


def _define_routes(app: Any) -> None:
    @app.route("/")
    def index() -> str:
        return ""

    @app.route("/users/<int:user_id>", methods=["GET", "POST", "DELETE"])
    def user(user_id: int) -> str:
        return ""

    @app.route("/a-very-long-rule/for/alignment", methods=["PUT"])
    def zebra() -> str:
        return ""

    @app.post("/login")
    def login() -> str:
        return ""


@pytest.mark.parametrize(
    "args",
    [(), ("--sort", "rule"), ("--sort", "methods"), ("--sort", "match"), ("--all-methods",)],
)
def test_routes_output_equals_flask_routes(
    runner: CliRunner,
    write_module: WriteModule,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
) -> None:
    import flask
    import flask.cli

    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")
    flask_app = flask.Flask("compare")
    _define_routes(flask_app)
    expected = flask_app.test_cli_runner().invoke(flask.cli.cli, ["routes", *args]).output

    module = write_module(
        "cli_routes_compare",
        "from carafe import Flask\napp = Flask(__name__)\n",
    )
    _define_routes(discovery.load_app(module))
    assert invoke(runner, "--app", module, "routes", *args).output == expected


def test_debug_flag_beats_the_environment(
    runner: CliRunner, write_module: WriteModule, served: list[dict[str, Any]]
) -> None:
    module = write_module("cli_debug_precedence", APP_SOURCE.format(name="app"))
    result = invoke(runner, "--app", module, "--debug", "run", env={"CARAFE_DEBUG": "0"})
    assert result.exit_code == 0, result.output
    assert served[0]["debug"] is True
    served.clear()
    result = invoke(runner, "--app", module, "--debug", "run", "--no-debug")
    assert served[0]["debug"] is False

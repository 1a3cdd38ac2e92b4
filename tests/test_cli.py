"""The ``carafe`` command line and the app discovery behind it (``carafe.serving``)."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import carafe
from carafe import serving
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
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    yield
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
    app = serving.load_app(module)
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
    assert serving.load_app(module) is sys.modules[module].app


def test_several_instances_need_a_name(write_module: WriteModule) -> None:
    module = write_module(
        "discover_many",
        """
        from carafe import Flask
        first = Flask("first")
        second = Flask("second")
        """,
    )
    with pytest.raises(serving.NoAppError, match="multiple Carafe applications"):
        serving.load_app(module)
    assert serving.load_app(f"{module}:second") is sys.modules[module].second


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
    app = serving.load_app(module)
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
    assert serving.load_app(f"{module}:{spec}").import_name == expected


def test_factory_needing_arguments_is_explained(write_module: WriteModule) -> None:
    module = write_module(
        "discover_needs_args",
        """
        from carafe import Flask
        def create_app(config):
            return Flask(config)
        """,
    )
    with pytest.raises(serving.NoAppError, match="could not call it without arguments"):
        serving.load_app(module)
    with pytest.raises(serving.NoAppError, match="could not be called with the specified"):
        serving.load_app(f"{module}:create_app(1, 2)")


def test_type_error_inside_a_factory_propagates(write_module: WriteModule) -> None:
    module = write_module(
        "discover_buggy",
        """
        def create_app():
            return len(42)
        """,
    )
    with pytest.raises(TypeError, match="has no len"):
        serving.load_app(module)


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
    with pytest.raises(serving.NoAppError, match=message.replace("(", r"\(")):
        serving.load_app(spec)


def test_import_error_inside_the_module_shows_its_traceback(write_module: WriteModule) -> None:
    module = write_module("discover_broken", "import no_such_dependency_xyz\n")
    with pytest.raises(serving.NoAppError) as info:
        serving.load_app(module)
    assert "While importing 'discover_broken', an ImportError was raised" in str(info.value)
    assert "no_such_dependency_xyz" in str(info.value)


def test_file_path_inside_a_package(write_module: WriteModule, tmp_path: Path) -> None:
    write_module("pkg.__init__", "")
    write_module("pkg.web", APP_SOURCE.format(name="app"))
    app = serving.load_app("pkg/web.py:app")
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
    assert lines[3].split() == ["user", "GET,", "POST", "/users/<int:user_id>"]

    by_rule = invoke(runner, "--app", module, "routes", "--sort", "rule", "--all-methods")
    assert by_rule.output.splitlines()[2].split() == ["index", "GET,", "HEAD,", "OPTIONS", "/"]


def test_routes_of_an_empty_app(runner: CliRunner, write_module: WriteModule) -> None:
    module = write_module("cli_empty", "from carafe import Flask\napp = Flask(__name__)\n")
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
    code = "import sys, carafe; print(sorted({'click', 'granian'} & set(sys.modules)))"
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
    app = serving.load_app(module)
    assert serving.find_import_target(app) == f"{module}:service"


def test_import_target_of_a_factory_app_is_none(write_module: WriteModule) -> None:
    module = write_module(
        "run_factory",
        "from carafe import Flask\ndef create_app():\n    return Flask(__name__)\n",
    )
    assert serving.find_import_target(serving.load_app(module)) is None


def test_import_target_of_a_main_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "serve_me.py"
    script.write_text("", encoding="utf-8")
    main = type(sys)("__main__")
    main.__file__ = str(script)
    main.app = carafe.Flask("__main__")
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert serving.find_import_target(main.app) == "serve_me:app"


def test_app_run_passes_flask_defaults(
    write_module: WriteModule, served: list[dict[str, Any]]
) -> None:
    module = write_module("run_defaults", APP_SOURCE.format(name="app"))
    app = serving.load_app(module)
    app.run(threaded=True)
    (call,) = served
    assert (call["host"], call["port"], call["debug"]) == ("127.0.0.1", 5000, False)
    assert call["target"] == f"{module}:app"
    assert call["app_name"] == module
    assert call["loader"]() is app


def test_app_run_options(write_module: WriteModule, served: list[dict[str, Any]]) -> None:
    module = write_module("run_options", APP_SOURCE.format(name="app"))
    app = serving.load_app(module)
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
    app = serving.load_app(module)
    app.config["SERVER_NAME"] = "example.test:8123"
    app.run()
    assert (served[0]["host"], served[0]["port"]) == ("example.test", 8123)


def test_app_run_rejects_unknown_options(
    write_module: WriteModule, served: list[dict[str, Any]]
) -> None:
    app = serving.load_app(write_module("run_unknown", APP_SOURCE.format(name="app")))
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        app.run(colour="blue")
    assert not served


def test_app_run_does_nothing_inside_carafe_run(
    write_module: WriteModule, served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = serving.load_app(write_module("run_inside", APP_SOURCE.format(name="app")))
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
    app = serving.load_app(module)
    app.run()
    assert served[0]["loader"]() is app

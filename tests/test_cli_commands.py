"""The app's own commands: ``app.cli``, ``AppGroup``, ``with_appcontext``, ``FlaskGroup``,
``ScriptInfo``, ``carafe shell`` and the discovery names ``carafe.cli`` shares with Flask.

Most tests run twice, on Carafe and on Flask (``fw``), with the same expectations.
"""

from __future__ import annotations

import importlib
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click
import pytest
from click.testing import CliRunner

import carafe
import carafe.cli
from carafe.testing import FlaskCliRunner

flask = pytest.importorskip("flask")
flask_cli = pytest.importorskip("flask.cli")
flask_testing = pytest.importorskip("flask.testing")

HEADER = (
    "import click\nfrom {fw} import Flask, Blueprint, current_app, g\n"
    "from {fw}.cli import with_appcontext\n"
)


def _fw(name: str) -> SimpleNamespace:
    ours = name == "carafe"
    module = carafe if ours else flask
    return SimpleNamespace(
        name=name, Flask=module.Flask, Blueprint=module.Blueprint, current_app=module.current_app,
        g=module.g, cli=carafe.cli if ours else flask_cli,
        Runner=FlaskCliRunner if ours else flask_testing.FlaskCliRunner,
    )  # fmt: skip


@pytest.fixture(params=["carafe", "flask"])
def fw(request: pytest.FixtureRequest) -> SimpleNamespace:
    """Carafe's names, then Flask's, for the same test."""
    return _fw(request.param)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Run in ``tmp_path``; restore the environment, sys.path and sys.modules after."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("CARAFE_", "FLASK_")) or name == "PYTHONSTARTUP":
            monkeypatch.delenv(name)
    # The shell would set up readline and history through site's hook: not in tests.
    monkeypatch.delattr(sys, "__interactivehook__", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    saved_env, saved_modules = dict(os.environ), set(sys.modules)
    yield
    os.environ.clear()
    os.environ.update(saved_env)
    for name in set(sys.modules) - saved_modules:
        del sys.modules[name]


def write(tmp_path: Path, fw: SimpleNamespace, name: str, body: str) -> str:
    """Write module ``name`` (the framework's imports, then ``body``) into tmp_path."""
    source = HEADER.format(fw=fw.name) + textwrap.dedent(body)
    tmp_path.joinpath(f"{name}.py").write_text(source, encoding="utf-8")
    return name


def run(fw: SimpleNamespace, *args: str, **kwargs: Any) -> Any:
    """Invoke the framework's own command line (``carafe``/``flask``) with ``args``."""
    return CliRunner().invoke(fw.cli.cli, list(args), **kwargs)


def listed(output: str) -> set[str]:
    """The words of the Commands section of a ``--help`` output."""
    return set(output.split("Commands:")[1].split())


COMMANDS_APP = """
app = Flask(__name__)

@app.cli.command()
@click.argument("name")
@click.option("--times", type=int, default=1)
def greet(name, times):
    \"\"\"Say hello.\"\"\"
    same = current_app._get_current_object() is app
    click.echo(" ".join([f"hi {name}"] * times) + f" from {current_app.name} {same}")

@app.cli.command(with_appcontext=False)
def bare():
    click.echo(f"context={bool(current_app)}")

@app.cli.group()
def db():
    pass
@db.group()
def seed():
    pass
@seed.command()
def users():
    click.echo(f"seeding {current_app.name}")

@click.command("plain")
@with_appcontext
def plain():
    \"\"\"Documented.\"\"\"
    click.echo(current_app.name)
app.cli.add_command(plain)
"""


# app.cli and app.test_cli_runner() -------------------------------------------------------


def test_app_cli_is_an_app_group_named_after_the_app(fw: SimpleNamespace) -> None:
    app = fw.Flask("named_app")
    assert isinstance(app.cli, fw.cli.AppGroup)
    assert app.cli.name == "named_app"
    assert app.cli is app.cli
    runner = app.test_cli_runner(env={"SOME_VAR": "1"})
    assert type(runner) is fw.Runner
    assert (runner.app, runner.env) == (app, {"SOME_VAR": "1"})


def test_app_commands_through_the_test_cli_runner(fw: SimpleNamespace, tmp_path: Path) -> None:
    app = importlib.import_module(write(tmp_path, fw, "cli_cmds", COMMANDS_APP)).app
    runner = app.test_cli_runner()
    result = runner.invoke(args=["greet", "bob", "--times", "2"])
    assert (result.exit_code, result.output) == (0, "hi bob hi bob from cli_cmds True\n")
    # The command object itself, too; the app context is the app's.
    greet = app.cli.commands["greet"]
    assert runner.invoke(greet, ["ann"]).output == "hi ann from cli_cmds True\n"
    bad = runner.invoke(args=["greet", "bob", "--times", "x"])
    assert bad.exit_code == 2
    assert "'x' is not a valid integer" in bad.output
    # with_appcontext=False: no app context is pushed.
    assert runner.invoke(args=["bare"]).output == "context=False\n"
    # Subgroups are AppGroups, their commands run in the app context.
    db = app.cli.commands["db"]
    assert isinstance(db, fw.cli.AppGroup)
    assert isinstance(db.commands["seed"], fw.cli.AppGroup)
    assert not isinstance(app.cli.group("other", cls=click.Group)(lambda: None), fw.cli.AppGroup)
    assert runner.invoke(args=["db", "seed", "users"]).output == "seeding cli_cmds\n"
    # A plain click command wrapped in with_appcontext and added with add_command.
    plain = app.cli.commands["plain"]
    assert plain.help == "Documented."
    assert runner.invoke(args=["plain"]).output == "cli_cmds\n"
    # Outside the app's runner: the app comes from the ScriptInfo given as obj.
    info = fw.cli.ScriptInfo(create_app=lambda: fw.Flask("from_info"))
    assert CliRunner().invoke(plain, obj=info).output == "from_info\n"


@pytest.mark.parametrize("fw", ["carafe", "flask"], indirect=True)
def test_test_cli_runner_class(fw: SimpleNamespace) -> None:
    app = fw.Flask("runner_class")
    app.test_cli_runner_class = type("SubRunner", (fw.Runner,), {})
    assert type(app.test_cli_runner()) is app.test_cli_runner_class


# The command line: carafe --app MODULE ... ------------------------------------------------


def test_app_commands_beside_the_default_ones(fw: SimpleNamespace, tmp_path: Path) -> None:
    module = write(tmp_path, fw, "cli_top", COMMANDS_APP)
    listing = run(fw, "--app", module, "--help")
    assert listing.exit_code == 0
    expected = {"greet", "Say", "hello.", "bare", "db", "plain", "run", "shell", "routes"}
    assert expected <= listed(listing.output)
    result = run(fw, "--app", module, "greet", "bob", "--times", "2")
    assert (result.exit_code, result.output) == (0, "hi bob hi bob from cli_top True\n")
    assert run(fw, "--app", module, "db", "seed", "users").output == "seeding cli_top\n"


BLUEPRINTS_APP = """
app = Flask(__name__)
plain = Blueprint("plain", __name__)
custom = Blueprint("custom", __name__, cli_group="customized")
merged = Blueprint("merged", __name__, cli_group=None)
late = Blueprint("late", __name__)
empty = Blueprint("empty", __name__)

for bp in (plain, custom, merged, late):
    @bp.cli.command(f"{bp.name}-cmd")
    @click.argument("word", default="-")
    def command(word, bp=bp):
        click.echo(f"{bp.name} {word} {current_app.name}")

for bp in (plain, custom, merged, empty):
    app.register_blueprint(bp)
app.register_blueprint(late, cli_group="late_group")
"""


@pytest.mark.parametrize(
    ("args", "output"),
    [
        (("plain", "plain-cmd", "x"), "plain x cli_bps\n"),
        (("customized", "custom-cmd"), "custom - cli_bps\n"),
        (("merged-cmd", "y"), "merged y cli_bps\n"),
        (("late_group", "late-cmd"), "late - cli_bps\n"),
    ],
)
def test_blueprint_command_groups(
    fw: SimpleNamespace, tmp_path: Path, args: tuple[str, ...], output: str
) -> None:
    module = write(tmp_path, fw, "cli_bps", BLUEPRINTS_APP)
    result = run(fw, "--app", module, *args)
    assert (result.exit_code, result.output) == (0, output)
    app = sys.modules[module].app
    assert set(app.cli.commands) == {"plain", "customized", "merged-cmd", "late_group"}
    assert isinstance(app.cli.commands["plain"], fw.cli.AppGroup)
    # An empty blueprint group is not added.
    assert app.test_cli_runner().invoke(args=["empty", "--help"]).exit_code == 2


@pytest.mark.parametrize("fw", ["carafe", "flask"], indirect=True)
def test_blueprint_cli_is_named_after_the_blueprint(fw: SimpleNamespace) -> None:
    bp = fw.Blueprint("admin", __name__)
    assert isinstance(bp.cli, fw.cli.AppGroup)
    assert bp.cli.name == "admin"


def test_unknown_command_with_a_bad_app(fw: SimpleNamespace) -> None:
    result = run(fw, "--app", "no_such_module_xyz", "nosuch")
    assert result.exit_code == 2
    assert "Error: Could not import 'no_such_module_xyz'." in result.stderr
    assert "No such command 'nosuch'" in result.stderr


def _factory_app(fw: SimpleNamespace) -> Any:
    app = fw.Flask("made_by_factory")
    app.cli.command("hello")(lambda: click.echo(f"hello from {fw.current_app.name}"))
    return app


def test_flask_group_with_create_app(fw: SimpleNamespace) -> None:
    group = fw.cli.FlaskGroup(name="custom", create_app=lambda: _factory_app(fw))
    group.command("own")(lambda: click.echo(f"own {fw.current_app.name}"))
    assert CliRunner().invoke(group, ["hello"]).output == "hello from made_by_factory\n"
    assert CliRunner().invoke(group, ["own"]).output == "own made_by_factory\n"
    listing = CliRunner().invoke(group, ["--help"]).output
    assert {"--app", "--debug", "--env-file", "--version"} <= set(listing.split())
    assert {"hello", "own", "run", "shell", "routes"} <= listed(listing)
    # Nested in a plain click group.
    outer = click.Group("outer", commands=[group])
    assert CliRunner().invoke(outer, ["custom", "hello"]).output == "hello from made_by_factory\n"


def test_flask_group_without_defaults_or_version(fw: SimpleNamespace) -> None:
    group = fw.cli.FlaskGroup(
        create_app=lambda: _factory_app(fw), add_default_commands=False, add_version_option=False
    )
    listing = CliRunner().invoke(group, ["--help"])
    assert listing.exit_code == 0
    assert listed(listing.output) == {"hello"}
    assert "--version" not in listing.output
    assert "No such option '--version'" in CliRunner().invoke(group, ["--version"]).output
    assert CliRunner().invoke(group, ["run"]).exit_code == 2


@pytest.mark.parametrize("fw", ["carafe", "flask"], indirect=True)
def test_flask_group_pushes_the_app_context(fw: SimpleNamespace, tmp_path: Path) -> None:
    module = write(tmp_path, fw, "cli_ctx", COMMANDS_APP)
    assert run(fw, "--app", module, "bare").output == "context=True\n"


@pytest.mark.parametrize("fw", ["carafe", "flask"], indirect=True)
def test_help_lists_the_commands_of_the_app_in_the_environment(
    fw: SimpleNamespace, tmp_path: Path
) -> None:
    module = write(tmp_path, fw, "cli_env_help", COMMANDS_APP)
    result = run(fw, "--help", env={"FLASK_APP": module})
    assert result.exit_code == 0
    assert "greet" in listed(result.output)


@pytest.mark.parametrize("fw", ["carafe", "flask"], indirect=True)
def test_help_shows_the_error_of_a_failing_factory(fw: SimpleNamespace) -> None:
    result = CliRunner().invoke(fw.cli.FlaskGroup(create_app=lambda: 1 / 0), ["--help"])
    assert result.exit_code == 0
    assert "ZeroDivisionError: division by zero" in result.stderr
    assert "Usage:" in result.stdout


# ScriptInfo and --debug ---------------------------------------------------------------------


def test_script_info_create_app_once(fw: SimpleNamespace) -> None:
    made: list[Any] = []
    info = fw.cli.ScriptInfo(create_app=lambda: made.append(fw.Flask("once")) or made[-1])
    assert info.data == {}
    assert info.data is not fw.cli.ScriptInfo().data
    info.data["key"] = "value"
    app = info.load_app()
    assert info.load_app() is app is made[0]
    assert len(made) == 1
    assert info.data == {"key": "value"}


@pytest.mark.parametrize("spec", ["cli_spec:app", "cli_spec", "cli_spec.py", "cli_spec:make()"])
def test_script_info_import_path(fw: SimpleNamespace, tmp_path: Path, spec: str) -> None:
    write(tmp_path, fw, "cli_spec", "app = Flask(__name__)\ndef make():\n    return app\n")
    info = fw.cli.ScriptInfo(app_import_path=spec)
    app = info.load_app()
    assert app is sys.modules["cli_spec"].app
    assert info.load_app() is app


@pytest.mark.parametrize("fw", ["carafe", "flask"], indirect=True)
def test_script_info_failure_is_no_app_exception(fw: SimpleNamespace) -> None:
    assert issubclass(fw.cli.NoAppException, click.UsageError)
    with pytest.raises(fw.cli.NoAppException, match="Could not import 'no_such_module_xyz'"):
        fw.cli.ScriptInfo(app_import_path="no_such_module_xyz").load_app()


@pytest.mark.parametrize("flag", ["--debug", "--no-debug"])
def test_debug_option_sets_app_debug(fw: SimpleNamespace, tmp_path: Path, flag: str) -> None:
    # The app starts in the other mode, so the flag must change it.
    source = f"app = Flask(__name__)\napp.debug = {flag == '--no-debug'}\n"
    source += "@app.cli.command()\ndef show():\n    click.echo(current_app.debug)\n"
    module = write(tmp_path, fw, "cli_debug", source)
    assert run(fw, "--app", module, flag, "show").output == f"{flag == '--debug'}\n"


@pytest.mark.parametrize(
    ("fw", "set_debug_flag"),
    [
        ("carafe", True),
        ("carafe", False),
        ("flask", True),
        ("flask", False),
    ],
    indirect=["fw"],
)
def test_set_debug_flag(fw: SimpleNamespace, set_debug_flag: bool) -> None:
    app = fw.Flask("debug_factory")
    app.debug = True
    group = fw.cli.FlaskGroup(create_app=lambda: app, set_debug_flag=set_debug_flag)
    group.command("show")(lambda: click.echo(fw.current_app.debug))
    assert CliRunner().invoke(group, ["show"]).output == f"{not set_debug_flag}\n"


# carafe shell --------------------------------------------------------------------------------

SHELL_APP = """
app = Flask(__name__)
app.shell_context_processor(lambda: {"shared": "first", "only_first": 1})
app.shell_context_processor(lambda: {"shared": "second"})
"""


def test_shell(fw: SimpleNamespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    startup = tmp_path / "startup.py"
    startup.write_text("from_startup = 'yes'\nshared = 'startup'\napp = 'startup'\n")
    monkeypatch.setenv("PYTHONSTARTUP", str(startup))
    module = write(tmp_path, fw, "cli_shell", SHELL_APP)
    lines = "print(app.name)\nprint('names', from_startup, shared, only_first)\n"
    lines += "g.answer = 42\nprint('g', g.answer)\n"
    result = run(fw, "--app", module, "shell", input=lines)
    assert result.exit_code == 0, result.output
    assert ">>> cli_shell\n" in result.stdout
    assert f"App: cli_shell\nInstance: {tmp_path / 'instance'}" in result.stderr
    # The startup file runs first: the shell context wins over its names.
    assert "names yes second 1\n" in result.stdout
    assert "g 42\n" in result.stdout


def test_make_shell_context_matches_flask() -> None:
    contexts = []
    for name in ("carafe", "flask"):
        app = _fw(name).Flask("shell_ctx")
        assert set(app.make_shell_context()) == {"app", "g"}
        returned = app.shell_context_processor(lambda: {"a": 1, "b": 1})
        assert callable(returned)
        app.shell_context_processor(lambda: {"b": 2, "app": "replaced"})
        contexts.append(app.make_shell_context())
    ours, theirs = contexts
    assert ours.keys() == theirs.keys() == {"app", "g", "a", "b"}
    assert (ours["a"], ours["b"], ours["app"]) == (1, 2, "replaced")
    assert ours["g"] is carafe.g


def test_shell_context_processor_after_the_first_request(fw: SimpleNamespace) -> None:
    app = fw.Flask("late_shell")
    app.get("/")(lambda: "ok")
    app.test_client().get("/")
    with pytest.raises(AssertionError, match="shell_context_processor"):
        app.shell_context_processor(dict)


# Discovery names shared with flask.cli -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("other = 1\nweb = Flask('one_app')\n", "one_app"),
        ("def create_app():\n    return Flask('from_factory')\n", "from_factory"),
        ("value = 42\n", None),
    ],
)
def test_discovery_names(fw: SimpleNamespace, tmp_path: Path, body: str, expected: Any) -> None:
    (tmp_path / "pkg_disc").mkdir()
    (tmp_path / "pkg_disc" / "__init__.py").write_text("")
    write(tmp_path / "pkg_disc", fw, "mod", body)
    assert fw.cli.prepare_import(str(tmp_path / "pkg_disc" / "mod.py")) == "pkg_disc.mod"
    assert sys.path[0] == str(tmp_path)
    with pytest.raises(fw.cli.NoAppException, match=r"Could not import 'pkg_disc\.nope'"):
        fw.cli.locate_app("pkg_disc.nope", None)
    if expected is None:
        with pytest.raises(fw.cli.NoAppException, match="Failed to find"):
            fw.cli.locate_app("pkg_disc.mod", None)
        with pytest.raises(fw.cli.NoAppException):
            fw.cli.find_best_app(sys.modules["pkg_disc.mod"])
    else:
        assert fw.cli.locate_app("pkg_disc.mod", None).name == expected
        assert fw.cli.find_best_app(sys.modules["pkg_disc.mod"]).name == expected


@pytest.mark.parametrize("fw", ["carafe", "flask"], indirect=True)
def test_locate_app_without_raising(fw: SimpleNamespace) -> None:
    assert fw.cli.locate_app("no_such_module_xyz", None, raise_if_not_found=False) is None

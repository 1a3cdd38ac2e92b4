"""Tests for carafe.discovery: resolving ``--app MODULE[:NAME]`` to an app, as flask does.

The module-level searches (``find_best_app``, ``find_app_by_string``) run on modules
built in memory; the import steps (``prepare_import``, ``locate_app``, ``load_app``) on
small files under ``tmp_path``. Each search is compared with ``flask.cli`` on the same
module shapes.
"""

from __future__ import annotations

import importlib
import os
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path

import flask
import flask.cli
import pytest

import carafe
from carafe import discovery
from carafe.discovery import NoAppError


def make_module(source: str, framework: str = "carafe", name: str = "shapes") -> types.ModuleType:
    """A module named ``name`` built from ``source``, with ``Flask`` from ``framework``."""
    module = types.ModuleType(name)
    exec(f"from {framework} import Flask\n" + textwrap.dedent(source), module.__dict__)
    return module


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty project directory as the working directory.

    ``sys.path`` is restored afterwards (``prepare_import`` inserts into it) and the
    modules imported from the directory are forgotten.
    """
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield root
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


def write(path: Path, source: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    importlib.invalidate_caches()
    return path


APP_FILE = """
from carafe import Flask

app = Flask(__name__)

def create_app(name="factory", debug=False):
    made = Flask(name)
    made.debug = debug
    return made
"""


# -- split_app_spec ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("web", ("web", None)),
        ("web:app", ("web", "app")),
        ("pkg.web:create_app('a:b')", ("pkg.web", "create_app('a:b')")),
        ("src/web.py:app", ("src/web.py", "app")),
        ("C:\\site\\web.py", ("C:\\site\\web.py", None)),
        ("C:\\site\\web.py:app", ("C:\\site\\web.py", "app")),
        ("C:/site/web.py:create_app()", ("C:/site/web.py", "create_app()")),
        ("web:", ("web", "")),
    ],
)
def test_split_app_spec(spec: str, expected: tuple[str, str | None]) -> None:
    assert discovery.split_app_spec(spec) == expected


# -- prepare_import ------------------------------------------------------------------


def test_prepare_import_of_a_module_name_adds_the_working_directory(project: Path) -> None:
    assert discovery.prepare_import("web") == "web"
    assert sys.path[0] == str(project.resolve())
    assert discovery.prepare_import("pkg.web") == "pkg.web"
    assert sys.path.count(str(project.resolve())) == 1


def test_prepare_import_of_a_file_outside_a_package(project: Path) -> None:
    write(project / "src" / "web.py")
    assert discovery.prepare_import("src/web.py") == "web"
    assert sys.path[0] == str((project / "src").resolve())


@pytest.mark.parametrize("path", ["pkg/sub/web.py", "pkg/sub/web", "{project}/pkg/sub/web.py"])
def test_prepare_import_walks_up_past_packages(project: Path, path: str) -> None:
    write(project / "pkg" / "__init__.py")
    write(project / "pkg" / "sub" / "__init__.py")
    write(project / "pkg" / "sub" / "web.py")
    assert discovery.prepare_import(path.format(project=project)) == "pkg.sub.web"
    assert sys.path[0] == str(project.resolve())


def test_prepare_import_of_a_package_init(project: Path) -> None:
    write(project / "pkg" / "__init__.py")
    assert discovery.prepare_import("pkg/__init__.py") == "pkg"
    assert discovery.prepare_import("pkg") == "pkg"


@pytest.mark.parametrize(
    "path", ["web", "web.py", "pkg/sub/web.py", "pkg/__init__.py", "src/x.py"]
)
def test_prepare_import_matches_flask(project: Path, path: str) -> None:
    write(project / "pkg" / "__init__.py")
    write(project / "pkg" / "sub" / "__init__.py")
    write(project / "src" / "x.py")
    ours = discovery.prepare_import(path)
    ours_path = sys.path[0]
    assert flask.cli.prepare_import(path) == ours
    assert sys.path[0] == ours_path


# -- find_best_app: no NAME given ----------------------------------------------------

# Module bodies and the app each should resolve to (named through its ``import_name``),
# or None where no app can be chosen. ``Flask`` is Carafe's or Flask's.
BEST_APP_SHAPES = {
    "app": ('app = Flask("app")', "app"),
    "application": ('application = Flask("application")', "application"),
    "single other name": ('web = Flask("web")', "web"),
    "app wins over others": ('other = Flask("other")\napp = Flask("app")', "app"),
    "app before application": (
        'application = Flask("application")\napp = Flask("app")',
        "app",
    ),
    "application wins over others": (
        'other = Flask("other")\napplication = Flask("application")',
        "application",
    ),
    "app that is not an app": ('app = "text"\nweb = Flask("web")', "web"),
    "several": ('one = Flask("one")\ntwo = Flask("two")', None),
    "create_app": ('def create_app():\n    return Flask("created")', "created"),
    "make_app": ('def make_app():\n    return Flask("made")', "made"),
    "create_app before make_app": (
        'def make_app():\n    return Flask("made")\n'
        'def create_app():\n    return Flask("created")',
        "created",
    ),
    "factory returning something else": (
        'def create_app():\n    return None\ndef make_app():\n    return Flask("made")',
        "made",
    ),
    "instance before factory": (
        'web = Flask("web")\ndef create_app():\n    return Flask("created")',
        "web",
    ),
    "factory with defaults": ('def create_app(name="dflt"):\n    return Flask(name)', "dflt"),
    "factory needing arguments": ("def create_app(config):\n    return Flask(config)", None),
    "factory that is not a function": ("create_app = Flask", None),
    "nothing": ("value = 42", None),
}


@pytest.mark.parametrize(("source", "expected"), BEST_APP_SHAPES.values(), ids=BEST_APP_SHAPES)
def test_find_best_app(source: str, expected: str | None) -> None:
    module = make_module(source)
    if expected is None:
        with pytest.raises(NoAppError):
            discovery.find_best_app(module)
    else:
        app = discovery.find_best_app(module)
        assert isinstance(app, carafe.Flask)
        assert app.import_name == expected


@pytest.mark.parametrize(("source", "expected"), BEST_APP_SHAPES.values(), ids=BEST_APP_SHAPES)
def test_find_best_app_matches_flask(source: str, expected: str | None) -> None:
    module = make_module(source, "flask")
    if expected is None:
        with pytest.raises(flask.cli.NoAppException):
            flask.cli.find_best_app(module)
    else:
        assert flask.cli.find_best_app(module).import_name == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "one = Flask('one')\ntwo = Flask('two')",
            "Detected multiple Carafe applications in module 'shapes'. Use 'shapes:name'",
        ),
        (
            "def make_app(config):\n    return Flask(config)",
            "Detected factory 'make_app' in module 'shapes', but could not call it without"
            " arguments. Use 'shapes:make_app(args)'",
        ),
        ("x = 1", "Failed to find Carafe application or factory in module 'shapes'."),
    ],
)
def test_find_best_app_errors_say_what_to_do(source: str, message: str) -> None:
    with pytest.raises(NoAppError) as info:
        discovery.find_best_app(make_module(source))
    assert message in str(info.value)


def test_find_best_app_lets_a_type_error_inside_the_factory_through() -> None:
    module = make_module(
        """
        def create_app():
            return Flask(len(42))
        """
    )
    with pytest.raises(TypeError, match="has no len"):
        discovery.find_best_app(module)


# -- find_app_by_string: NAME given --------------------------------------------------

BY_STRING_SOURCE = """
app = Flask("app")
other = Flask("other")
value = 42

def create_app(name="factory", *, suffix=""):
    return Flask(name + suffix)

def returns_nothing():
    return None

def needs_one(config):
    return Flask(config)
"""

BY_STRING_CASES = {
    "app": "app",
    "other": "other",
    " other ": "other",
    "create_app": "factory",
    "create_app()": "factory",
    "create_app('dev')": "dev",
    'create_app(name="kw", suffix="!")': "kw!",
    "create_app(*('star',))": None,
    "needs_one('given')": "given",
    "missing": None,
    "value": None,
    "returns_nothing()": None,
    "needs_one()": None,
    "create_app(1, 2, 3)": None,
    "create_app(name=os.name)": None,
    "create_app(": None,
    "app.wsgi_app": None,
    "create_app()()": None,
    "1 + 1": None,
}


@pytest.mark.parametrize(("name", "expected"), BY_STRING_CASES.items(), ids=BY_STRING_CASES)
def test_find_app_by_string(name: str, expected: str | None) -> None:
    module = make_module(BY_STRING_SOURCE)
    if expected is None:
        with pytest.raises(NoAppError):
            discovery.find_app_by_string(module, name)
    else:
        assert discovery.find_app_by_string(module, name).import_name == expected


@pytest.mark.parametrize(("name", "expected"), BY_STRING_CASES.items(), ids=BY_STRING_CASES)
def test_find_app_by_string_matches_flask(name: str, expected: str | None) -> None:
    module = make_module(BY_STRING_SOURCE, "flask")
    if expected is None:
        with pytest.raises(flask.cli.NoAppException):
            flask.cli.find_app_by_string(module, name)
    else:
        assert flask.cli.find_app_by_string(module, name).import_name == expected


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing", "Failed to find attribute 'missing' in 'shapes'."),
        ("value", "A valid Carafe application was not obtained from 'shapes:value'."),
        ("returns_nothing()", "A valid Carafe application was not obtained"),
        (
            "create_app(1, 2, 3)",
            "The factory 'create_app(1, 2, 3)' in module 'shapes' could not be called with"
            " the specified arguments.",
        ),
        ("create_app(name=os.name)", "Failed to parse arguments as literal values"),
        ("create_app(", "Failed to parse 'create_app(' as an attribute name or function call."),
        ("app.wsgi_app", "Failed to parse 'app.wsgi_app' as an attribute name or function"),
        ("value(1)", "'value' in module 'shapes' is not a factory function."),
    ],
)
def test_find_app_by_string_errors(name: str, message: str) -> None:
    with pytest.raises(NoAppError) as info:
        discovery.find_app_by_string(make_module(BY_STRING_SOURCE), name)
    assert message in str(info.value)


def test_find_app_by_string_evaluates_no_code() -> None:
    # SECURITY: arguments are literals only; a call inside them is refused, not run.
    module = make_module(BY_STRING_SOURCE)
    module.calls = []  # type: ignore[attr-defined]
    with pytest.raises(NoAppError, match="literal values"):
        discovery.find_app_by_string(module, "create_app(calls.append(1))")
    assert module.calls == []


def test_find_app_by_string_lets_a_type_error_inside_the_factory_through() -> None:
    module = make_module("def create_app(name):\n    return Flask(name + 1)\n")
    with pytest.raises(TypeError):
        discovery.find_app_by_string(module, "create_app('x')")


# -- locate_app and load_app: importing --------------------------------------------


@pytest.fixture
def importable(project: Path) -> Path:
    """The project directory on ``sys.path``, as ``prepare_import`` leaves it."""
    sys.path.insert(0, str(project))
    return project


def test_load_app_of_a_module_in_the_working_directory(project: Path) -> None:
    write(project / "site_web.py", APP_FILE)
    app = discovery.load_app("site_web")
    assert app is sys.modules["site_web"].app
    assert discovery.load_app("site_web:create_app('named', debug=True)").import_name == "named"
    assert discovery.load_app("site_web:create_app('named', debug=True)").debug is True


def test_load_app_of_a_file_path_with_a_factory(project: Path) -> None:
    write(project / "src" / "pkg" / "__init__.py")
    write(project / "src" / "pkg" / "web.py", APP_FILE)
    app = discovery.load_app("src/pkg/web.py:create_app('from_file')")
    assert app.import_name == "from_file"
    assert "pkg.web" in sys.modules
    assert discovery.load_app("src/pkg/web.py") is sys.modules["pkg.web"].app


def test_locate_app_of_a_missing_module(importable: Path) -> None:
    with pytest.raises(NoAppError, match=r"^Could not import 'carafe_missing_xyz'\.$"):
        discovery.locate_app("carafe_missing_xyz", None)


def test_locate_app_of_a_missing_submodule(importable: Path) -> None:
    write(importable / "site_pkg" / "__init__.py")
    with pytest.raises(NoAppError, match=r"^Could not import 'site_pkg\.missing'\.$"):
        discovery.locate_app("site_pkg.missing", "app")


def test_locate_app_shows_an_import_error_raised_by_the_module(importable: Path) -> None:
    write(importable / "site_broken.py", "import carafe_missing_dependency_xyz\n")
    with pytest.raises(NoAppError) as info:
        discovery.locate_app("site_broken", None)
    message = str(info.value)
    assert message.startswith("While importing 'site_broken', an ImportError was raised:")
    assert "Traceback" in message
    assert "site_broken.py" in message
    assert "carafe_missing_dependency_xyz" in message


def test_locate_app_lets_other_errors_in_the_module_through(importable: Path) -> None:
    write(importable / "site_crash.py", "raise RuntimeError('boom at import')\n")
    with pytest.raises(RuntimeError, match="boom at import"):
        discovery.locate_app("site_crash", None)


def test_locate_app_name_resolution(importable: Path) -> None:
    write(importable / "site_named.py", APP_FILE)
    module_app = discovery.locate_app("site_named", None)
    assert module_app is sys.modules["site_named"].app
    assert discovery.locate_app("site_named", "app") is module_app
    with pytest.raises(NoAppError, match="Failed to find attribute 'nothing'"):
        discovery.locate_app("site_named", "nothing")


# -- find_import_target --------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected_name"),
    [
        ("web = Flask(__name__)", "web"),
        ("web = Flask(__name__)\napp = web", "app"),
        ("web = Flask(__name__)\napplication = web", "application"),
        ("application = Flask(__name__)\napp = application", "app"),
    ],
)
def test_find_import_target_of_a_module_global(
    project: Path, source: str, expected_name: str
) -> None:
    write(project / "site_target.py", "from carafe import Flask\n" + source)
    app = discovery.load_app("site_target")
    assert discovery.find_import_target(app) == f"site_target:{expected_name}"


def test_find_import_target_is_none_when_the_app_cannot_be_imported_again(
    project: Path,
) -> None:
    write(project / "site_factory.py", APP_FILE)
    assert discovery.find_import_target(discovery.load_app("site_factory:create_app()")) is None
    made = discovery.load_app("site_factory:create_app('site_factory')")
    assert discovery.find_import_target(made) is None
    nowhere = carafe.Flask("carafe_not_a_loaded_module", root_path=os.fspath(project))
    assert discovery.find_import_target(nowhere) is None


def test_find_import_target_of_a_main_script(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = write(project / "bin" / "serve.py")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    main.server = carafe.Flask("__main__", root_path=os.fspath(project))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert discovery.find_import_target(main.server) == "serve:server"
    assert sys.path[0] == str((project / "bin").resolve())
    del main.__file__
    assert discovery.find_import_target(main.server) is None

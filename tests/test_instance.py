"""The instance folder and resources: ``instance_path`` (found like Flask's
``auto_find_instance_path`` or given), ``instance_relative_config``, ``open_resource``,
``open_instance_resource``, ``Blueprint.open_resource`` and ``scaffold.find_package``.

Each behaviour is checked on Carafe and on Flask, which must agree.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import carafe
from carafe.scaffold import find_package

flask = pytest.importorskip("flask")
flask_scaffold = pytest.importorskip("flask.sansio.scaffold")

FRAMEWORKS = pytest.mark.parametrize("fw", ["carafe", "flask"])
APP_SOURCE = "import {fw}\napp = {fw}.Flask(__name__)\n"
TEXT = "héllo wörld\n"
READ_ONLY = "Resources can only be opened for reading."


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Run in ``tmp_path`` (on sys.path); forget the modules a test imports."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    saved = set(sys.modules)
    yield
    for name in set(sys.modules) - saved:
        del sys.modules[name]


def write(path: Path, text: str = "", encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    importlib.invalidate_caches()
    return path


def flask_class(fw: str) -> Any:
    return carafe.Flask if fw == "carafe" else flask.Flask


def both_find_package(name: str) -> tuple[str | None, str]:
    """Carafe's find_package for ``name``, checked equal to Flask's."""
    ours = find_package(name)
    assert ours == flask_scaffold.find_package(name)
    return ours


# instance_path ------------------------------------------------------------------------------


@FRAMEWORKS
def test_module_instance_path(tmp_path: Path, fw: str) -> None:
    write(tmp_path / "inst_mod.py", APP_SOURCE.format(fw=fw))
    app = importlib.import_module("inst_mod").app
    assert app.instance_path == os.fspath(tmp_path / "instance")
    # Found, never created.
    assert not (tmp_path / "instance").exists()
    assert carafe.Flask("inst_mod").instance_path == flask.Flask("inst_mod").instance_path


@FRAMEWORKS
def test_package_instance_path(tmp_path: Path, fw: str) -> None:
    write(tmp_path / "inst_pkg" / "__init__.py", APP_SOURCE.format(fw=fw))
    write(tmp_path / "inst_pkg" / "views.py", APP_SOURCE.format(fw=fw))
    package = importlib.import_module("inst_pkg")
    views = importlib.import_module("inst_pkg.views")
    assert package.app.root_path == os.fspath(tmp_path / "inst_pkg")
    assert package.app.instance_path == os.fspath(tmp_path / "instance")
    assert views.app.instance_path == os.fspath(tmp_path / "instance")


@FRAMEWORKS
def test_namespace_package_instance_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fw: str
) -> None:
    for project in ("project1", "project2"):
        write(tmp_path / project / "inst_ns" / project / "__init__.py", APP_SOURCE.format(fw=fw))
        monkeypatch.syspath_prepend(os.fspath(tmp_path / project))
    app = importlib.import_module("inst_ns.project2").app
    assert app.instance_path == os.fspath(tmp_path / "project2" / "instance")


@FRAMEWORKS
def test_main_instance_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fw: str) -> None:
    # An interactive __main__: no spec and no file, so the working directory's instance.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    app = flask_class(fw)("__main__")
    assert app.instance_path == os.fspath(tmp_path / "work" / "instance")
    assert both_find_package("__main__") == (None, os.fspath(tmp_path / "work"))


@FRAMEWORKS
def test_installed_instance_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fw: str) -> None:
    prefix = tmp_path / "prefix"
    monkeypatch.setattr(sys, "prefix", os.fspath(prefix))
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = prefix / "lib" / version / "site-packages"
    write(site / "site_app.py", APP_SOURCE.format(fw=fw))
    write(site / "site_pkg" / "__init__.py", APP_SOURCE.format(fw=fw))
    monkeypatch.syspath_prepend(os.fspath(site))
    module_app = importlib.import_module("site_app").app
    assert module_app.instance_path == os.fspath(prefix / "var" / "site_app-instance")
    package_app = importlib.import_module("site_pkg").app
    assert package_app.instance_path == os.fspath(prefix / "var" / "site_pkg-instance")


@FRAMEWORKS
def test_explicit_instance_path(tmp_path: Path, fw: str) -> None:
    given = os.fspath(tmp_path / "somewhere" / "instance")
    app = flask_class(fw)("explicit", instance_path=given)
    assert app.instance_path == given
    assert not os.path.exists(given)


@pytest.mark.parametrize("relative", ["instance", "./instance", "../up/instance"])
def test_relative_instance_path_is_an_error(relative: str) -> None:
    with pytest.raises(ValueError, match="must be absolute") as ours:
        carafe.Flask("relative", instance_path=relative)
    with pytest.raises(ValueError) as theirs:
        flask.Flask("relative", instance_path=relative)
    assert str(ours.value) == str(theirs.value)


# instance_relative_config -------------------------------------------------------------------


@FRAMEWORKS
@pytest.mark.parametrize(("relative", "expected"), [(True, "instance"), (False, "root")])
def test_instance_relative_config(tmp_path: Path, fw: str, relative: bool, expected: str) -> None:
    write(tmp_path / "root" / "x.cfg", "SOURCE = 'root'\n")
    write(tmp_path / "instance" / "x.cfg", "SOURCE = 'instance'\n")
    app = flask_class(fw)(
        "cfg_app",
        root_path=os.fspath(tmp_path / "root"),
        instance_path=os.fspath(tmp_path / "instance"),
        instance_relative_config=relative,
    )
    assert app.config.root_path == os.fspath(tmp_path / expected)
    assert app.config.from_pyfile("x.cfg") is True
    assert app.config["SOURCE"] == expected
    assert app.config.from_pyfile("missing.cfg", silent=True) is False


@FRAMEWORKS
def test_instance_relative_config_with_the_found_instance(tmp_path: Path, fw: str) -> None:
    source = f"import {fw}\napp = {fw}.Flask(__name__, instance_relative_config=True)\n"
    write(tmp_path / "cfg_mod.py", source + "app.config.from_pyfile('settings.cfg')\n")
    write(tmp_path / "instance" / "settings.cfg", "SECRET_KEY = 'from instance'\n")
    assert importlib.import_module("cfg_mod").app.secret_key == "from instance"


# open_resource ------------------------------------------------------------------------------


@FRAMEWORKS
def test_open_resource_reads_bytes_and_text_from_the_root_path(tmp_path: Path, fw: str) -> None:
    write(tmp_path / "root" / "data" / "res.txt", TEXT)
    write(tmp_path / "root" / "utf16.txt", TEXT, encoding="utf-16-le")
    write(tmp_path / "data" / "res.txt", "the working directory's\n")
    app = flask_class(fw)("res_app", root_path=os.fspath(tmp_path / "root"))
    with app.open_resource("data/res.txt") as file:
        assert file.read() == TEXT.encode("utf-8")
    with app.open_resource("data/res.txt", "rb") as file:
        assert file.read() == TEXT.encode("utf-8")
    for mode in ("r", "rt"):
        with app.open_resource("utf16.txt", mode, encoding="utf-16-le") as file:
            assert file.read() == TEXT
        with app.open_resource("data/res.txt", mode, encoding="utf-8") as file:
            assert file.read() == TEXT


@FRAMEWORKS
@pytest.mark.parametrize("mode", ["w", "wb", "a", "x", "r+", "w+", "ab"])
def test_open_resource_write_modes_are_refused(tmp_path: Path, fw: str, mode: str) -> None:
    kept = write(tmp_path / "kept.txt", "unchanged")
    app = flask_class(fw)("res_app", root_path=os.fspath(tmp_path))
    bp = (carafe if fw == "carafe" else flask).Blueprint("bp", "bp", root_path=os.fspath(tmp_path))
    for scaffold in (app, bp):
        for name in ("kept.txt", "new.txt"):
            with pytest.raises(ValueError, match=f"^{READ_ONLY}$"):
                scaffold.open_resource(name, mode)
    assert kept.read_text() == "unchanged"
    assert not (tmp_path / "new.txt").exists()


BLUEPRINT_SOURCE = """
import {fw}
bp = {fw}.Blueprint("admin", __name__)
"""


@FRAMEWORKS
def test_blueprint_open_resource(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fw: str) -> None:
    write(tmp_path / "proj" / "res_app.py", APP_SOURCE.format(fw=fw))
    write(tmp_path / "proj" / "app.txt", "app's")
    write(tmp_path / "proj" / "bps" / "__init__.py")
    write(tmp_path / "proj" / "bps" / "admin.py", BLUEPRINT_SOURCE.format(fw=fw))
    write(tmp_path / "proj" / "bps" / "static" / "note.txt", TEXT)
    monkeypatch.syspath_prepend(os.fspath(tmp_path / "proj"))
    app = importlib.import_module("res_app").app
    bp = importlib.import_module("bps.admin").bp
    app.register_blueprint(bp)
    assert app.root_path == os.fspath(tmp_path / "proj")
    assert bp.root_path == os.fspath(tmp_path / "proj" / "bps")
    with app.open_resource("app.txt", "r", encoding="ascii") as file:
        assert file.read() == "app's"
    with bp.open_resource("static/note.txt") as file:
        assert file.read() == TEXT.encode("utf-8")
    # Text is UTF-8 unless an encoding is given.
    with bp.open_resource("static/note.txt", "r") as file:
        assert (file.encoding, file.read()) == ("utf-8", TEXT)
    with bp.open_resource("static/note.txt", "rt", encoding="latin-1") as file:
        assert file.read() == TEXT.encode("utf-8").decode("latin-1")


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (carafe.Flask.open_resource, flask.Flask.open_resource),
        (carafe.Flask.open_instance_resource, flask.Flask.open_instance_resource),
        (carafe.Blueprint.open_resource, flask.Blueprint.open_resource),
    ],
)
def test_resource_defaults_match_flask(ours: Any, theirs: Any) -> None:
    def defaults(func: Any) -> dict[str, Any]:
        return {
            name: param.default
            for name, param in inspect.signature(func).parameters.items()
            if name != "self"
        }

    assert defaults(ours) == defaults(theirs)


@pytest.mark.parametrize(
    "fw",
    [
        "carafe",
        "flask",
    ],
)
def test_root_path_of_a_module_not_imported_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fw: str
) -> None:
    write(tmp_path / "elsewhere" / "not_yet_imported.py", "VALUE = 1\n")
    write(tmp_path / "elsewhere" / "data.txt", "beside the module")
    monkeypatch.syspath_prepend(os.fspath(tmp_path / "elsewhere"))
    app = flask_class(fw)("not_yet_imported")
    assert app.root_path == os.fspath(tmp_path / "elsewhere")
    with app.open_resource("data.txt") as file:
        assert file.read() == b"beside the module"


# open_instance_resource ---------------------------------------------------------------------


@FRAMEWORKS
def test_open_instance_resource(tmp_path: Path, fw: str) -> None:
    instance = tmp_path / "inst"
    instance.mkdir()
    app = flask_class(fw)(
        "inst_res", root_path=os.fspath(tmp_path / "root"), instance_path=os.fspath(instance)
    )
    with app.open_instance_resource("notes.txt", "w") as file:
        file.write(TEXT)
    with app.open_instance_resource("notes.txt", "r") as file:
        assert file.read() == TEXT
    # Text is UTF-8 by default, bytes are read as written.
    with app.open_instance_resource("notes.txt") as file:
        assert file.read() == TEXT.encode("utf-8")
    with app.open_instance_resource("notes.txt", "a") as file:
        file.write("more\n")
    with app.open_instance_resource("raw.bin", "wb") as file:
        file.write(b"\x00\xff")
    with app.open_instance_resource("wide.txt", "w", encoding="utf-16-le") as file:
        file.write(TEXT)
    assert (instance / "notes.txt").read_text(encoding="utf-8") == TEXT + "more\n"
    assert (instance / "raw.bin").read_bytes() == b"\x00\xff"
    assert (instance / "wide.txt").read_bytes() == TEXT.encode("utf-16-le")
    assert not (tmp_path / "root").exists()
    # The instance folder is not created for you.
    missing = flask_class(fw)("inst_res", instance_path=os.fspath(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError):
        missing.open_instance_resource("x.txt", "w")


# find_package --------------------------------------------------------------------------------


def test_find_package_for_modules_not_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "fp_mod.py")
    write(tmp_path / "fp_pkg" / "__init__.py")
    write(tmp_path / "fp_pkg" / "sub.py")
    for name in ("fp_mod", "fp_pkg", "fp_pkg.sub"):
        assert both_find_package(name) == (None, os.fspath(tmp_path))
    # A name that cannot be found: the working directory.
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    assert both_find_package("no_such_package_xyz") == (None, os.fspath(tmp_path / "cwd"))


@pytest.mark.parametrize("name", ["click", "click.testing"])
def test_find_package_for_an_installed_package(name: str) -> None:
    import click

    prefix, package_path = both_find_package(name)
    assert package_path == os.path.dirname(os.path.dirname(click.__file__))
    assert prefix is not None
    assert Path(package_path).is_relative_to(prefix)
    if Path(package_path).is_relative_to(os.path.abspath(sys.prefix)):
        assert prefix == os.path.abspath(sys.prefix)


VERSION_DIR = f"python{sys.version_info.major}.{sys.version_info.minor}"


@pytest.mark.parametrize(
    ("layout", "in_prefix", "installed"),
    [
        (f"lib/{VERSION_DIR}/site-packages", False, True),  # a virtualenv elsewhere
        ("Lib/site-packages", False, True),  # Windows
        ("site-packages", False, True),  # <prefix>/site-packages
        ("vendor/libs", True, True),  # anywhere under sys.prefix
        ("vendor/libs", False, False),  # not installed
    ],
)
def test_find_package_layouts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str, in_prefix: bool, installed: bool
) -> None:
    env = tmp_path / "env"
    folder = env.joinpath(*layout.split("/"))
    write(folder / "layout_mod.py")
    monkeypatch.syspath_prepend(os.fspath(folder))
    if in_prefix:
        monkeypatch.setattr(sys, "prefix", os.fspath(env))
    prefix = os.fspath(env) if installed else None
    assert both_find_package("layout_mod") == (prefix, os.fspath(folder))
    expected = (
        os.fspath(env / "var" / "layout_mod-instance")
        if installed
        else os.fspath(folder / "instance")
    )
    assert carafe.Flask("layout_mod").instance_path == expected
    assert flask.Flask("layout_mod").instance_path == expected

"""Write ``docs/flask-names.md``: every public name of Flask and whether Carafe has it
(``make flask-names``; ``tests/test_flask_names.py`` fails when the page is out of date).

Imports the real ``flask`` installed beside Carafe (a dev dependency) and ``carafe``. For
``flask`` and each of its public submodules, the public names are the module's
``__all__`` when it has one; otherwise the names bound at its top level by ``def``,
``class`` or assignment, and those re-exported with the ``import x as x`` form Flask
uses for that, leaving out names that start with ``_`` and type variables (but in
``flask.typing``, whose names are all types for annotations). Each name is looked up
on the Carafe module of the same name (``flask.helpers`` -> ``carafe.helpers``), where
``carafe.flask_compat`` finds it for code that imports from ``flask``. For the main
classes, the members of an instance are compared too.

Usage: ``python scripts/flask_names.py``.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import pkgutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import BuiltinFunctionType, FunctionType, ModuleType
from typing import Any, TypeVar

import flask

import carafe

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "flask-names.md"

#: What a function is: a function compiled by mypyc (the compiled build) is a builtin one.
FUNCTION_TYPES = (FunctionType, BuiltinFunctionType)

#: Flask's modules that are not its public API: ``sansio`` holds the code Flask shares
#: with other implementations (Quart), reached through ``flask.app`` and
#: ``flask.blueprints``; ``__main__`` runs the command line.
SKIPPED_MODULES = ("flask.__main__", "flask.sansio")

#: Deliberate differences, by Flask's dotted name (a class member as
#: ``module.Class.member``): the note shown instead of "missing". One for a name Carafe
#: has is an error, so that notes do not outlive the difference.
NOTES: dict[str, str] = {
    "flask.wrappers.Response.get_wsgi_headers": "as `wsgi_headers()`, without the environ",
}

#: The classes whose members are compared, with how to make an instance of each: from
#: the framework's class and an app of that framework.
MAIN_CLASSES: dict[str, Callable[[Any, Any], Any]] = {
    "flask.app.Flask": lambda cls, app: app,
    "flask.blueprints.Blueprint": lambda cls, app: cls("names", "names"),
    "flask.wrappers.Request": lambda cls, app: app.test_request_context("/").request,
    "flask.wrappers.Response": lambda cls, app: cls(),
    "flask.config.Config": lambda cls, app: cls(str(ROOT)),
    "flask.testing.FlaskClient": lambda cls, app: cls(app),
    "flask.testing.FlaskCliRunner": lambda cls, app: cls(app),
    "flask.cli.ScriptInfo": lambda cls, app: cls(),
    "flask.cli.FlaskGroup": lambda cls, app: cls(),
    "flask.cli.AppGroup": lambda cls, app: cls(),
    "flask.sessions.SessionInterface": lambda cls, app: cls(),
    "flask.sessions.SecureCookieSessionInterface": lambda cls, app: cls(),
    "flask.json.tag.TaggedJSONSerializer": lambda cls, app: cls(),
    "flask.json.provider.DefaultJSONProvider": lambda cls, app: cls(app),
    "flask.views.View": lambda cls, app: cls(),
    "flask.views.MethodView": lambda cls, app: cls(),
    "flask.ctx.AppContext": lambda cls, app: cls(app),
    "flask.ctx.RequestContext": lambda cls, app: app.test_request_context("/"),
}


@dataclass
class Row:
    """One line of a module's table: a name (or a class member) and its status."""

    label: str
    status: str
    #: "yes", "elsewhere" (in another Carafe module), "note" or "missing"; "members"
    #: for a class's count line.
    kind: str
    member: bool = False


@dataclass
class ModuleReport:
    """A Flask module's rows, with the Carafe module its names are looked up on."""

    flask_name: str
    carafe_name: str
    carafe_found: bool
    rows: list[Row] = field(default_factory=list)
    #: (present, total) members of each main class the module defines.
    member_counts: list[tuple[int, int]] = field(default_factory=list)


def flask_module_names(package: ModuleType) -> list[str]:
    """``flask`` and its public submodules, found by walking the package."""
    names = ["flask"]
    for info in pkgutil.walk_packages(package.__path__, "flask."):
        if info.name.startswith(SKIPPED_MODULES):
            continue
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        names.append(info.name)
    return sorted(names, key=lambda name: (name != "flask", name))


def public_names(module: ModuleType) -> list[str]:
    """The public names of a Flask module (the rules are in this script's docstring)."""
    declared = getattr(module, "__all__", None)
    if declared is not None:
        return sorted(declared, key=_sort_key)
    names = set(_bound_names(ast.parse(inspect.getsource(module)).body))
    keep_type_vars = module.__name__.endswith(".typing")
    return sorted(
        (
            name
            for name in names
            if not name.startswith("_")
            and hasattr(module, name)
            and (keep_type_vars or type(getattr(module, name)) is not TypeVar)
        ),
        key=_sort_key,
    )


def _bound_names(body: list[ast.stmt]) -> Iterator[str]:
    """The names a module body binds by definition, assignment or ``import x as x``,
    including under ``if`` and ``try`` (a name only under ``TYPE_CHECKING`` is left out
    by the ``hasattr`` check of :func:`public_names`)."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            yield node.target.id
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.asname is not None and alias.asname == alias.name.rpartition(".")[2]:
                    yield alias.asname
        elif isinstance(node, ast.If):
            yield from _bound_names(node.body)
            yield from _bound_names(node.orelse)
        elif isinstance(node, ast.Try):
            yield from _bound_names(node.body)
            for handler in node.handlers:
                yield from _bound_names(handler.body)
            yield from _bound_names(node.orelse)


def _sort_key(name: str) -> tuple[str, str]:
    return name.lower(), name


def import_or_none(name: str) -> ModuleType | None:
    """The module ``name``, or None when it does not exist."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise


def has_name(module: ModuleType, name: str) -> bool:
    """True if ``module`` has ``name`` as its own, not a library module it imported."""
    try:
        value = getattr(module, name)
    except AttributeError:
        return False
    # (type(), not isinstance(): a context proxy answers __class__ only in its context.)
    return type(value) is not ModuleType or value.__name__.startswith("carafe")


def carafe_index() -> dict[str, list[str]]:
    """Where Carafe defines each of its classes and functions: name -> public modules."""
    found: dict[str, list[str]] = {}
    modules = [carafe]
    for info in pkgutil.walk_packages(carafe.__path__, "carafe."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        if info.name == "carafe.flask_compat":
            continue  # importing it hooks `import flask`
        module = import_or_none(info.name)
        if module is not None:
            modules.append(module)
    for module in modules:
        for name, value in vars(module).items():
            if name.startswith("_"):
                continue
            kind = type(value)  # (not isinstance(), see has_name)
            if not (kind in FUNCTION_TYPES or issubclass(kind, type)):
                continue
            if (value.__module__ or "").startswith("carafe"):
                found.setdefault(name, []).append(module.__name__)
    return found


def members(instance: object) -> set[str]:
    """The public attributes of an instance, its class's included."""
    return {name for name in dir(instance) if not name.startswith("_")}


def module_report(
    flask_name: str, used_notes: set[str], index: dict[str, list[str]]
) -> ModuleReport:
    """The rows for one Flask module: its names, and after each main class the members
    Carafe's lacks (those it has are counted)."""
    flask_module = importlib.import_module(flask_name)
    carafe_name = "carafe" + flask_name[len("flask") :]
    carafe_module = import_or_none(carafe_name)
    report = ModuleReport(flask_name, carafe_name, carafe_module is not None)
    for name in public_names(flask_module):
        dotted = f"{flask_name}.{name}"
        present = carafe_module is not None and has_name(carafe_module, name)
        report.rows.append(_row(f"`{name}`", dotted, present, used_notes, index.get(name)))
        if dotted not in MAIN_CLASSES or carafe_module is None or not present:
            continue
        make = MAIN_CLASSES[dotted]
        theirs = members(make(getattr(flask_module, name), flask.Flask("names")))
        ours = members(make(getattr(carafe_module, name), carafe.Flask("names")))
        lacking = sorted(theirs - ours, key=_sort_key)
        present_count = len(theirs) - len(lacking)
        report.member_counts.append((present_count, len(theirs)))
        report.rows.append(
            Row(f"`{name}` members", f"{present_count} of {len(theirs)} present", "members")
        )
        for member in lacking:
            label, member_dotted = f"`{name}.{member}`", f"{dotted}.{member}"
            report.rows.append(_row(label, member_dotted, False, used_notes, None, member=True))
    return report


def _row(
    label: str,
    dotted: str,
    present: bool,
    used_notes: set[str],
    places: list[str] | None,
    *,
    member: bool = False,
) -> Row:
    """A name's row: a note from NOTES while Carafe lacks it, else where Carafe has it."""
    if present:
        return Row(label, "yes", "yes", member)
    if dotted in NOTES:
        used_notes.add(dotted)
        return Row(label, NOTES[dotted], "note", member)
    if places:
        # The top-level module re-exports much: named only when it is the one place.
        places = [place for place in places if place != "carafe"] or places
        shown = ", ".join(f"`{place}`" for place in places)
        return Row(label, f"missing here; in {shown}", "elsewhere", member)
    return Row(label, "missing", "missing", member)


def render() -> str:
    """The whole page."""
    if flask.Flask.__module__ != "flask.app":
        raise RuntimeError("'flask' is not Flask here (carafe.flask_compat hooked it?)")
    version = importlib.metadata.version("flask")
    index = carafe_index()
    used_notes: set[str] = set()
    reports = [module_report(name, used_notes, index) for name in flask_module_names(flask)]
    stale = sorted(set(NOTES) - used_notes)
    if stale:
        raise RuntimeError(
            f"NOTES in scripts/flask_names.py for names Carafe now has, or Flask {version}"
            f" does not: {stale}; remove them"
        )
    return _page(version, reports)


def _page(version: str, reports: list[ModuleReport]) -> str:
    kinds = dict.fromkeys(("yes", "elsewhere", "note", "missing"), 0)
    member_notes = 0
    for report in reports:
        for row in report.rows:
            if row.member:
                member_notes += row.kind == "note"
            elif row.kind in kinds:
                kinds[row.kind] += 1
    counts = [count for report in reports for count in report.member_counts]
    member_present = sum(present for present, _ in counts)
    member_total = sum(total for _, total in counts)
    lines = [
        "# Flask's public names in Carafe",
        "",
        "<!-- Generated by scripts/flask_names.py: do not edit by hand. -->",
        f"This page is generated by `scripts/flask_names.py` from Flask {version}: regenerate"
        " it with `make flask-names` (`python scripts/flask_names.py`).",
        "`tests/test_flask_names.py` fails when it is out of date.",
        "",
        "A module's public names are its `__all__`, or else the names its top level defines"
        " or re-exports with `import x as x` (type variables left out, but in"
        " `flask.typing`). Each is looked up on the Carafe module of the same name"
        " (`flask.helpers` on `carafe.helpers`), which is what `carafe.flask_compat` gives"
        " code that imports from `flask`. For the main classes, the members of an instance"
        " are compared too: the ones Carafe has are counted, the ones it lacks listed.",
        "",
        f"**{sum(kinds.values())} names** in {len(reports)} modules:"
        f" {kinds['yes']} in Carafe, {kinds['elsewhere']} only in another Carafe module,"
        f" {kinds['note']} with a note, {kinds['missing']} missing."
        f" **Members** of {len(counts)} main classes: {member_present} of {member_total}"
        f" present, {member_total - member_present} missing ({member_notes} with a note).",
    ]
    for report in reports:
        lines += ["", f"## `{report.flask_name}`", ""]
        if not report.carafe_found:
            lines += [f"Carafe has no `{report.carafe_name}` module.", ""]
        lines += ["| Name | Carafe |", "| --- | --- |"]
        lines += [f"| {row.label} | {row.status} |" for row in report.rows]
    return "\n".join(lines) + "\n"


def main() -> int:
    PAGE.write_text(render(), encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

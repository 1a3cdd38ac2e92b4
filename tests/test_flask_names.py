"""``docs/flask-names.md`` is current: the page ``scripts/flask_names.py`` writes from the
installed Flask and Carafe as it is now, byte for byte."""

from __future__ import annotations
import __future__

import difflib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

flask = pytest.importorskip("flask")

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "flask_names.py"


@pytest.fixture(scope="module")
def flask_names() -> Iterator[ModuleType]:
    """``scripts/flask_names.py``, imported as a module (in sys.modules while it is
    used: its dataclasses look their module up there)."""
    spec = importlib.util.spec_from_file_location("flask_names", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_the_page_is_current(flask_names: ModuleType) -> None:
    expected = flask_names.render()
    current = flask_names.PAGE.read_text(encoding="utf-8")
    if current != expected:
        diff = difflib.unified_diff(
            current.splitlines(),
            expected.splitlines(),
            "docs/flask-names.md",
            "generated",
            lineterm="",
        )
        shown = "\n".join(list(diff)[:40])
        pytest.fail(
            f"docs/flask-names.md is out of date: run `python scripts/flask_names.py`\n{shown}",
            pytrace=False,
        )


def test_the_top_level_names_are_what_flask_exposes(flask_names: ModuleType) -> None:
    # The rule for a module without __all__ (definitions and `import x as x`) finds
    # exactly the names `import flask` offers, but the submodules Flask imports for
    # itself (json, which it re-exports, aside) and the __future__ import.
    exposed = {
        name
        for name in dir(flask)
        if not name.startswith("_")
        and type(getattr(flask, name)) is not ModuleType
        and type(getattr(flask, name)) is not __future__._Feature
    }
    assert set(flask_names.public_names(flask)) == exposed | {"json"}


def test_every_public_submodule_is_covered(flask_names: ModuleType) -> None:
    modules = flask_names.flask_module_names(flask)
    assert modules[0] == "flask"
    for name in ("flask.json.tag", "flask.templating", "flask.typing", "flask.views"):
        assert name in modules
    assert not [name for name in modules if "sansio" in name or "._" in name]

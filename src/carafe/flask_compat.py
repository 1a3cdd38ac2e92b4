"""``import flask`` answered by Carafe, for code that cannot change its imports.

``import carafe.flask_compat`` (before the extensions an app imports) makes ``flask``
and ``flask.<module>`` resolve to ``carafe`` and ``carafe.<module>``: the same module
objects, so ``flask.request is carafe.request``. It never shadows a real Flask
installed beside Carafe: then it warns and leaves ``flask`` alone, unless
:func:`install` is called with ``replace_installed=True`` (or the environment sets
``CARAFE_REPLACE_FLASK=1`` before the import).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from types import ModuleType

#: The Flask version Carafe's API follows, reported as ``flask.__version__``.
FLASK_VERSION = "3.1.1"


class _CarafeAsFlask(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``flask`` and ``flask.X`` as ``carafe`` and ``carafe.X``."""

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "flask" and not fullname.startswith("flask."):
            return None
        carafe_name = "carafe" + fullname[len("flask") :]
        if importlib.util.find_spec(carafe_name) is None:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, self, is_package=fullname == "flask" or _is_package(carafe_name)
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        if spec.name == "flask":
            return _flask_module()
        # The carafe module itself: ``flask.X`` and ``carafe.X`` are one object.
        return importlib.import_module("carafe" + spec.name[len("flask") :])

    def exec_module(self, module: ModuleType) -> None:
        pass  # already executed, as its carafe name


_FINDER = _CarafeAsFlask()


def _flask_module() -> ModuleType:
    """``flask``: every name is carafe's, but ``__version__`` is the Flask version
    Carafe follows (extensions compare it)."""
    import carafe

    module = ModuleType("flask", carafe.__doc__)
    module.__dict__.update(
        {name: value for name, value in vars(carafe).items() if not name.startswith("__")}
    )
    module.__all__ = list(carafe.__all__)  # type: ignore[attr-defined]
    module.__version__ = FLASK_VERSION  # type: ignore[attr-defined]
    module.__path__ = []  # a package, so that flask.X imports

    def __getattr__(name: str) -> object:  # names carafe makes on first use
        return getattr(carafe, name)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    return module


def _is_package(name: str) -> bool:
    spec = importlib.util.find_spec(name)
    return spec is not None and spec.submodule_search_locations is not None


def install(*, replace_installed: bool = False) -> bool:
    """Make ``import flask`` give Carafe; True if it does.

    :param replace_installed: also when a real Flask is installed (it is then
        hidden from this process); otherwise a warning says why nothing changed.
    """
    if _FINDER in sys.meta_path:
        return True
    existing = sys.modules.get("flask")
    if existing is not None and not getattr(existing, "__name__", "").startswith("carafe"):
        if not replace_installed:
            warnings.warn(
                "carafe.flask_compat: Flask itself is already imported; 'flask' stays"
                " Flask. Import carafe.flask_compat first.",
                RuntimeWarning,
                stacklevel=2,
            )
            return False
    elif not replace_installed and _real_flask_installed():
        warnings.warn(
            "carafe.flask_compat: a real Flask is installed beside Carafe, so 'import"
            " flask' still gives Flask. Uninstall it, or call"
            " carafe.flask_compat.install(replace_installed=True) to use Carafe anyway.",
            RuntimeWarning,
            stacklevel=2,
        )
        return False
    for name in [name for name in sys.modules if name == "flask" or name.startswith("flask.")]:
        del sys.modules[name]
    sys.meta_path.insert(0, _FINDER)
    return True


def uninstall() -> None:
    """Undo :func:`install`: ``import flask`` finds what is installed again."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [name for name in sys.modules if name == "flask" or name.startswith("flask.")]:
        del sys.modules[name]


def _real_flask_installed() -> bool:
    spec = importlib.util.find_spec("flask")
    return spec is not None and spec.loader is not _FINDER


install(replace_installed=os.environ.get("CARAFE_REPLACE_FLASK") == "1")

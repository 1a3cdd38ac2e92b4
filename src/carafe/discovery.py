"""Finding an app from ``MODULE[:NAME]``, as ``flask --app`` does.

``NAME`` may be an attribute or a factory call such as ``create_app("dev")``; without
``NAME`` the module's ``app`` or ``application``, its single app instance, or a
``create_app``/``make_app`` factory is used. Used by ``carafe`` (:mod:`carafe.cli`) and by
the workers of :mod:`carafe.serving`; nothing here is imported by ``import carafe``.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import sys
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any

import click

__all__ = [
    "NoAppError",
    "find_app_by_string",
    "find_best_app",
    "find_import_target",
    "load_app",
    "locate_app",
    "prepare_import",
    "split_app_spec",
]

# The names and factories looked up in a module when no NAME is given (Flask's order).
_APP_NAMES = ("app", "application")
_FACTORY_NAMES = ("create_app", "make_app")


class NoAppError(click.UsageError):
    """The app named by ``MODULE[:NAME]`` could not be imported, found or created (a
    usage error of the command line; Flask's ``NoAppException``)."""


def _is_app(value: object) -> bool:
    from carafe import Flask

    return isinstance(value, Flask)


def prepare_import(path: str) -> str:
    """Turn ``path`` (a module name or a ``.py`` file) into an importable module name.

    Like ``flask --app``, a file path is walked up past any package ``__init__.py`` files
    and the first directory outside a package is put on :data:`sys.path`.
    """
    path = os.path.realpath(path)
    stem, ext = os.path.splitext(path)
    if ext == ".py":
        path = stem
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    parts: list[str] = []
    while True:
        path, name = os.path.split(path)
        parts.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(parts))


def split_app_spec(spec: str) -> tuple[str, str | None]:
    """Split ``MODULE[:NAME]`` on the first colon not followed by a path separator.

    The lookahead keeps Windows drive letters (``C:\\app.py``) in the module part.
    """
    parts = re.split(r":(?![\\/])", spec, maxsplit=1)
    if len(parts) == 1:
        return parts[0], None
    return parts[0], parts[1]


def _import_module(module_name: str, raise_if_not_found: bool = True) -> ModuleType | None:
    try:
        __import__(module_name)
    except ImportError as exc:
        # An ImportError raised from inside the module is a bug in the app, not a bad
        # name: show its traceback instead of hiding it behind "could not import".
        if exc.__traceback__ is not None and exc.__traceback__.tb_next is not None:
            raise NoAppError(
                f"While importing {module_name!r}, an ImportError was raised:\n\n"
                f"{traceback.format_exc()}"
            ) from exc
        if not raise_if_not_found:
            return None
        raise NoAppError(f"Could not import {module_name!r}.") from exc
    return sys.modules[module_name]


def _called_with_wrong_args(factory: Callable[..., Any]) -> bool:
    """Tell whether the last :exc:`TypeError` came from calling ``factory`` itself.

    A ``TypeError`` raised inside the factory is the app's bug and must propagate; one
    raised by the call (missing arguments) means the factory needs arguments.
    """
    tb = sys.exc_info()[2]
    try:
        while tb is not None:
            if tb.tb_frame.f_code is getattr(factory, "__code__", None):
                return False
            tb = tb.tb_next
        return True
    finally:
        del tb


def find_best_app(module: ModuleType) -> Any:
    """Find the app in ``module`` when no name was given, the way ``flask --app`` does."""
    for name in _APP_NAMES:
        value = getattr(module, name, None)
        if _is_app(value):
            return value
    found = [value for value in vars(module).values() if _is_app(value)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise NoAppError(
            f"Detected multiple Carafe applications in module '{module.__name__}'."
            f" Use '{module.__name__}:name' to specify the correct one."
        )
    for name in _FACTORY_NAMES:
        factory = getattr(module, name, None)
        if not inspect.isfunction(factory):
            continue
        try:
            app = factory()
        except TypeError as exc:
            if not _called_with_wrong_args(factory):
                raise
            raise NoAppError(
                f"Detected factory '{name}' in module '{module.__name__}', but could not"
                " call it without arguments. Use"
                f" '{module.__name__}:{name}(args)' to specify arguments."
            ) from exc
        if _is_app(app):
            return app
    raise NoAppError(
        f"Failed to find Carafe application or factory in module '{module.__name__}'."
        f" Use '{module.__name__}:name' to specify one."
    )


def _parse_app_name(app_name: str) -> tuple[str, list[Any], dict[str, Any]]:
    """Parse ``NAME`` or ``NAME(literal args)`` into a name and call arguments."""
    try:
        expr = ast.parse(app_name.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppError(
            f"Failed to parse {app_name!r} as an attribute name or function call."
        ) from None
    if isinstance(expr, ast.Name):
        return expr.id, [], {}
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        # SECURITY: only literals are accepted as factory arguments; nothing is evaluated.
        try:
            args = [ast.literal_eval(arg) for arg in expr.args]
            kwargs = {
                kw.arg: ast.literal_eval(kw.value) for kw in expr.keywords if kw.arg is not None
            }
        except ValueError:
            raise NoAppError(
                f"Failed to parse arguments as literal values: {app_name!r}."
            ) from None
        return expr.func.id, args, kwargs
    raise NoAppError(f"Failed to parse {app_name!r} as an attribute name or function call.")


def find_app_by_string(module: ModuleType, app_name: str) -> Any:
    """Resolve ``NAME`` (an attribute) or ``NAME(args)`` (a factory call) in ``module``."""
    name, args, kwargs = _parse_app_name(app_name)
    try:
        attr = getattr(module, name)
    except AttributeError as exc:
        raise NoAppError(f"Failed to find attribute {name!r} in {module.__name__!r}.") from exc
    if inspect.isfunction(attr):
        try:
            app = attr(*args, **kwargs)
        except TypeError as exc:
            if not _called_with_wrong_args(attr):
                raise
            raise NoAppError(
                f"The factory {app_name!r} in module {module.__name__!r} could not be"
                " called with the specified arguments."
            ) from exc
    elif args or kwargs:
        raise NoAppError(f"{name!r} in module {module.__name__!r} is not a factory function.")
    else:
        app = attr
    if _is_app(app):
        return app
    raise NoAppError(
        f"A valid Carafe application was not obtained from '{module.__name__}:{app_name}'."
    )


def locate_app(module_name: str, app_name: str | None, raise_if_not_found: bool = True) -> Any:
    """Import ``module_name`` and return the app named ``app_name`` (or the best one);
    None for a module that cannot be imported when not ``raise_if_not_found``."""
    module = _import_module(module_name, raise_if_not_found)
    if module is None:
        return None
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def load_app(spec: str) -> Any:
    """Load the app for ``MODULE[:NAME]``; ``MODULE`` may also be a ``.py`` file path."""
    path, app_name = split_app_spec(spec)
    return locate_app(prepare_import(path), app_name)


def find_import_target(app: Any) -> str | None:
    """Find the ``MODULE:NAME`` target that lets a worker import ``app`` again.

    ``app.import_name`` names the module that created the app, as in Flask; its globals
    are searched for the object. An app in ``__main__`` is found through the script path.
    Return ``None`` when the app is not a module global (made by a factory, say).
    """
    module_name = getattr(app, "import_name", None)
    module = sys.modules.get(module_name) if isinstance(module_name, str) else None
    if module is None:
        return None
    names = [name for name, value in vars(module).items() if value is app]
    if not names:
        return None
    name = next((candidate for candidate in _APP_NAMES if candidate in names), names[0])
    if module.__name__ == "__main__":
        script = getattr(module, "__file__", None)
        if script is None:
            return None
        # The worker imports the script under its own module name, so its
        # ``if __name__ == "__main__":`` block does not run again there.
        return f"{prepare_import(script)}:{name}"
    return f"{module.__name__}:{name}"

"""The app's configuration: a dict with Flask's loading helpers and defaults."""

from __future__ import annotations

import importlib
import os
import types
import weakref
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import IO, Any, Generic, TypeVar, overload

from carafe.options import CONFIG_DEFAULTS

T = TypeVar("T")

DEFAULT_CONFIG: dict[str, Any] = {
    "DEBUG": None,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": None,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "USE_X_SENDFILE": False,
    "APPLICATION_ROOT": "/",
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_PARTITIONED": False,
    "SESSION_COOKIE_SAMESITE": None,
    "SESSION_REFRESH_EACH_REQUEST": True,
    # The request limits, TRUSTED_HOSTS and SERVER_NAME, with Carafe's defaults
    # (docs/security.md).
    **CONFIG_DEFAULTS,
    "SEND_FILE_MAX_AGE_DEFAULT": None,
    "TRAP_BAD_REQUEST_ERRORS": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    "EXPLAIN_TEMPLATE_LOADING": False,
    "PREFERRED_URL_SCHEME": "http",
    "TEMPLATES_AUTO_RELOAD": None,
    "MAX_COOKIE_SIZE": 4093,
    "PROVIDE_AUTOMATIC_OPTIONS": True,
}


class ConfigAttribute(Generic[T]):
    """An attribute that reads and writes the config key ``name`` of its object's
    ``config``, as Flask's (``app.secret_key`` is ``app.config["SECRET_KEY"]``).

    :param get_converter: applied to the value read, when given.
    """

    def __init__(self, name: str, get_converter: Callable[[Any], T] | None = None) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    @overload
    def __get__(self, obj: None, owner: None) -> ConfigAttribute[T]: ...

    @overload
    def __get__(self, obj: Any, owner: Any) -> T: ...

    def __get__(self, obj: Any, owner: Any = None) -> T | ConfigAttribute[T]:
        if obj is None:
            return self
        value = obj.config[self.__name__]
        if self.get_converter is not None:
            value = self.get_converter(value)
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: Any, value: Any) -> None:
        obj.config[self.__name__] = value


def as_timedelta(value: timedelta | float) -> timedelta:
    """``value`` as a timedelta: seconds when a number, as Flask reads its durations."""
    if isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


def weak_callback(method: Callable[[], None]) -> Callable[[], None]:
    """A callable that calls the bound ``method`` while its object lives, without
    keeping it alive (an app's config must not hold the app in a reference cycle)."""
    ref = weakref.WeakMethod(method)

    def call() -> None:
        bound = ref()
        if bound is not None:
            bound()

    return call


class Config(dict[str, Any]):
    """A dict of settings, filled from objects, files, mappings or the environment.

    Only upper-case keys are taken from objects and files, as in Flask.
    """

    def __init__(
        self, root_path: str | os.PathLike[str] = ".", defaults: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(defaults or {})
        self.root_path = os.fspath(root_path)
        #: Called after every change: the app keeps what it derives from its config
        #: (its request options) in step with it.
        self.on_change: Callable[[], None] | None = None

    # The dict's writes, each followed by ``on_change``.
    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed()

    def __ior__(self, other: Any) -> Config:  # type: ignore[override,misc]
        super().__ior__(other)
        self._changed()
        return self

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def setdefault(self, key: str, default: Any = None) -> Any:
        value = super().setdefault(key, default)
        self._changed()
        return value

    def pop(self, key: str, *default: Any) -> Any:
        value = super().pop(key, *default)
        self._changed()
        return value

    def popitem(self) -> tuple[str, Any]:
        item = super().popitem()
        self._changed()
        return item

    def clear(self) -> None:
        super().clear()
        self._changed()

    def _changed(self) -> None:
        on_change = self.on_change
        if on_change is not None:
            on_change()

    def from_object(self, obj: object | str) -> None:
        """Take the upper-case attributes of ``obj`` (an object or an import path)."""
        if isinstance(obj, str):
            module_name, _, attribute = obj.rpartition(":") if ":" in obj else obj.rpartition(".")
            if module_name:
                obj = getattr(importlib.import_module(module_name), attribute)
            else:
                obj = importlib.import_module(attribute)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_mapping(
        self,
        mapping: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        **kwargs: Any,
    ) -> bool:
        """Take the upper-case keys of ``mapping`` (or of ``(key, value)`` pairs) and
        ``kwargs``."""
        items: dict[str, Any] = dict(mapping or {})
        items.update(kwargs)
        for key, value in items.items():
            if key.isupper():
                self[key] = value
        return True

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Execute a Python file and take its upper-case names."""
        path = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = path
        try:
            with open(path, "rb") as config_file:
                exec(compile(config_file.read(), path, "exec"), module.__dict__)  # noqa: S102
        except OSError as exc:
            if silent:
                return False
            exc.strerror = f"Unable to load configuration file ({exc.strerror})"
            raise
        self.from_object(module)
        return True

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: Callable[[IO[Any]], Mapping[str, Any]] | None = None,
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a file with ``load`` (``json.load`` by default) and take its upper-case keys."""
        if load is None:
            import json

            load = json.load
        path = os.path.join(self.root_path, filename)
        try:
            with open(path, "r" if text else "rb") as config_file:
                data = load(config_file)
        except OSError as exc:
            if silent:
                return False
            exc.strerror = f"Unable to load configuration file ({exc.strerror})"
            raise
        return self.from_mapping(data)

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file named by the environment variable ``variable_name``."""
        path = os.environ.get(variable_name)
        if not path:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set and as such"
                " configuration could not be loaded. Set this variable and make it"
                " point to a configuration file"
            )
        return self.from_pyfile(path, silent=silent)

    def from_prefixed_env(
        self, prefix: str = "FLASK", *, loads: Callable[[str], Any] | None = None
    ) -> bool:
        """Take ``PREFIX_KEY`` environment variables, values parsed as JSON when they can be;
        ``__`` in a key descends into nested dicts."""
        if loads is None:
            import json

            loads = json.loads
        start = f"{prefix}_"
        for name in sorted(os.environ):
            if not name.startswith(start):
                continue
            raw = os.environ[name]
            try:
                value: Any = loads(raw)
            except Exception:
                value = raw
            key = name[len(start) :]
            if "__" not in key:
                self[key] = value
                continue
            current: dict[str, Any] = self
            *parents, tail = key.split("__")
            for parent in parents:
                current = current.setdefault(parent, {})
            current[tail] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, Any]:
        """The settings whose keys start with ``namespace``, e.g. ``"IMAGE_STORE_"``."""
        found: dict[str, Any] = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            name = key[len(namespace) :] if trim_namespace else key
            found[name.lower() if lowercase else name] = value
        return found

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"

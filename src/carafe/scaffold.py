"""What an app or a blueprint registers: views and their routes, request hooks, URL
processors and error handlers, as Flask's ``Scaffold`` holds them.

Each registry is keyed by scope, None for the registering object itself, as Flask
keys them: a blueprint's own hooks go under None in the blueprint, and under its
(dotted) name in the app it is registered on. The app freezes its registries into
its plan at the first request.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any, TypeVar

from carafe.exceptions import default_exceptions
from carafe.interop import carafe_twin, is_http_exception_class

if TYPE_CHECKING:
    from jinja2 import BaseLoader

    from carafe.response import Response

F = TypeVar("F", bound=Callable[..., Any])
ErrorHandler = Callable[[Any], Any]


class Scaffold:
    """The registries and the decorators that fill them."""

    def __init__(self) -> None:
        # defaultdicts, as Flask's: extensions append to ``registry[None]`` directly.
        self.view_functions: dict[str, Callable[..., Any]] = {}
        self.error_handler_spec: defaultdict[
            str | None, defaultdict[int | None, dict[type[BaseException], ErrorHandler]]
        ] = defaultdict(_handlers_by_code)
        self.before_request_funcs: defaultdict[str | None, list[Callable[[], Any]]] = defaultdict(
            list
        )
        self.after_request_funcs: defaultdict[str | None, list[Callable[[Response], Any]]] = (
            defaultdict(list)
        )
        self.teardown_request_funcs: defaultdict[
            str | None, list[Callable[[BaseException | None], Any]]
        ] = defaultdict(list)
        #: ``url_value_preprocessor`` functions: ``func(endpoint, view_args)``.
        self.url_value_preprocessors: defaultdict[
            str | None, list[Callable[[str | None, dict[str, Any] | None], None]]
        ] = defaultdict(list)
        #: ``url_defaults`` functions: ``func(endpoint, values)``, for ``url_for``.
        self.url_default_functions: defaultdict[
            str | None, list[Callable[[str, dict[str, Any]], None]]
        ] = defaultdict(list)
        #: ``context_processor`` functions: each returns a dict for templates.
        self.template_context_processors: defaultdict[
            str | None, list[Callable[[], dict[str, Any]]]
        ] = defaultdict(list)

    root_path: str
    template_folder: str | os.PathLike[str] | None

    @cached_property
    def jinja_loader(self) -> BaseLoader | None:
        """The Jinja loader of :attr:`template_folder` (relative to :attr:`root_path`),
        or None without one; made on first use (jinja2 loads then)."""
        if self.template_folder is None:
            return None
        from jinja2 import FileSystemLoader

        return FileSystemLoader(os.path.join(self.root_path, self.template_folder))

    # -- static files -----------------------------------------------------------

    _static_folder: str | None = None
    _static_url_path: str | None = None

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the static folder (its setting is relative to
        :attr:`root_path`), or None for none."""
        if self._static_folder is None:
            return None
        return os.path.join(self.root_path, self._static_folder)

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        self._static_folder = None if value is None else os.fspath(value).rstrip("\\/")

    @property
    def has_static_folder(self) -> bool:
        """True when a static folder is set (whether or not it exists)."""
        return self._static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """The URL path static files are served under: as set, or ``/`` and the static
        folder's name."""
        if self._static_url_path is not None:
            return self._static_url_path
        folder = self.static_folder
        if folder is None:
            return None
        return f"/{os.path.basename(folder)}".rstrip("/")

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        self._static_url_path = None if value is None else value.rstrip("/")

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """Seconds browsers may cache ``filename`` (from ``send_file`` or the static
        route): ``SEND_FILE_MAX_AGE_DEFAULT`` (None: revalidate each time).
        Override it to vary by file."""
        from carafe.globals import current_app

        value = current_app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return int(value)

    def send_static_file(self, filename: str) -> Response:
        """The static route's view: ``filename`` from :attr:`static_folder`."""
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        from carafe.files import send_from_directory

        folder = self.static_folder
        assert folder is not None
        return send_from_directory(folder, filename, max_age=self.get_send_file_max_age(filename))

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> IO[Any]:
        """Open ``resource``, a path relative to :attr:`root_path`, for reading
        (``"rb"``, or ``"r"``/``"rt"`` with ``encoding``)."""
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    def _check_setup_finished(self, method: str) -> None:
        """Raise if registering through ``method`` is no longer allowed."""
        raise NotImplementedError

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Register a URL rule, as :meth:`route` does without the decorator."""
        raise NotImplementedError

    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Decorate a view function to register it for ``rule``.

        :param methods: the HTTP methods it answers (``GET`` by default; ``HEAD``
            and ``OPTIONS`` are added automatically).
        :param endpoint: the name ``url_for`` knows it by (the function's name).
        :param defaults: view arguments for rules that lack them.
        :param strict_slashes: redirect ``/foo`` to ``/foo/`` for rules ending in a slash.
        """

        self._check_setup_finished("route")

        def decorator(func: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, func, **options)
            return func

        return decorator

    def _method_route(self, method: str, rule: str, options: dict[str, Any]) -> Callable[[F], F]:
        self._check_setup_finished(method.lower())
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    def delete(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    def patch(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Decorate a function as the view of ``endpoint`` (for ``add_url_rule`` without one)."""

        self._check_setup_finished("endpoint")

        def decorator(func: F) -> F:
            self.view_functions[endpoint] = func
            return func

        return decorator

    def before_request(self, func: F) -> F:
        """Run ``func()`` before each request; a non-None return value is the response."""
        self._check_setup_finished("before_request")
        self.before_request_funcs[None].append(func)
        return func

    def after_request(self, func: F) -> F:
        """Run ``func(response)`` after each request; it returns the response to send."""
        self._check_setup_finished("after_request")
        self.after_request_funcs[None].append(func)
        return func

    def teardown_request(self, func: F) -> F:
        """Run ``func(error)`` when the request context is popped, even after errors."""
        self._check_setup_finished("teardown_request")
        self.teardown_request_funcs[None].append(func)
        return func

    def url_value_preprocessor(self, func: F) -> F:
        """Run ``func(endpoint, view_args)`` before the ``before_request`` hooks; it
        may take values out of ``view_args`` before the view gets them."""
        self._check_setup_finished("url_value_preprocessor")
        self.url_value_preprocessors[None].append(func)
        return func

    def url_defaults(self, func: F) -> F:
        """Run ``func(endpoint, values)`` when ``url_for`` builds a URL; it may add
        values in place."""
        self._check_setup_finished("url_defaults")
        self.url_default_functions[None].append(func)
        return func

    def context_processor(self, func: F) -> F:
        """Register ``func()``, which returns a dict of values for templates."""
        self._check_setup_finished("context_processor")
        self.template_context_processors[None].append(func)
        return func

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: type[BaseException] | int,
    ) -> tuple[type[BaseException], int | None]:
        if isinstance(exc_class_or_code, int):
            try:
                exc_class: type[BaseException] = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP error code. Use a"
                    " subclass of HTTPException with that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, BaseException):
            raise TypeError(
                f"{exc_class!r} is an instance, not a class. Handlers can only be"
                " registered for Exception classes or HTTP error codes."
            )
        if not isinstance(exc_class, type) or not issubclass(exc_class, Exception):
            raise ValueError(
                f"'{getattr(exc_class, '__name__', exc_class)}' is not a subclass of"
                " Exception. Handlers can only be registered for Exception classes or"
                " HTTP error codes."
            )
        # A class of werkzeug.exceptions stands for Carafe's of the same name.
        exc_class = carafe_twin(exc_class) or exc_class
        if is_http_exception_class(exc_class):
            return exc_class, getattr(exc_class, "code", None)
        return exc_class, None

    def register_error_handler(
        self, code_or_exception: type[BaseException] | int, func: ErrorHandler
    ) -> None:
        """Handle an HTTP error code or an exception class with ``func(error)``."""
        self._check_setup_finished("register_error_handler")
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = func

    def errorhandler(self, code_or_exception: type[BaseException] | int) -> Callable[[F], F]:
        """Decorate ``func(error)`` as the handler of an HTTP code or exception class."""
        self._check_setup_finished("errorhandler")

        def decorator(func: F) -> F:
            self.register_error_handler(code_or_exception, func)
            return func

        return decorator


def _handlers_by_code() -> defaultdict[int | None, dict[type[BaseException], ErrorHandler]]:
    return defaultdict(dict)


def find_root_path(import_name: str) -> str:
    """The folder of the module ``import_name``, imported or not (the working
    directory when it has none: ``__main__`` in a REPL, a namespace package)."""
    module = sys.modules.get(import_name)
    module_file = getattr(module, "__file__", None)
    if module_file:
        return os.path.dirname(os.path.abspath(str(module_file)))
    import importlib.util  # Start-up: only for a module not imported yet.

    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin in (None, "namespace", "built-in", "frozen"):
        return os.getcwd()
    return os.path.dirname(os.path.abspath(str(spec.origin)))


def _package_path(import_name: str) -> str:
    """The folder that holds the top-level package (or module) of ``import_name``:
    where ``instance`` goes beside it. The working directory when it cannot be found
    (``__main__``, an unimported name)."""
    # Start-up: loaded when an app is made, not with carafe.
    import importlib.util
    import pathlib

    top = import_name.partition(".")[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return os.getcwd()
    locations = spec.submodule_search_locations
    if not locations:
        return os.path.dirname(str(spec.origin))  # a module: its folder
    if spec.origin not in (None, "namespace"):
        return os.path.dirname(os.path.dirname(spec.origin))  # a package: its parent
    # A namespace package: the portion that holds import_name, else the first one.
    found = importlib.util.find_spec(import_name)
    if found is not None and found.submodule_search_locations:
        inner = pathlib.Path(os.path.commonpath(list(found.submodule_search_locations)))
        for location in locations:
            if inner.is_relative_to(location):
                return os.path.dirname(location)
    return os.path.dirname(next(iter(locations)))


def find_package(import_name: str) -> tuple[str | None, str]:
    """``(prefix, package_path)`` for ``import_name``: the installation prefix when the
    package is installed (under ``sys.prefix`` or a ``site-packages`` folder), else
    None; and the folder holding it."""
    import pathlib

    package_path = _package_path(import_name)
    prefix = os.path.abspath(sys.prefix)
    if pathlib.PurePath(package_path).is_relative_to(prefix):
        return prefix, package_path
    site_parent, site_folder = os.path.split(package_path)
    if site_folder.lower() == "site-packages":
        parent, folder = os.path.split(site_parent)
        if folder.lower() == "lib":
            return parent, package_path  # <prefix>/lib/site-packages
        if os.path.basename(parent).lower() == "lib":
            return os.path.dirname(parent), package_path  # <prefix>/lib/pythonX.Y/...
        return site_parent, package_path
    return None, package_path

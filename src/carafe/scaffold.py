"""What an app (and, with issue 13, a blueprint) registers: views and their routes,
request hooks and error handlers, as Flask's ``Scaffold`` holds them.

Each registry is keyed by scope, None for the app itself (a blueprint's name for its
own), as Flask keys them; the app freezes them into its plan at the first request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from carafe.exceptions import HTTPException, default_exceptions

if TYPE_CHECKING:
    from carafe.response import Response

F = TypeVar("F", bound=Callable[..., Any])
ErrorHandler = Callable[[Any], Any]


class Scaffold:
    """The registries and the decorators that fill them."""

    def __init__(self) -> None:
        self.view_functions: dict[str, Callable[..., Any]] = {}
        self.error_handler_spec: dict[
            str | None, dict[int | None, dict[type[BaseException], ErrorHandler]]
        ] = {None: {}}
        self.before_request_funcs: dict[str | None, list[Callable[[], Any]]] = {}
        self.after_request_funcs: dict[str | None, list[Callable[[Response], Any]]] = {}
        self.teardown_request_funcs: dict[
            str | None, list[Callable[[BaseException | None], Any]]
        ] = {}

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
        self.before_request_funcs.setdefault(None, []).append(func)
        return func

    def after_request(self, func: F) -> F:
        """Run ``func(response)`` after each request; it returns the response to send."""
        self._check_setup_finished("after_request")
        self.after_request_funcs.setdefault(None, []).append(func)
        return func

    def teardown_request(self, func: F) -> F:
        """Run ``func(error)`` when the request context is popped, even after errors."""
        self._check_setup_finished("teardown_request")
        self.teardown_request_funcs.setdefault(None, []).append(func)
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
        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None

    def register_error_handler(
        self, code_or_exception: type[BaseException] | int, func: ErrorHandler
    ) -> None:
        """Handle an HTTP error code or an exception class with ``func(error)``."""
        self._check_setup_finished("register_error_handler")
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None].setdefault(code, {})[exc_class] = func

    def errorhandler(self, code_or_exception: type[BaseException] | int) -> Callable[[F], F]:
        """Decorate ``func(error)`` as the handler of an HTTP code or exception class."""
        self._check_setup_finished("errorhandler")

        def decorator(func: F) -> F:
            self.register_error_handler(code_or_exception, func)
            return func

        return decorator

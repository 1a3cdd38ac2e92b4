"""The plan: what the request pipeline needs of an app, frozen when the app is finalized.

The pipeline (:mod:`carafe.pipeline`) reads a :class:`Plan`, never the app's
private attributes: the hooks of each phase in the order they run, the view
functions, the error-handler lookup, the response conversion, and which of
Flask's pipeline methods the app's class overrides. The app builds its plan at
the first request (``Flask._finalize``); registering anything after that is an
error, as in Flask, so the plan never goes stale.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from carafe.http.caches import remember
from carafe.interop import carafe_twin, is_http_exception
from carafe.request_head import blueprint_path
from carafe.runner import is_coroutine_function, run_coroutine

if TYPE_CHECKING:
    from carafe.app import Flask
    from carafe.ctx import AppContext, RequestContext
    from carafe.request_head import RequestHead
    from carafe.response import Response

ErrorHandler = Callable[[Any], Any]

#: The error-handler lookups a scope keeps (per exception class and code; bounded,
#: as classes may be made at run time).
_ERROR_HANDLER_CACHE_MAX = 256

#: Flask's names for the pipeline's steps: an app class that overrides one of them gets
#: its override called by the pipeline (through :attr:`Plan.sync_steps`).
STEP_METHODS = {
    "full_dispatch_request": "full_dispatch",
    "preprocess_request": "preprocess",
    "dispatch_request": "dispatch",
    "finalize_request": "finalize",
    "process_response": "process_response",
    "handle_user_exception": "handle_user_exception",
    "handle_http_exception": "handle_http_exception",
    "handle_exception": "handle_exception",
    "do_teardown_request": "teardown_request",
    "do_teardown_appcontext": "teardown_appcontext",
}


class Steps:
    """The steps the pipeline calls one another through: its own functions, or, for
    a step whose Flask method the app's class overrides, a call of that method."""

    __slots__ = tuple(STEP_METHODS.values())

    full_dispatch: Callable[..., Response]
    preprocess: Callable[..., Any]
    dispatch: Callable[..., Any]
    finalize: Callable[..., Response]
    process_response: Callable[..., Response]
    handle_user_exception: Callable[..., Any]
    handle_http_exception: Callable[..., Any]
    handle_exception: Callable[..., Response]
    teardown_request: Callable[..., None]
    teardown_appcontext: Callable[..., None]

    def __init__(self, **steps: Callable[..., Any]) -> None:
        for name, step in steps.items():
            setattr(self, name, step)


class Scope:
    """The hooks and error handlers for the requests of one blueprint (with the
    blueprints it is nested in, and the app), or of the app alone.

    :param app: the app, whose registries are read (once, here).
    :param blueprints: the blueprint's dotted name and its parents' (``("a.b",
        "a")``), as ``request.blueprints`` gives them; empty for the app alone.
    """

    __slots__ = (
        "_error_handlers",
        "after",
        "before",
        "blueprints",
        "names",
        "spec",
        "teardown",
        "url_value_preprocessors",
    )

    def __init__(self, app: Flask, blueprints: tuple[str, ...]) -> None:
        self.blueprints = blueprints
        #: The scopes whose registrations apply, innermost first, None (the app) last.
        self.names: tuple[str | None, ...] = (*blueprints, None)
        outer_first = self.names[::-1]
        #: ``url_value_preprocessor`` functions, the app's first, in registration order.
        self.url_value_preprocessors = _chain(app.url_value_preprocessors, outer_first)
        #: ``before_request`` hooks, the app's first, in registration order.
        self.before: tuple[Callable[[], Any], ...] = _chain(app.before_request_funcs, outer_first)
        #: ``after_request`` hooks, the innermost blueprint's first, last registered first.
        self.after: tuple[Callable[[Response], Any], ...] = _chain(
            app.after_request_funcs, self.names, True
        )
        #: ``teardown_request`` functions, in the same order as :attr:`after`.
        self.teardown: tuple[Callable[[BaseException | None], Any], ...] = _chain(
            app.teardown_request_funcs, self.names, True
        )
        self.spec = app.error_handler_spec
        self._error_handlers: dict[
            tuple[type[BaseException], int | None], ErrorHandler | None
        ] = {}

    def find_error_handler(self, error: BaseException) -> ErrorHandler | None:
        """The handler for ``error`` in this scope, in Flask's order (code first)."""
        key = (type(error), getattr(error, "code", None))
        cache = self._error_handlers
        if key in cache:
            return cache[key]
        # PERF: the search is the same for every error of a class and code: it runs
        # once each (bounded, as classes may be made at run time).
        found = find_error_handler(self.spec, error, self.names)
        return remember(cache, key, found, _ERROR_HANDLER_CACHE_MAX)


def _chain(
    registry: Mapping[str | None, list[Any]],
    names: tuple[str | None, ...],
    backwards: bool = False,
) -> tuple[Any, ...]:
    """The functions ``registry`` holds for ``names``, scope by scope; each scope's
    last registered first when ``backwards``."""
    chained: list[Any] = []
    for name in names:
        funcs = registry.get(name)
        if funcs:
            chained.extend(funcs[::-1] if backwards else funcs)
    return tuple(chained)


class Plan:
    """What the pipeline runs for an app's requests.

    :param app: the app (for what user code may change at any time: ``config``,
        ``debug``, ``testing``, and the logger).
    """

    __slots__ = (
        "always_finalize",
        "always_tear_down",
        "app",
        "async_endpoints",
        "custom_full_dispatch",
        "custom_steps",
        "dispatch_routing_errors",
        "log_exception",
        "make_default_options_response",
        "make_response",
        "overrides",
        "plain_make_response",
        "response_class",
        "run_preprocess",
        "scope",
        "scopes",
        "session_check",
        "session_custom",
        "sync_steps",
        "teardown_appcontext_funcs",
        "trap_http_exception",
        "views",
    )

    def __init__(
        self,
        app: Flask,
        *,
        teardown_appcontext_funcs: list[Callable[[BaseException | None], Any]],
        views: Mapping[str, Callable[..., Any]],
        overrides: frozenset[str],
        sync_steps: Steps,
        session_custom: bool = False,
        session_check: bool = False,
    ) -> None:
        self.app = app
        #: The hooks and error handlers of requests outside any blueprint.
        self.scope = Scope(app, ())
        #: Those of each blueprint's requests, by the blueprint's dotted name: every
        #: name a registry, a registered blueprint or an endpoint of the URL map has.
        self.scopes = {
            name: Scope(app, blueprint_path(name)) for name in sorted(_blueprint_names(app))
        }
        scopes = (self.scope, *self.scopes.values())
        #: ``teardown_appcontext`` functions (the app's own list: Flask runs them
        #: reversed, and an app context may be popped outside any request).
        self.teardown_appcontext_funcs = teardown_appcontext_funcs
        self.views = views
        #: The names of Flask's pipeline methods the app's class overrides.
        self.overrides = overrides
        #: True when one of them is a step: only the synchronous pipeline calls those
        #: overrides, so the ASGI edge runs every request in its thread pool.
        self.custom_steps = not overrides.isdisjoint(STEP_METHODS)
        #: Endpoints whose view is ``async def``: the ASGI edge runs them on the loop
        #: (none when :attr:`custom_steps`: the synchronous overrides run them).
        self.async_endpoints = (
            frozenset()
            if self.custom_steps
            else frozenset(name for name, view in views.items() if is_coroutine_function(view))
        )
        #: The steps the synchronous pipeline calls one another through.
        self.sync_steps = sync_steps
        self.response_class = app.response_class
        # Bound methods: an override of any of them is what the pipeline calls.
        self.make_response = app.make_response
        self.make_default_options_response = app.make_default_options_response
        self.log_exception = app.log_exception
        self.trap_http_exception = app.trap_http_exception
        # PERF: what the steps would ask of ``overrides`` on every request, asked once.
        #: ``make_response(rv)`` may take a shortcut for a text body or a finished
        #: response (the helper, ``carafe.helpers.make_response``): no override.
        self.plain_make_response = "make_response" not in overrides
        #: An override of ``full_dispatch_request`` replaces the dispatching step.
        self.custom_full_dispatch = "full_dispatch_request" in overrides
        #: ``before_request`` hooks or URL value preprocessors to run (or an override
        #: of ``preprocess_request``).
        self.run_preprocess = (
            any(scope.before or scope.url_value_preprocessors for scope in scopes)
            or "preprocess_request" in overrides
        )
        #: An overridden ``dispatch_request`` is called for a routing error too, as in
        #: Flask; otherwise the error goes to its handler without being raised.
        self.dispatch_routing_errors = "dispatch_request" in overrides
        #: The app's session interface is not the default one: its session is
        #: opened and saved on every request, as Flask does (the default one's only
        #: when read, or to refresh a permanent session's cookie).
        self.session_custom = session_custom
        #: At a request's end, see whether its unread session must be opened and
        #: saved all the same (a custom interface, or signed cookies with a key).
        self.session_check = session_check
        #: ``after_request`` hooks (or an override) to run on every response.
        self.always_finalize = any(scope.after for scope in scopes) or bool(
            overrides & {"finalize_request", "process_response"}
        )
        #: Teardown work at every request's end, whatever the request did.
        self.always_tear_down = (
            any(scope.teardown for scope in scopes)
            or bool(teardown_appcontext_funcs)
            or bool(overrides & {"do_teardown_request", "do_teardown_appcontext"})
        )

    def scope_for(self, request: RequestHead) -> Scope:
        """The scope of ``request``: its blueprint's (from the matched endpoint, as
        ``request.blueprint``), or the app's."""
        rule = request.url_rule
        if rule is not None and self.scopes:
            scope = self.scopes.get(rule.endpoint.rpartition(".")[0])
            if scope is not None:
                return scope
        return self.scope


def _blueprint_names(app: Flask) -> set[str]:
    names = set(app.blueprints)
    for registry in (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        app.url_value_preprocessors,
        app.error_handler_spec,
    ):
        names.update(name for name in registry if name is not None)
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if blueprint:
            names.add(blueprint)
    return names


def find_error_handler(
    spec: Mapping[str | None, Mapping[int | None, Mapping[type[BaseException], ErrorHandler]]],
    error: BaseException,
    names: tuple[str | None, ...],
) -> ErrorHandler | None:
    """The handler for ``error`` among the scopes ``names`` (innermost blueprint
    first, None for the app last), in Flask's order: by the error's code in each
    scope, then by its class hierarchy in each scope."""
    exc_class = type(error)
    code = getattr(error, "code", None) if is_http_exception(error) else None
    # A Werkzeug class in the hierarchy also finds the handler of Carafe's twin.
    classes = [twin for cls in exc_class.__mro__ for twin in (cls, carafe_twin(cls)) if twin]
    for handler_code in (code, None) if code is not None else (None,):
        for name in names:
            by_code = spec.get(name)
            by_class = by_code.get(handler_code) if by_code else None
            if not by_class:
                continue
            for cls in classes:
                handler = by_class.get(cls)
                if handler is not None:
                    return handler
    return None


def settle(ctx: AppContext | RequestContext | None, value: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine from user code to its end, as the request context says (the
    synchronous pipeline's ``await``); outside a request, on this thread's loop.

    :raises RuntimeError: on the event loop, where it must be awaited instead.
    """
    run = getattr(ctx, "run_coroutine", run_coroutine)
    if run is None:
        value.close()
        raise RuntimeError("An async handler must be awaited on the event loop.")
    return run(value)

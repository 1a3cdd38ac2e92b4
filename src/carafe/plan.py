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

from carafe.runner import is_coroutine_function, run_coroutine

if TYPE_CHECKING:
    from carafe.app import Flask
    from carafe.ctx import AppContext, RequestContext
    from carafe.response import Response

ErrorHandler = Callable[[Any], Any]

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


class Plan:
    """What the pipeline runs for an app's requests.

    :param app: the app (for what user code may change at any time: ``config``,
        ``debug``, ``testing``, and the logger).
    """

    __slots__ = (
        "after",
        "always_finalize",
        "always_tear_down",
        "app",
        "async_endpoints",
        "before",
        "custom_full_dispatch",
        "custom_steps",
        "dispatch_routing_errors",
        "find_error_handler",
        "log_exception",
        "make_default_options_response",
        "make_response",
        "overrides",
        "plain_make_response",
        "response_class",
        "run_preprocess",
        "sync_steps",
        "teardown",
        "teardown_appcontext_funcs",
        "trap_http_exception",
        "views",
    )

    def __init__(
        self,
        app: Flask,
        *,
        before: tuple[Callable[[], Any], ...],
        after: tuple[Callable[[Response], Any], ...],
        teardown: tuple[Callable[[BaseException | None], Any], ...],
        teardown_appcontext_funcs: list[Callable[[BaseException | None], Any]],
        views: Mapping[str, Callable[..., Any]],
        overrides: frozenset[str],
        sync_steps: Steps,
    ) -> None:
        self.app = app
        #: ``before_request`` hooks, in registration order.
        self.before = before
        #: ``after_request`` hooks, last registered first.
        self.after = after
        #: ``teardown_request`` functions, last registered first.
        self.teardown = teardown
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
        self.find_error_handler: Callable[[BaseException], ErrorHandler | None] = (
            app._find_error_handler
        )
        # PERF: what the steps would ask of ``overrides`` on every request, asked once.
        #: ``make_response(rv)`` may take a shortcut for a text body or a finished
        #: response (the helper, ``carafe.helpers.make_response``): no override.
        self.plain_make_response = "make_response" not in overrides
        #: An override of ``full_dispatch_request`` replaces the dispatching step.
        self.custom_full_dispatch = "full_dispatch_request" in overrides
        #: ``before_request`` hooks to run (or an override of ``preprocess_request``).
        self.run_preprocess = bool(before) or "preprocess_request" in overrides
        #: An overridden ``dispatch_request`` is called for a routing error too, as in
        #: Flask; otherwise the error goes to its handler without being raised.
        self.dispatch_routing_errors = "dispatch_request" in overrides
        #: ``after_request`` hooks (or an override) to run on every response.
        self.always_finalize = bool(after) or bool(
            overrides & {"finalize_request", "process_response"}
        )
        #: Teardown work at every request's end, whatever the request did.
        self.always_tear_down = (
            bool(teardown)
            or bool(teardown_appcontext_funcs)
            or bool(overrides & {"do_teardown_request", "do_teardown_appcontext"})
        )


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

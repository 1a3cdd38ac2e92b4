"""The request pipeline: hooks, the view, error handling, teardown, written once.

The pipeline is ``async def`` so it can await ``async def`` views and hooks on
an event loop (ASGI), yet it runs synchronously too: when every function it
calls is a plain one, the coroutine never suspends, and :func:`drive` runs it
to completion with a single ``send``. Where the pipeline meets a coroutine
from user code, the request context says how to run it:

- ``ctx.run_coroutine is None``: await it (ASGI, on the event loop);
- otherwise ``ctx.run_coroutine(coroutine)`` runs it to completion from
  synchronous code (WSGI: on the thread's own loop; ASGI worker thread: on the
  server's event loop).

Flask's order is kept: route, ``before_request`` hooks, the view, error
handlers, ``after_this_request`` functions, ``after_request`` hooks (last
registered first), then ``teardown_request`` and ``teardown_appcontext``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from types import CoroutineType
from typing import TYPE_CHECKING, Any, TypeVar

from carafe.ctx import _cv_ctx
from carafe.exceptions import BadRequestKeyError, HTTPException, InternalServerError
from carafe.routing import RequestRedirect

if TYPE_CHECKING:
    from carafe.app import Flask
    from carafe.ctx import RequestContext
    from carafe.response import Response

T = TypeVar("T")


def drive(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a pipeline coroutine that does not suspend, and return its result.

    :raises RuntimeError: if it suspends (it awaited something that needs an
        event loop, which the request context should have prevented).
    """
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("The request pipeline suspended outside an event loop.")


async def invoke(ctx: RequestContext, func: Callable[..., Any], *args: Any) -> Any:
    """Call a hook or handler; a coroutine it returns is run as the context says."""
    result = func(*args)
    if type(result) is CoroutineType:
        run = ctx.run_coroutine
        return await result if run is None else run(result)
    return result


async def handle(app: Flask, ctx: RequestContext) -> Response:
    """Push the context, dispatch, answer errors, tear down: one whole request.

    Dispatching is the ``before_request`` hooks, the view and error handlers,
    with the result as a finished response. The context is popped before the
    body is sent, as in Flask (a streamed body runs outside the request
    context). :func:`handle_sync` and :func:`full_dispatch_sync` are the same
    steps for requests that never need the event loop; keep them in step.
    """
    error: BaseException | None = None
    ctx.push()
    try:
        try:
            # PERF: dispatching happens in this coroutine, not in one of its own.
            failure: Exception | None = None
            rv = None
            try:
                if app._before_hooks:
                    rv = await preprocess(app, ctx)
                if rv is None:
                    request = ctx.request
                    # PERF: a 404 or 405 goes to its handler without being raised.
                    failure = request.routing_exception
                    if failure is None:
                        # PERF: call_view() inline, and the view called without a
                        # coroutine of its own.
                        rule = request.url_rule
                        assert rule is not None
                        if request.method == "OPTIONS" and rule.provide_automatic_options:
                            rv = app.make_default_options_response()
                        else:
                            view = app.view_functions[rule.endpoint]
                            view_args = request.view_args
                            rv = view(**view_args) if view_args else view()
                            if rv.__class__ is CoroutineType:
                                run = ctx.run_coroutine
                                rv = await rv if run is None else run(rv)
            except Exception as exc:
                failure = exc
            if failure is not None:
                # Outside that try, as in Flask: what a handler raises is not
                # handled again.
                rv = handle_user_exception(app, ctx, failure)
                if type(rv) is CoroutineType:
                    run = ctx.run_coroutine
                    rv = await rv if run is None else run(rv)
            if not (ctx._after_request_functions or app._after_hooks):
                # PERF: nothing to run after the view: no finalize coroutine, and a
                # finished response needs no make_response call (unless a subclass
                # has its own).
                if rv.__class__ is app.response_class and app._plain_make_response:
                    return rv
                return app.make_response(rv)
            return await finalize(app, ctx, rv)
        except Exception as exc:
            error = exc
            return await handle_exception(app, ctx, exc)
        except BaseException as exc:
            error = exc
            raise
    finally:
        ending = leave(app, ctx, error)
        if ending is not None:
            await ending


def handle_sync(app: Flask, ctx: RequestContext) -> Response:
    """:func:`handle` for a request whose coroutines are run by ``ctx.run_coroutine``
    (WSGI, and ASGI requests in the thread pool).

    PERF: the common steps run as plain calls, without the coroutine frames and
    the StopIteration of driving :func:`handle` (0.4 µs of a 3.4 µs request);
    the rare ones (hooks, errors, teardown) are the async functions, driven.
    """
    error: BaseException | None = None
    ctx.push()
    try:
        try:
            return full_dispatch_sync(app, ctx)
        except Exception as exc:
            error = exc
            return drive(handle_exception(app, ctx, exc))
        except BaseException as exc:
            error = exc
            raise
    finally:
        ending = leave(app, ctx, error)
        if ending is not None:
            drive(ending)


def leave(
    app: Flask, ctx: RequestContext, error: BaseException | None
) -> Coroutine[Any, Any, None] | None:
    """End a request's context: the teardown to run (a coroutine), or None when
    there is nothing to run and the context is already restored."""
    keep = ctx._preserve_in
    if keep is not None:
        # The test client keeps the context for ``with client:``; it pops it.
        keep["carafe.preserved_context"] = (ctx, error)
        return None
    if app._teardown_hooks or app.teardown_appcontext_funcs or ctx.request._files:
        return teardown(app, ctx, error)
    # PERF: nothing to run or close: just restore the previous context (ctx._reset()
    # without the call).
    _cv_ctx.reset(ctx._tokens.pop())
    return None


async def teardown(app: Flask, ctx: RequestContext, error: BaseException | None) -> None:
    """Run the teardown functions, close the request and pop the context."""
    try:
        if app._teardown_hooks:
            await teardown_request(app, ctx, error)
        ctx.request.close()
    finally:
        try:
            if ctx._owns_app_context() and app.teardown_appcontext_funcs:
                for func in reversed(app.teardown_appcontext_funcs):
                    await invoke(ctx, func, error)
        finally:
            ctx._reset()


def full_dispatch_sync(app: Flask, ctx: RequestContext) -> Response:
    """The dispatching steps of :func:`handle` as plain calls (Flask's
    ``full_dispatch_request``).

    A coroutine from user code is run by ``ctx.run_coroutine``; on the event
    loop, where there is none, it must finish without suspending.
    """
    error: Exception | None = None
    rv = None
    try:
        if app._before_hooks:
            rv = drive(preprocess(app, ctx))
        if rv is None:
            request = ctx.request
            error = request.routing_exception
            if error is None:
                # PERF: call_view() inline: the most common path of all.
                rule = request.url_rule
                assert rule is not None
                if request.method == "OPTIONS" and rule.provide_automatic_options:
                    rv = app.make_default_options_response()
                else:
                    view = app.view_functions[rule.endpoint]
                    view_args = request.view_args
                    rv = view(**view_args) if view_args else view()
                    if rv.__class__ is CoroutineType:
                        rv = (ctx.run_coroutine or drive)(rv)
    except Exception as exc:
        error = exc
    if error is not None:
        rv = handle_user_exception(app, ctx, error)
        if rv.__class__ is CoroutineType:
            rv = (ctx.run_coroutine or drive)(rv)
    if not (ctx._after_request_functions or app._after_hooks):
        # PERF: a view's finished response needs no make_response call (unless a
        # subclass has its own make_response).
        if rv.__class__ is app.response_class and app._plain_make_response:
            return rv
        return app.make_response(rv)
    return drive(finalize(app, ctx, rv))


async def preprocess(app: Flask, ctx: RequestContext) -> Any:
    """Run the ``before_request`` hooks; the first non-None value ends the request."""
    for func in app._before_hooks:
        rv = await invoke(ctx, func)
        if rv is not None:
            return rv
    return None


def call_view(app: Flask, ctx: RequestContext) -> Any:
    """Call the view and return what it returned (a coroutine for an async view);
    a routing error is raised instead."""
    request = ctx.request
    if request.routing_exception is not None:
        raise request.routing_exception
    rule = request.url_rule
    assert rule is not None
    if request.method == "OPTIONS" and rule.provide_automatic_options:
        return app.make_default_options_response()
    view = app.view_functions[rule.endpoint]
    return view(**request.view_args) if request.view_args else view()


async def dispatch(app: Flask, ctx: RequestContext) -> Any:
    """Call the view and return its value (a routing error is raised instead)."""
    rv = call_view(app, ctx)
    if type(rv) is CoroutineType:
        run = ctx.run_coroutine
        return await rv if run is None else run(rv)
    return rv


async def finalize(
    app: Flask, ctx: RequestContext, rv: Any, from_error_handler: bool = False
) -> Response:
    """Turn ``rv`` into a response and run the after-request functions on it."""
    response = app.make_response(rv)
    if not (ctx._after_request_functions or app._after_hooks):
        return response
    try:
        response = await process_response(app, ctx, response)
    except Exception:
        if not from_error_handler:
            raise
        app.logger.exception("Request finalizing failed with an error while handling an error")
    return response


async def process_response(app: Flask, ctx: RequestContext, response: Response) -> Response:
    """``after_this_request`` functions, then ``after_request`` hooks (last first)."""
    for func in ctx._after_request_functions:
        response = await invoke(ctx, func, response)
    for func in app._after_hooks:
        response = await invoke(ctx, func, response)
    return response


async def teardown_request(app: Flask, ctx: RequestContext, error: BaseException | None) -> None:
    """Run the ``teardown_request`` functions, last registered first."""
    for func in app._teardown_hooks:
        await invoke(ctx, func, error)


def handle_http_exception(app: Flask, ctx: RequestContext, error: HTTPException) -> Any:
    """Answer an HTTP exception with its handler, or with the exception itself.

    The handler's value is returned as it is: a coroutine from an ``async def``
    handler is for the caller to run (:func:`settle`, or await it).
    """
    if error.code is None or isinstance(error, RequestRedirect):
        return error
    handler = app._find_error_handler(error)
    if handler is None:
        return error
    return handler(error)


def handle_user_exception(app: Flask, ctx: RequestContext, error: Exception) -> Any:
    """Answer an exception from a hook or view, or re-raise it if nothing handles it.

    Like :func:`handle_http_exception`, it returns the handler's value unrun.
    """
    if isinstance(error, BadRequestKeyError) and (
        app.debug or app.config["TRAP_BAD_REQUEST_ERRORS"]
    ):
        error.show_exception = True
    if isinstance(error, HTTPException) and not app.trap_http_exception(error):
        return handle_http_exception(app, ctx, error)
    handler = app._find_error_handler(error)
    if handler is None:
        raise error
    return handler(error)


def settle(ctx: RequestContext, value: Any) -> Any:
    """``value``, or its result if it is a coroutine, run as the context says
    (for callers outside the event loop).

    :raises RuntimeError: on the event loop, where the coroutine must be awaited.
    """
    if type(value) is not CoroutineType:
        return value
    run = ctx.run_coroutine
    if run is None:
        value.close()
        raise RuntimeError("An async handler must be awaited on the event loop.")
    return run(value)


async def handle_exception(app: Flask, ctx: RequestContext, error: Exception) -> Response:
    """Answer an unhandled exception with a 500 (or let it propagate when testing)."""
    propagate = app.config["PROPAGATE_EXCEPTIONS"]
    if propagate is None:
        propagate = app.testing or app.debug
    if propagate:
        raise error
    app.log_exception(error)
    server_error: Any = InternalServerError(original_exception=error)
    handler = app._find_error_handler(server_error)
    if handler is not None:
        server_error = await invoke(ctx, handler, server_error)
    return await finalize(app, ctx, server_error, from_error_handler=True)

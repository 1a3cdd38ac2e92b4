"""The request pipeline: every step of a request, written once, run from the app's plan.

Flask's order: the ``before_request`` hooks, the view (or the routing error), the
error handlers, the return value as a response, the ``after_this_request``
functions and ``after_request`` hooks, then ``teardown_request`` and
``teardown_appcontext``. Each step reads the :class:`~carafe.plan.Plan`, never the
app's private attributes.

This module is the source, for callers on an event loop (ASGI): a step awaits user
code that returned a coroutine. ``carafe/_pipeline_sync.py`` is generated from it
(``make generate``; ``tests/test_pipeline.py`` checks that it is current) for
everything else (WSGI, the ASGI thread pool, Flask's public methods): the same
steps as plain calls, where a coroutine from user code is run to its end by
``ctx.run_coroutine``, and where a step whose Flask method the app's class
overrides is that override (:attr:`Plan.sync_steps`). The leaf steps that call
user code once (:func:`dispatch`, :func:`handle_user_exception`,
:func:`handle_http_exception`) are plain functions in both: they return what the
user's function returned, a coroutine included, for the caller to await or run.
"""

from __future__ import annotations

from types import CoroutineType
from typing import TYPE_CHECKING, Any, cast

from carafe.ctx import SIGNALS, _cv_ctx
from carafe.exceptions import (
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
    RequestRedirect,
)
from carafe.interop import is_http_exception

if TYPE_CHECKING:
    from carafe.ctx import RequestContext
    from carafe.plan import Plan
    from carafe.response import Response


async def handle(plan: Plan, ctx: RequestContext, whole: bool = True) -> Response:
    """One whole request: push its context, dispatch, answer errors, tear down.

    Dispatching is Flask's ``full_dispatch_request`` (``whole=False``: that step
    alone): the ``before_request`` hooks, the view and the error handlers, with the
    result as a finished response. PERF: one function, so that a request awaits no
    coroutine of the pipeline's own on its usual path. The context is popped before
    the body is sent, as in Flask (a streamed body runs outside the request context).
    """
    error: BaseException | None = None
    signals = SIGNALS.active
    if whole:
        ctx.push()
    try:
        try:
            if whole and plan.custom_full_dispatch:
                return await full_dispatch(plan, ctx)
            failure: Exception | None = None
            rv = None
            try:
                if signals:
                    sent = SIGNALS.send_step("request_started", plan.app)
                    if sent is not None:
                        await sent
                if plan.run_preprocess:
                    rv = await preprocess(plan, ctx)
                if rv is None:
                    # PERF: a 404 or 405 goes to its handler without being raised.
                    failure = ctx.request.routing_exception
                    if failure is None or plan.dispatch_routing_errors:
                        failure = None
                        rv = dispatch(plan, ctx)
                        if rv.__class__ is CoroutineType:
                            rv = await rv
            except Exception as exc:
                failure = exc
            if failure is not None:
                # Outside that try, as in Flask: what a handler raises is not handled
                # again.
                rv = handle_user_exception(plan, ctx, failure)
                if rv.__class__ is CoroutineType:
                    rv = await rv
            if (
                plan.always_finalize
                or ctx._after_request_functions
                or signals
                or ctx._session is not None
                or (plan.session_check and session_unread_to_save(plan, ctx))
            ):
                return await finalize(plan, ctx, rv)
            if rv.__class__ is plan.response_class and plan.plain_make_response:
                # PERF: a view's finished response needs no make_response call.
                return rv
            return plan.make_response(rv)
        except Exception as exc:
            if not whole:
                raise
            error = exc
            return await handle_exception(plan, ctx, exc)
        except BaseException as exc:
            error = exc
            raise
    finally:
        if whole:
            keep = ctx._preserve_in
            if keep is not None:
                # The test client's ``with client:`` keeps the context for later.
                keep["carafe.preserved_context"] = (ctx, error)
            elif plan.always_tear_down or ctx.request._files or signals:
                await teardown(plan, ctx, error)
            else:
                # PERF: nothing to run or close: just restore the previous context.
                _cv_ctx.reset(ctx._tokens.pop())


async def full_dispatch(plan: Plan, ctx: RequestContext) -> Response:
    """Flask's ``full_dispatch_request``: the dispatching step of :func:`handle`."""
    return await handle(plan, ctx, False)


async def preprocess(plan: Plan, ctx: RequestContext) -> Any:
    """Flask's ``preprocess_request``: run the URL value preprocessors, then the
    ``before_request`` hooks (the app's, then each blueprint's from the outermost);
    the first value that is not None ends the request."""
    request = ctx.request
    scope = plan.scope_for(request)
    for processor in scope.url_value_preprocessors:
        processor(request.endpoint, request.view_args)
    for func in scope.before:
        rv = func()
        if rv.__class__ is CoroutineType:
            rv = await rv
        if rv is not None:
            return rv
    return None


def dispatch(plan: Plan, ctx: RequestContext) -> Any:
    """Flask's ``dispatch_request``: call the view and return what it returned (a
    coroutine for an ``async def`` view); a routing error is raised instead."""
    request = ctx.request
    if request.routing_exception is not None:
        raise request.routing_exception
    rule = request.url_rule
    assert rule is not None
    if request.method == "OPTIONS" and rule.provide_automatic_options:
        return plan.make_default_options_response()
    view = plan.views[rule.endpoint]
    view_args = request.view_args
    return view(**view_args) if view_args else view()


async def finalize(
    plan: Plan, ctx: RequestContext, rv: Any, from_error_handler: bool = False
) -> Response:
    """Flask's ``finalize_request``: ``rv`` as a response, through the after-request
    functions. After an error handler, an error they raise is logged, not raised."""
    response = plan.make_response(rv)
    try:
        response = await process_response(plan, ctx, response)
        if SIGNALS.active:
            sent = SIGNALS.send_step("request_finished", plan.app, response=response)
            if sent is not None:
                await sent
    except Exception:
        if not from_error_handler:
            raise
        plan.app.logger.exception(
            "Request finalizing failed with an error while handling an error"
        )
    return response


async def process_response(plan: Plan, ctx: RequestContext, response: Response) -> Response:
    """Flask's ``process_response``: the ``after_this_request`` functions, then the
    ``after_request`` hooks (the innermost blueprint's first, each scope's last
    registered first), then the session saved."""
    result: Any = response
    for func in ctx._after_request_functions or ():
        result = func(result)
        if result.__class__ is CoroutineType:
            result = await result
    for func in plan.scope_for(ctx.request).after:
        result = func(result)
        if result.__class__ is CoroutineType:
            result = await result
    session = ctx._session
    if session is None and plan.session_check and session_unread_to_save(plan, ctx):
        session = ctx._open_session()
    if session is not None:
        interface = plan.app.session_interface
        if not interface.is_null_session(session):
            interface.save_session(plan.app, session, result)
    return cast("Response", result)


def session_unread_to_save(plan: Plan, ctx: RequestContext) -> bool:
    """True when the session the request did not read must be opened and saved all
    the same: a custom interface's, on every request, as Flask does; the default
    one's when the request brought a cookie that a permanent session refreshes."""
    app = plan.app
    return plan.session_custom or bool(
        app.config["SESSION_REFRESH_EACH_REQUEST"]
        and app.session_interface.get_cookie_name(app) in ctx.request.cookies
    )


def handle_http_exception(plan: Plan, ctx: RequestContext, error: HTTPException) -> Any:
    """Flask's ``handle_http_exception``: the value of the error's handler (a coroutine
    for an ``async def`` one), or the exception itself to answer with."""
    if error.code is None or isinstance(error, RequestRedirect):
        return error
    handler = plan.scope_for(ctx.request).find_error_handler(error)
    if handler is None:
        return error
    return handler(error)


def handle_user_exception(plan: Plan, ctx: RequestContext, error: Exception) -> Any:
    """Flask's ``handle_user_exception``: the value of the handler of an exception from
    a hook or the view (a coroutine for an ``async def`` one); re-raised if none."""
    app = plan.app
    if isinstance(error, BadRequestKeyError) and (
        app.debug or app.config["TRAP_BAD_REQUEST_ERRORS"]
    ):
        error.show_exception = True
    if is_http_exception(error) and not plan.trap_http_exception(error):
        # (Werkzeug's too: answered as Carafe's own, by code.)
        return handle_http_exception(plan, ctx, cast("HTTPException", error))
    handler = plan.scope_for(ctx.request).find_error_handler(error)
    if handler is None:
        raise error
    return handler(error)


async def handle_exception(plan: Plan, ctx: RequestContext, error: Exception) -> Response:
    """Flask's ``handle_exception``: answer an unhandled exception with a 500, through
    its handler if there is one (or let it propagate when testing or debugging)."""
    app = plan.app
    if SIGNALS.active:
        sent = SIGNALS.send_step("got_request_exception", app, exception=error)
        if sent is not None:
            await sent
    propagate = app.config["PROPAGATE_EXCEPTIONS"]
    if propagate is None:
        propagate = app.testing or app.debug
    if propagate:
        raise error
    plan.log_exception(error)
    server_error: Any = InternalServerError(original_exception=error)
    handler = plan.scope_for(ctx.request).find_error_handler(server_error)
    if handler is not None:
        server_error = handler(server_error)
        if server_error.__class__ is CoroutineType:
            server_error = await server_error
    return await finalize(plan, ctx, server_error, True)


async def teardown(plan: Plan, ctx: RequestContext, error: BaseException | None) -> None:
    """The end of a request: its teardown functions, the request closed, then the app
    context's teardown (when the request owns it) and the context popped."""
    try:
        await teardown_request(plan, ctx, error)
        ctx.request.close()
    finally:
        try:
            if ctx._owns_app_context():
                await teardown_appcontext(plan, ctx, error)
        finally:
            ctx._reset()


async def teardown_request(plan: Plan, ctx: RequestContext, error: BaseException | None) -> None:
    """Flask's ``do_teardown_request``: the ``teardown_request`` functions, in the
    order of the ``after_request`` hooks."""
    for func in plan.scope_for(ctx.request).teardown:
        rv = func(error)
        if rv.__class__ is CoroutineType:
            await rv
    if SIGNALS.active:
        sent = SIGNALS.send_step("request_tearing_down", plan.app, exc=error)
        if sent is not None:
            await sent


async def teardown_appcontext(
    plan: Plan, ctx: RequestContext | None, error: BaseException | None
) -> None:
    """Flask's ``do_teardown_appcontext``: the ``teardown_appcontext`` functions, last
    registered first (``ctx`` None: an app context popped outside any request)."""
    # (A reversed copy: mypyc 2.4 cannot compile reversed() of this list.)
    for func in plan.teardown_appcontext_funcs[::-1]:
        rv = func(error)
        if rv.__class__ is CoroutineType:
            await rv
    if SIGNALS.active:
        sent = SIGNALS.send_step("appcontext_tearing_down", plan.app, exc=error)
        if sent is not None:
            await sent

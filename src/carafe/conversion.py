"""A view's return value as a response, by Flask's rules: one conversion for both
interfaces, behind ``app.make_response`` and the ``make_response`` helper.

A 3-tuple is ``(body, status, headers)``; a 2-tuple is ``(body, headers)`` when the
second item is a Headers, dict, list or tuple, else ``(body, status)``. Bodies:
str/bytes/bytearray and iterators become responses, dicts and lists JSON,
responses and WSGI callables pass through, an HTTPException gives its error page.
The status and headers of the tuple are applied last.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from carafe.ctx import _NO_APP, _cv_ctx, get_request_context
from carafe.exceptions import HTTPException
from carafe.http.headers import Headers
from carafe.response import Response
from carafe.runner import is_async_body

if TYPE_CHECKING:
    from carafe.app import Flask


def to_response(app: Flask, rv: Any) -> Response:
    """``rv``, a view's return value, as an instance of ``app.response_class``."""
    response_class: type[Response] = app.response_class
    if rv.__class__ is response_class:
        # PERF: a view's finished response (the usual case) is returned as it is.
        return rv
    status: Any = None
    headers: Any = None
    if type(rv) is tuple:
        size = len(rv)
        if size == 3:
            rv, status, headers = rv
        elif size == 2:
            # PERF: an int status (``return "Created", 201``) is told apart first.
            second = rv[1]
            if second.__class__ is not int and isinstance(second, (Headers, dict, tuple, list)):
                rv, headers = rv
            else:
                rv, status = rv
        else:
            raise TypeError(
                "The view function did not return a valid response tuple. The tuple"
                " must have the form (body, status, headers), (body, status), or"
                " (body, headers)."
            )
    if isinstance(status, (bytes, bytearray)):
        status = status.decode()
    if rv is None:
        raise TypeError(
            f"The view function for {_current_endpoint()!r} did not return a valid"
            " response. The function either returned None or ended without a return"
            " statement."
        )
    if rv.__class__ is str:
        # PERF: a text body (the usual one) with its status and headers, in one step.
        return response_class(rv, status, headers)
    if not isinstance(rv, response_class):
        if isinstance(rv, (str, bytes, bytearray, Iterator)):
            # PERF: the body, status and headers go to the constructor in one step.
            rv = response_class(rv, status, headers)
            status = headers = None
        elif isinstance(rv, (dict, list)):
            rv = app.json.response(rv)
        elif isinstance(rv, HTTPException):
            rv = response_class.force_type(rv.get_response())
        elif is_async_body(rv):
            # An async generator streams, as on Quart (over ASGI, on the loop).
            rv = response_class(rv, status=status, headers=headers)
            status = headers = None
        elif isinstance(rv, Response) or callable(rv):
            ctx = get_request_context()
            rv = response_class.force_type(rv, ctx.request.environ if ctx else None)
        else:
            raise TypeError(
                "The view function did not return a valid response. The return type"
                " must be a string, dict, list, tuple with headers or status,"
                " Response instance, or WSGI callable, but it was a"
                f" {type(rv).__name__}."
            )
    if status is not None:
        if isinstance(status, str):
            rv.status = status
        else:
            # An HTTPStatus is an int: int() gives the plain code.
            rv.status_code = int(status)
    if headers:
        rv.headers.update(headers)
    return rv  # type: ignore[no-any-return]


def make_response(*args: Any) -> Response:
    """Turn view-style return values into a response, so headers can be added.

    ``make_response()`` is an empty response; one argument is converted like a
    view's return value; several are taken as a tuple: ``make_response(body, 404)``.
    """
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_NO_APP)
    app = ctx.app
    if len(args) == 1:
        rv = args[0]
        plan = app.plan
        if plan is not None and plan.plain_make_response:
            # PERF: make_response("text"), the tutorials' favourite, is a response
            # straight away, and so is make_response(jsonify(...)).
            if type(rv) is str:
                return app.response_class(rv)
            if rv.__class__ is app.response_class:
                return rv
        return app.make_response(rv)
    if not args:
        return app.response_class()
    return app.make_response(args)


def _current_endpoint() -> str | None:
    ctx = get_request_context()
    return ctx.request.endpoint if ctx is not None else None

"""The WSGI edge: one request in, one response out, nothing else.

``Flask.wsgi_app`` (what middleware wraps) calls :func:`serve`: build the request
from the environ and the app's request options, route it, push its context, run
the pipeline, start the response and hand the body to the server.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from carafe._pipeline_sync import handle
from carafe.ctx import RequestContext
from carafe.routing import route_request

if TYPE_CHECKING:
    from carafe.app import Flask
    from carafe.typing import StartResponse, WSGIEnvironment


def serve(app: Flask, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """Answer one WSGI request with ``app``."""
    plan = app.plan
    if plan is None or not app._got_first_request:
        plan = app._finalize()
    request = app.request_class(environ, app.request_options)
    route_request(app.url_map, request, environ.get("HTTP_HOST"))
    ctx = RequestContext(app, request)
    if "carafe.preserve_context" in environ:
        ctx._preserve_in = environ
    response = handle(plan, ctx)
    start_response(response._status, response.wsgi_headers())
    return response.wsgi_body(request.method)

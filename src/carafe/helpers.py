"""Flask's everyday helpers: ``make_response``, ``jsonify``, ``redirect``, ``abort``,
``url_for``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from carafe.conversion import make_response as make_response
from carafe.ctx import _NO_APP, _cv_ctx
from carafe.exceptions import abort as _abort
from carafe.globals import current_app
from carafe.response import redirect_response

if TYPE_CHECKING:
    from carafe.response import Response


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """A JSON response from one value, several values (a list) or keyword arguments."""
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_NO_APP)
    return ctx.app.json.response(*args, **kwargs)


def redirect(location: str, code: int = 302, Response: type[Response] | None = None) -> Response:
    """A response redirecting the client to ``location`` (302 by default).

    Inside an app context this uses the app's ``redirect``, as Flask does.
    """
    ctx = _cv_ctx.get(None)
    if ctx is not None and Response is None:
        return ctx.app.redirect(location, code)
    return redirect_response(location, code, Response)


def abort(code: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
    """Raise the ``HTTPException`` for ``code`` (or one carrying a response).

    ``abort(404)``, ``abort(403, "No access")``, ``abort(make_response(...))``.
    """
    ctx = _cv_ctx.get(None)
    if ctx is not None:
        ctx.app.aborter(code, *args, **kwargs)
    _abort(code, *args, **kwargs)


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: Any,
) -> str:
    """Build the URL of ``endpoint`` from its rule and ``values``.

    Values that are not rule arguments become the query string. ``_external``
    makes an absolute URL (the default outside a request), ``_scheme`` picks its
    scheme, ``_anchor`` adds ``#fragment``, ``_method`` picks among rules.
    """
    return current_app.url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )

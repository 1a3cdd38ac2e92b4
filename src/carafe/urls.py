"""Building URLs: what ``url_for`` and ``app.url_for`` do (relative endpoints, the
``url_defaults`` functions, the scheme, host and root of the current request or of
``SERVER_NAME``, external URLs for rules of another subdomain or host)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from carafe.ctx import get_request_context
from carafe.request_head import blueprint_path
from carafe.routing import BuildError, request_domain

if TYPE_CHECKING:
    from carafe.app import Flask


def build_url(
    app: Flask,
    endpoint: str,
    values: dict[str, Any],
    *,
    anchor: str | None = None,
    method: str | None = None,
    scheme: str | None = None,
    external: bool | None = None,
) -> str:
    """The URL of ``endpoint`` with ``values`` (rule arguments, the rest as the query
    string); see :func:`carafe.url_for` for the options."""
    scheme_arg = scheme  # the one asked for; ``scheme`` becomes the URL's
    ctx = get_request_context()
    url_map = app.url_map
    current_domain = url_map.default_subdomain
    if ctx is not None:
        request = ctx.request
        if url_map.domain_rules:
            current_domain = request_domain(url_map, request)
        if endpoint[:1] == ".":
            # Relative to the current request's blueprint (the app's, outside one).
            blueprint = request.blueprint
            endpoint = f"{blueprint}{endpoint}" if blueprint is not None else endpoint[1:]
        if external is None:
            external = scheme_arg is not None
        scheme = scheme_arg or request.scheme
        # SECURITY: with SERVER_NAME set, an external URL names it, not whatever
        # Host the client sent (as in Flask 3.1); request.host is validated.
        host = app.config["SERVER_NAME"] or request.host
        root = request.script_root
    else:
        server_name = app.config["SERVER_NAME"]
        if not server_name:
            raise RuntimeError(
                "Unable to build URLs outside an active request without"
                " 'SERVER_NAME' configured. Also configure 'APPLICATION_ROOT'"
                " and 'PREFERRED_URL_SCHEME' as needed."
            )
        if external is None:
            external = True
        scheme = scheme_arg or app.config["PREFERRED_URL_SCHEME"]
        host = server_name
        root = (app.config["APPLICATION_ROOT"] or "/").rstrip("/")
    if scheme_arg is not None and not external:
        raise ValueError("When specifying '_scheme', '_external' must be True.")
    app.inject_url_defaults(endpoint, values)
    try:
        rule, path = url_map.build_rule(endpoint, values, method=method)
    except BuildError as error:
        return app.handle_url_build_error(error, endpoint, values)
    if url_map.domain_rules:
        # A rule of another subdomain (or host) gives an external URL to it.
        domain = rule.build_domain({**rule.defaults, **values})
        if domain != current_domain:
            external = True
            if url_map.host_matching:
                host = domain
            elif domain:
                host = f"{domain}.{app.config['SERVER_NAME'] or host}"
    url = f"{root}{path}"
    if external:
        url = f"{scheme}://{host}{url}"
    if anchor is not None:
        from urllib.parse import quote

        url += "#" + quote(anchor, safe="%!#$&'()*+,/:;=?@")
    return url


def inject_url_defaults(app: Flask, endpoint: str, values: dict[str, Any]) -> None:
    """Run ``app``'s ``url_defaults`` functions for ``endpoint`` on ``values`` in place:
    the app's, then its blueprints' from the outermost."""
    functions = app.url_default_functions
    if not functions:
        return
    names: list[str | None] = [None]
    if "." in endpoint:
        names.extend(reversed(blueprint_path(endpoint.rpartition(".")[0])))
    for name in names:
        for func in functions.get(name, ()):
            func(endpoint, values)

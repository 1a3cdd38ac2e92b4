"""What a request needs from its app, as plain values: the request options.

A request never looks up the current app. The app makes one
:class:`RequestOptions` from its config (``app.request_options``), hands it to
every request it builds, and updates it in place whenever its config changes,
so a limit set on ``app.config`` after the first request still applies, as in
Flask. A request built by hand without options (``Request(environ)``) gets
:data:`DEFAULT_OPTIONS`: Carafe's default limits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from carafe.http._compiled import mypyc_attr

#: The defaults of the config keys the options are read from: the app's default config
#: takes them from here. SECURITY: Flask sets no body limit; Carafe's bounds what one
#: request can make the server read or spool to disk (docs/security.md); None lifts it.
#: Carafe's own limits bound the URL, the query fields and JSON bodies.
CONFIG_DEFAULTS: dict[str, Any] = {
    "TRUSTED_HOSTS": None,
    "SERVER_NAME": None,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1000,
    "MAX_URL_LENGTH": 8192,
    "MAX_QUERY_FIELDS": 1000,
    "MAX_JSON_SIZE": 1024 * 1024,
    "MAX_JSON_DEPTH": 100,
}


def _stdlib_loads(data: bytes) -> Any:
    # Start-up: the json module loads with the first JSON body, not with carafe.
    import json

    return json.loads(data)


#: The options' names: each config key of CONFIG_DEFAULTS in lower case, and two more.
_OPTION_NAMES = (*(key.lower() for key in CONFIG_DEFAULTS), "debug", "json_loads")


@mypyc_attr(allow_interpreted_subclasses=True)
class RequestOptions:
    """The limits, trusted hosts, JSON loader and debug flag requests read.

    Every limit is a number or None (no limit); the defaults are Carafe's
    (docs/security.md), the same as the app's default config.
    """

    __slots__ = _OPTION_NAMES

    #: The largest body accepted (a 413 above it).
    max_content_length: int | None
    #: The largest non-file form field (a 413 above it).
    max_form_memory_size: int | None
    #: The most form fields or multipart parts (a 413 above it).
    max_form_parts: int | None
    #: The most query-string fields (a 414 above it).
    max_query_fields: int | None
    #: The longest URL, path and query string together (a 414 above it).
    max_url_length: int | None
    #: The largest JSON body ``get_json`` parses (a 413 above it).
    max_json_size: int | None
    #: The deepest nesting ``get_json`` parses (a 400 below it).
    max_json_depth: int | None
    #: The hosts a request may be addressed to; None: any.
    trusted_hosts: list[str] | None
    #: The app's ``SERVER_NAME`` (subdomain matching reads the subdomain against it).
    server_name: str | None
    #: Debug mode: error pages say more (a malformed JSON body's error, say).
    debug: bool
    #: Parses a JSON body (the app's JSON provider's ``loads``).
    json_loads: Callable[[bytes], Any]

    def __init__(self) -> None:
        self.update(CONFIG_DEFAULTS, _stdlib_loads)

    def update(self, config: Mapping[str, Any], json_loads: Callable[[bytes], Any]) -> None:
        """Take the values of ``config`` (an app's; a key missing from it has its
        default), and ``json_loads``, in place."""
        for key, default in CONFIG_DEFAULTS.items():
            setattr(self, key.lower(), config.get(key, default))
        self.debug = bool(config.get("DEBUG"))
        self.json_loads = json_loads

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in _OPTION_NAMES)
        return f"<{type(self).__name__} {values}>"


#: The options of a request built without any: Carafe's defaults.
DEFAULT_OPTIONS = RequestOptions()

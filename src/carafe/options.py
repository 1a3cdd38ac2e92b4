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

#: The config keys the options are read from, with each option's name.
CONFIG_KEYS = {
    "MAX_CONTENT_LENGTH": "max_content_length",
    "MAX_FORM_MEMORY_SIZE": "max_form_memory_size",
    "MAX_FORM_PARTS": "max_form_parts",
    "MAX_QUERY_FIELDS": "max_query_fields",
    "MAX_URL_LENGTH": "max_url_length",
    "MAX_JSON_SIZE": "max_json_size",
    "MAX_JSON_DEPTH": "max_json_depth",
    "TRUSTED_HOSTS": "trusted_hosts",
}


def _stdlib_loads(data: bytes) -> Any:
    # Start-up: the json module loads with the first JSON body, not with carafe.
    import json

    return json.loads(data)


class RequestOptions:
    """The limits, trusted hosts, JSON loader and debug flag requests read.

    Every limit is a number or None (no limit); the defaults are Carafe's
    (docs/security.md), the same as the app's default config.
    """

    __slots__ = (*CONFIG_KEYS.values(), "debug", "json_loads")

    def __init__(self) -> None:
        #: The largest body accepted (a 413 above it).
        self.max_content_length: int | None = 16 * 1024 * 1024
        #: The largest non-file form field (a 413 above it).
        self.max_form_memory_size: int | None = 500_000
        #: The most form fields or multipart parts (a 413 above it).
        self.max_form_parts: int | None = 1000
        #: The most query-string fields (a 414 above it).
        self.max_query_fields: int | None = 1000
        #: The longest URL, path and query string together (a 414 above it).
        self.max_url_length: int | None = 8192
        #: The largest JSON body ``get_json`` parses (a 413 above it).
        self.max_json_size: int | None = 1024 * 1024
        #: The deepest nesting ``get_json`` parses (a 400 below it).
        self.max_json_depth: int | None = 100
        #: The hosts a request may be addressed to; None: any.
        self.trusted_hosts: list[str] | None = None
        #: Debug mode: error pages say more (a malformed JSON body's error, say).
        self.debug: bool = False
        #: Parses a JSON body (the app's JSON provider's ``loads``).
        self.json_loads: Callable[[bytes], Any] = _stdlib_loads

    def update(self, config: Mapping[str, Any], json_loads: Callable[[bytes], Any]) -> None:
        """Take the values of ``config`` (an app's), and ``json_loads``, in place."""
        for key, name in CONFIG_KEYS.items():
            setattr(self, name, config.get(key, getattr(DEFAULT_OPTIONS, name)))
        self.debug = bool(config.get("DEBUG"))
        self.json_loads = json_loads

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in CONFIG_KEYS.values())
        return f"<{type(self).__name__} {values}, debug={self.debug!r}>"


#: The options of a request built without any: Carafe's defaults.
DEFAULT_OPTIONS = RequestOptions()

"""Middleware for apps served behind reverse proxies: :class:`ProxyFix` (WSGI) and
:class:`ProxyFixASGI` (ASGI).

A proxy such as nginx talks to the app itself, so the app sees the proxy's
address, its scheme and whatever ``Host`` it sends. The proxy reports the
original ones in ``X-Forwarded-For``, ``-Proto``, ``-Host``, ``-Port`` and
``-Prefix``. Anybody can send those headers, so they are trusted only as far as
the deployment says: each header has a number of proxy hops, and the value used
is the one that many places from the right, the one the outermost trusted proxy
wrote. A header with fewer values than hops did not pass through all of the
trusted proxies and is ignored.

The trust rules match Werkzeug's ``werkzeug.middleware.proxy_fix.ProxyFix``, and
the parsing below is shared by both interfaces; only where the values are
written differs.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, NamedTuple

from carafe.typing import (
    ASGIApplication,
    ASGIMessage,
    ASGIScope,
    StartResponse,
    WSGIApplication,
    WSGIEnvironment,
)

__all__ = ["ForwardedValues", "ProxyFix", "ProxyFixASGI", "ProxyTrust"]

Scope = ASGIScope
Message = ASGIMessage

#: The environ key holding the values ProxyFix replaced, as Werkzeug names it.
WERKZEUG_ORIG_KEY = "werkzeug.proxy_fix.orig"
#: The same dict under Carafe's own name (for WSGI environs and ASGI scopes).
ORIG_KEY = "carafe.proxy_fix.orig"

_ORIG_ENVIRON_KEYS = (
    "REMOTE_ADDR",
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
)
# Where each forwarded header goes in the argument list of ProxyTrust.resolve.
_ASGI_HEADER_INDEX = {
    b"x-forwarded-for": 0,
    b"x-forwarded-proto": 1,
    b"x-forwarded-host": 2,
    b"x-forwarded-port": 3,
    b"x-forwarded-prefix": 4,
}
_SCHEMES = frozenset({"http", "https", "ws", "wss"})
# SECURITY: a forwarded host is a DNS name, an IPv4 address or a bracketed IPv6
# address with an optional port; anything else (CR/LF, spaces, "/", "@", ...) is
# refused, so a forged value cannot reach redirects, url_for or logs.
_HOST_RE = re.compile(
    r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)
# SECURITY: IP addresses only, in ASCII; no IPv6 zone ("%eth0"), which the
# ipaddress module would accept with any characters in it, CR/LF included.
_ADDRESS_CHARS_RE = re.compile(r"[0-9A-Fa-f:.]+")
# SECURITY: a forwarded prefix is an absolute path of URL path characters only.
_PREFIX_RE = re.compile(r"/[A-Za-z0-9._~!$&'()*+;=:@%/-]*")
# A backslash escape inside a quoted string: the escaped character stands for itself.
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)


class ForwardedValues(NamedTuple):
    """The trusted, validated forwarded values of one request (``None``: keep the original)."""

    client: str | None
    scheme: str | None
    host: str | None
    port: str | None
    prefix: str | None


def split_header_list(value: str) -> list[str]:
    """Split a comma-separated header value into its items.

    Commas inside double-quoted strings do not split, quoted items are unquoted
    (backslash escapes included), spaces and tabs around items are dropped and
    empty items are skipped: the items Werkzeug's ``parse_list_header`` yields.
    """
    # PERF: proxies write plain lists; walk character by character only for quotes.
    if '"' not in value:
        return [item for item in (item.strip(" \t") for item in value.split(",")) if item]
    items: list[str] = []
    part: list[str] = []
    in_quotes = False
    escaped = False
    for char in value:
        if escaped:
            part.append(char)
            escaped = False
        elif in_quotes and char == "\\":
            part.append(char)
            escaped = True
        elif char == '"':
            part.append(char)
            in_quotes = not in_quotes
        elif char == "," and not in_quotes:
            items.append("".join(part))
            part = []
        else:
            part.append(char)
    items.append("".join(part))
    # SECURITY: only HTTP's optional whitespace (space, tab) is trimmed; an item
    # with CR, LF or other control characters at its edges stays invalid.
    stripped = (item.strip(" \t") for item in items)
    return [_unquote(item) for item in stripped if item]


def _unquote(item: str) -> str:
    """``"a\\"b"`` -> ``a"b``; anything not wholly quoted is returned as it is."""
    if len(item) >= 2 and item[0] == item[-1] == '"':
        return _ESCAPE_RE.sub(r"\1", item[1:-1])
    return item


def pick_trusted(value: str | None, hops: int) -> str | None:
    """The item ``hops`` places from the right of a list header, or ``None``.

    ``None`` when nothing is trusted (``hops == 0``), the header is missing, or it
    has fewer items than ``hops``: then it did not come through every trusted proxy.
    """
    if not hops or not value:
        return None
    # SECURITY: only the rightmost ``hops`` items were written by our proxies;
    # anything to their left came from the client and is never looked at.
    items = split_header_list(value)
    if len(items) < hops:
        return None
    return items[-hops]


def valid_client(value: str) -> bool:
    """True for an IPv4 or IPv6 address (what proxies write in ``X-Forwarded-For``)."""
    if _ADDRESS_CHARS_RE.fullmatch(value) is None:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def valid_host(value: str) -> bool:
    """True for ``name``, ``name:port``, ``[v6]`` or ``[v6]:port`` with a port up to 65535."""
    if _HOST_RE.fullmatch(value) is None:
        return False
    port = split_host(value)[1]
    return port is None or int(port) <= 65535


def valid_port(value: str) -> bool:
    """True for a decimal port number from 0 to 65535."""
    return value.isascii() and value.isdigit() and len(value) <= 5 and int(value) <= 65535


def valid_prefix(value: str) -> bool:
    """True for an absolute URL path that cannot be read as ``//other-host``."""
    # SECURITY: "//x" in SCRIPT_NAME would make url_for() return a
    # scheme-relative URL pointing at another host.
    return _PREFIX_RE.fullmatch(value) is not None and "//" not in value


def split_host(host: str) -> tuple[str, str | None]:
    """Split a host into name and port: ``"example.com:8080"`` -> ``("example.com", "8080")``,
    ``"[::1]"`` -> ``("[::1]", None)``."""
    # A colon after the closing bracket of an IPv6 literal is the port separator.
    if ":" in host and not host.endswith("]"):
        name, _, port = host.rpartition(":")
        return name, port
    return host, None


class ProxyTrust:
    """How many proxies set each ``X-Forwarded-*`` header; shared by both middlewares.

    :param x_for: values to trust in ``X-Forwarded-For``.
    :param x_proto: values to trust in ``X-Forwarded-Proto``.
    :param x_host: values to trust in ``X-Forwarded-Host``.
    :param x_port: values to trust in ``X-Forwarded-Port``.
    :param x_prefix: values to trust in ``X-Forwarded-Prefix``.
    """

    __slots__ = ("x_for", "x_host", "x_port", "x_prefix", "x_proto")

    def __init__(
        self, x_for: int = 1, x_proto: int = 1, x_host: int = 0, x_port: int = 0, x_prefix: int = 0
    ) -> None:
        for name, hops in (
            ("x_for", x_for),
            ("x_proto", x_proto),
            ("x_host", x_host),
            ("x_port", x_port),
            ("x_prefix", x_prefix),
        ):
            if not isinstance(hops, int) or hops < 0:
                raise ValueError(f"{name} must be a number of proxies (0 or more), not {hops!r}.")
        self.x_for = x_for
        self.x_proto = x_proto
        self.x_host = x_host
        self.x_port = x_port
        self.x_prefix = x_prefix

    def resolve(
        self,
        forwarded_for: str | None,
        forwarded_proto: str | None,
        forwarded_host: str | None,
        forwarded_port: str | None,
        forwarded_prefix: str | None,
    ) -> ForwardedValues:
        """Pick the trusted value of each header; a value that fails validation is ``None``."""
        # SECURITY: an invalid value in the trusted position makes the whole
        # header ignored; no other item of it is used in its place.
        client = pick_trusted(forwarded_for, self.x_for)
        if client is not None and not valid_client(client):
            client = None
        scheme = pick_trusted(forwarded_proto, self.x_proto)
        if scheme is not None:
            scheme = scheme.lower()
            if scheme not in _SCHEMES:
                scheme = None
        host = pick_trusted(forwarded_host, self.x_host)
        if host is not None and not valid_host(host):
            host = None
        port = pick_trusted(forwarded_port, self.x_port)
        if port is not None and not valid_port(port):
            port = None
        prefix = pick_trusted(forwarded_prefix, self.x_prefix)
        if prefix is not None and not valid_prefix(prefix):
            prefix = None
        return ForwardedValues(client, scheme, host, port, prefix)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(x_for={self.x_for}, x_proto={self.x_proto},"
            f" x_host={self.x_host}, x_port={self.x_port}, x_prefix={self.x_prefix})"
        )


class ProxyFix(ProxyTrust):
    """WSGI middleware applying trusted ``X-Forwarded-*`` headers to the environ,
    as Werkzeug's ``ProxyFix`` does, with the same arguments and defaults::

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    - ``X-Forwarded-For`` sets ``REMOTE_ADDR``;
    - ``X-Forwarded-Proto`` sets ``wsgi.url_scheme``;
    - ``X-Forwarded-Host`` sets ``HTTP_HOST``, ``SERVER_NAME`` and ``SERVER_PORT``;
    - ``X-Forwarded-Port`` sets the port of ``HTTP_HOST`` and ``SERVER_PORT``;
    - ``X-Forwarded-Prefix`` sets ``SCRIPT_NAME``.

    The replaced values are kept in ``environ["werkzeug.proxy_fix.orig"]`` (also
    ``environ["carafe.proxy_fix.orig"]``). Unlike Werkzeug, values are validated
    first: an address that is not an IP, a host or prefix with characters a URL
    cannot hold, a port that is not a number is ignored, not trusted.

    :param app: the WSGI application to wrap (usually ``app.wsgi_app``).
    """

    __slots__ = ("app",)

    def __init__(
        self,
        app: WSGIApplication,
        x_for: int = 1,
        x_proto: int = 1,
        x_host: int = 0,
        x_port: int = 0,
        x_prefix: int = 0,
    ) -> None:
        super().__init__(x_for, x_proto, x_host, x_port, x_prefix)
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Rewrite ``environ`` from the trusted headers, then call the wrapped app."""
        orig = {key: environ.get(key) for key in _ORIG_ENVIRON_KEYS}
        environ[WERKZEUG_ORIG_KEY] = environ[ORIG_KEY] = orig
        values = self.resolve(
            environ.get("HTTP_X_FORWARDED_FOR"),
            environ.get("HTTP_X_FORWARDED_PROTO"),
            environ.get("HTTP_X_FORWARDED_HOST"),
            environ.get("HTTP_X_FORWARDED_PORT"),
            environ.get("HTTP_X_FORWARDED_PREFIX"),
        )
        if values.client:
            environ["REMOTE_ADDR"] = values.client
        if values.scheme:
            environ["wsgi.url_scheme"] = values.scheme
        if values.host:
            environ["HTTP_HOST"] = values.host
            name, port = split_host(values.host)
            environ["SERVER_NAME"] = name
            if port is not None:
                environ["SERVER_PORT"] = port
        if values.port:
            host = environ.get("HTTP_HOST")
            if host:
                environ["HTTP_HOST"] = f"{split_host(host)[0]}:{values.port}"
            environ["SERVER_PORT"] = values.port
        if values.prefix:
            environ["SCRIPT_NAME"] = values.prefix
        return self.app(environ, start_response)


class ProxyFixASGI(ProxyTrust):
    """ASGI middleware applying trusted ``X-Forwarded-*`` headers to the scope, with
    :class:`ProxyFix`'s trust rules and validation::

        asgi_app = ProxyFixASGI(app.asgi, x_for=1, x_proto=1, x_host=1)

    - ``X-Forwarded-For`` sets ``scope["client"]`` (port 0: the client's is unknown);
    - ``X-Forwarded-Proto`` sets ``scope["scheme"]`` (``ws``/``wss`` for websockets);
    - ``X-Forwarded-Host`` sets the ``Host`` header and ``scope["server"]``;
    - ``X-Forwarded-Port`` sets the port of the ``Host`` header and ``scope["server"]``;
    - ``X-Forwarded-Prefix`` sets ``scope["root_path"]``, and ``path`` keeps
      including the root path, as the ASGI spec asks.

    The app gets a copy of the scope; the replaced values are kept in
    ``scope["carafe.proxy_fix.orig"]``. Lifespan and other scopes pass through.

    :param app: the ASGI application to wrap (usually ``app.asgi``).
    """

    __slots__ = ("app",)

    def __init__(
        self,
        app: ASGIApplication,
        x_for: int = 1,
        x_proto: int = 1,
        x_host: int = 0,
        x_port: int = 0,
        x_prefix: int = 0,
    ) -> None:
        super().__init__(x_for, x_proto, x_host, x_port, x_prefix)
        self.app = app

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        """Rewrite a copy of an HTTP or websocket scope, then call the wrapped app."""
        if scope["type"] in ("http", "websocket"):
            scope = self.rewrite_scope(scope)
        await self.app(scope, receive, send)

    def rewrite_scope(self, scope: Scope) -> dict[str, Any]:
        """A copy of ``scope`` with the trusted forwarded values applied."""
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers") or ())
        found: list[list[str]] = [[], [], [], [], []]
        host_header: str | None = None
        for raw_name, raw_value in headers:
            header_name = bytes(raw_name).lower()
            if header_name == b"host":
                host_header = bytes(raw_value).decode("latin-1")
            else:
                index = _ASGI_HEADER_INDEX.get(header_name)
                if index is not None:
                    found[index].append(bytes(raw_value).decode("latin-1"))
        # Repeated headers count as one list, the way WSGI servers join them.
        values = self.resolve(*(", ".join(parts) if parts else None for parts in found))

        new = dict(scope)
        new[ORIG_KEY] = {
            "client": scope.get("client"),
            "scheme": scope.get("scheme"),
            "host": host_header,
            "server": scope.get("server"),
            "root_path": scope.get("root_path", ""),
        }
        if values.client:
            new["client"] = (values.client, 0)
        if values.scheme:
            secure = values.scheme in ("https", "wss")
            if scope["type"] == "websocket":
                new["scheme"] = "wss" if secure else "ws"
            else:
                new["scheme"] = "https" if secure else "http"
        server = scope.get("server")
        if values.host:
            host_header = values.host
            name, port = split_host(values.host)
            server_port = int(port) if port is not None else (server[1] if server else None)
            server = (name, server_port)
        if values.port:
            if host_header:
                host_header = f"{split_host(host_header)[0]}:{values.port}"
            name = server[0] if server else split_host(host_header or "")[0]
            server = (name, int(values.port))
        if values.host or values.port:
            new["server"] = server
            if host_header:
                new["headers"] = _with_host(headers, host_header.encode("latin-1"))
        if values.prefix:
            self._apply_prefix(new, scope, values.prefix)
        return new

    @staticmethod
    def _apply_prefix(new: dict[str, Any], scope: Scope, prefix: str) -> None:
        """Mount the app at ``prefix``: ``root_path`` becomes it, ``path`` starts with it."""
        old_root: str = scope.get("root_path", "")
        path: str = scope.get("path", "")
        # The path below the old mount point is the app's own path.
        if old_root and path.startswith(old_root):
            path = path[len(old_root) :]
        root = prefix.rstrip("/")
        new["root_path"] = root
        new["path"] = root + path
        raw_path = scope.get("raw_path")
        if raw_path is not None:
            raw_root = old_root.encode("utf-8")
            if raw_root and raw_path.startswith(raw_root):
                raw_path = raw_path[len(raw_root) :]
            new["raw_path"] = root.encode("ascii") + raw_path


def _with_host(headers: list[tuple[bytes, bytes]], host: bytes) -> list[tuple[bytes, bytes]]:
    """``headers`` with one ``Host`` header, ``host``, where the first one was."""
    rewritten: list[tuple[bytes, bytes]] = []
    placed = False
    for raw_name, raw_value in headers:
        if bytes(raw_name).lower() != b"host":
            rewritten.append((raw_name, raw_value))
        elif not placed:
            rewritten.append((b"host", host))
            placed = True
    if not placed:
        rewritten.append((b"host", host))
    return rewritten

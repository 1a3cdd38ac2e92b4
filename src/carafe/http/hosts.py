"""The ``Host`` header: what a valid one looks like, and whether it is trusted.

A client chooses its ``Host`` header freely; a framework that builds URLs, redirects
or cookie domains from it must refuse one that is not a plain ``host[:port]``
(RFC 9110, section 7.2; RFC 3986, section 3.2.2), or a request to
``Host: example.com/abc?x=`` rewrites every URL built from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["host_is_trusted", "parse_host"]

# SECURITY: a DNS name or IPv4 address (letters, digits, dots, hyphens), or an IPv6
# address in brackets; then an optional port of digits. Everything else (``/``,
# ``?``, ``@``, ``,`` from two joined Host headers, spaces, ``_``, percent escapes,
# non-ASCII) makes the header invalid. Bounded: 253 characters is DNS's limit.
_HOST = re.compile(r"([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::([0-9]{1,5}))?")

#: The port each scheme implies, left out of ``request.host`` as Werkzeug does.
DEFAULT_PORTS = {"http": "80", "ws": "80", "https": "443", "wss": "443"}


def parse_host(value: str, scheme: str = "http") -> str | None:
    """The host of a ``Host`` header, or None when it is not a valid ``host[:port]``.

    The port the scheme implies (``:80`` for ``http``) is dropped, as Werkzeug's
    ``request.host`` drops it; a port must be 1-65535 with no leading zero.
    """
    found = _HOST.fullmatch(value)
    if found is None:
        return None
    port = found.group(2)
    if port is None:
        return value
    if port[0] == "0" or int(port) > 65535:
        return None
    if DEFAULT_PORTS.get(scheme) == port:
        return found.group(1)
    return value


def _hostname(host: str) -> str:
    """``host`` without its port, lower-cased (an IPv6 address keeps its brackets)."""
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    return host.partition(":")[0].lower()


def _trusted_name(entry: str) -> str:
    """A ``TRUSTED_HOSTS`` entry as :func:`_hostname` spells hosts (IDNA for non-ASCII)."""
    if ":" in entry and not entry.startswith("["):
        if entry.count(":") > 1:
            return f"[{entry.lower()}]"
        entry = entry.partition(":")[0]
    if not entry.isascii():
        entry = ".".join(
            label.encode("idna").decode("ascii") if label else "" for label in entry.split(".")
        )
    return _hostname(entry)


def host_is_trusted(host: str, trusted_hosts: Iterable[str]) -> bool:
    """Tell whether ``host`` is one of ``trusted_hosts`` (Flask's ``TRUSTED_HOSTS``).

    Ports are ignored; an entry starting with a dot (``.example.com``) also trusts
    every subdomain, and the domain itself, as in Werkzeug. Unlike Werkzeug, names
    compare case-insensitively (DNS names are) and IPv6 addresses match with or
    without brackets.
    """
    name = _hostname(host)
    for entry in trusted_hosts:
        if entry.startswith("."):
            domain = _trusted_name(entry[1:])
            if name == domain or name.endswith("." + domain):
                return True
        elif name == _trusted_name(entry):
            return True
    return False

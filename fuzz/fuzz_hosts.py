"""Fuzz the Host header parser and the TRUSTED_HOSTS check (carafe/http/hosts.py).

Documented outcomes: ``parse_host`` gives None, or a plain ``host[:port]`` (a DNS
name or IPv4 address of letters, digits, dots and hyphens, or a bracketed IPv6
address; a port of 1-65535 without a leading zero) with the scheme's default port
dropped; parsing what it gives gives it again. ``host_is_trusted`` gives a bool
and trusts a host exactly when its name (case-insensitive, port ignored) is a
trusted entry or a subdomain of a ``.domain`` entry. Anything else is a crash.
"""

from __future__ import annotations

import re

from _runner import instrumented, run

with instrumented():
    from carafe.http.hosts import DEFAULT_PORTS, host_is_trusted, parse_host

SEEDS = [
    b"\x00example.com",
    b"\x01example.com:443",
    b"\x00[::1]:8080",
    b"\x00127.0.0.1:80",
    b"\x00sub.example.com:065535",
    b"\x00evil.example/abc?x=",
    b"\x00EXAMPLE.com.:5000",
]
SCHEMES = ("http", "https", "ws", "wss", "ftp")
TRUSTED = ("example.com", ".example.org", "[::1]", "127.0.0.1", "xn--caf-dma.example", "café.test")
PLAIN_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[1-9][0-9]*)?")


def name_of(host: str) -> str:
    """The host's name, lower-cased, without its port."""
    if host.startswith("["):
        return host[: host.index("]") + 1].lower()
    return host.partition(":")[0].lower()


def expected_trust(host: str) -> bool:
    name = name_of(host)
    for entry in TRUSTED:
        entry_name = entry.encode("idna").decode() if not entry.isascii() else entry
        entry_name = entry_name.lower()
        if entry_name.startswith("."):
            if name == entry_name[1:] or name.endswith(entry_name):
                return True
        elif name == entry_name:
            return True
    return False


def test_one_input(data: bytes) -> None:
    if not data:
        return
    scheme = SCHEMES[data[0] % len(SCHEMES)]
    value = data[1:].decode("latin-1")
    host = parse_host(value, scheme)
    if host is None:
        return
    assert PLAIN_HOST.fullmatch(host), (value, host)
    port = host.rpartition(":")[2] if not host.endswith("]") and ":" in host else None
    if port is not None:
        assert 1 <= int(port) <= 65535 and port != DEFAULT_PORTS.get(scheme), (value, host)
    assert host in (value, value.rpartition(":")[0]), (value, host)
    assert parse_host(host, scheme) == host, (value, host)
    trusted = host_is_trusted(host, TRUSTED)
    assert trusted is expected_trust(host), (host, trusted)


if __name__ == "__main__":
    run(test_one_input, SEEDS)

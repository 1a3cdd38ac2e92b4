"""HTTP authentication headers (RFC 9110 section 11): ``Authorization`` as a request
sends it, ``WWW-Authenticate`` as a response asks for it.

A scheme carries either a token (``Bearer abc``) or ``key=value`` parameters
(``Digest username="a", ...``); ``Basic`` credentials are decoded into the
``username`` and ``password`` parameters. Werkzeug's classes and parsing (2.3+).
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from typing import Any

from carafe.http.header_lists import CallbackDict, dump_header, parse_dict_header
from carafe.http.header_values import quote_header_value

__all__ = ["Authorization", "WWWAuthenticate"]

# Digest parameters RFC 7616 requires quoted, even when they are tokens.
_DIGEST_QUOTED = frozenset({"realm", "domain", "nonce", "opaque", "qop"})


def _split_scheme(value: str) -> tuple[str, str]:
    """The lower-cased scheme and the rest of a header value."""
    scheme, _, rest = value.partition(" ")
    return scheme.lower(), rest.strip(" \t")


def _is_token(rest: str) -> bool:
    """True if the credentials are one token (``=`` only as base64 padding at its end)."""
    return "=" not in rest.rstrip("=")


class _SchemeValue:
    """What both headers share: a scheme with a token or parameters, parameters
    read by item (None when missing), equality of scheme, token and parameters."""

    type: str
    token: str | None
    parameters: dict[str, str | None]

    def __getitem__(self, name: str) -> str | None:
        return self.parameters.get(name)

    def get(self, key: str, default: str | None = None) -> str | None:
        """A parameter, or ``default``."""
        return self.parameters.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return (
            other.type == self.type
            and other.token == self.token
            and other.parameters == self.parameters
        )

    __hash__ = None  # type: ignore[assignment]

    def to_header(self) -> str:
        """The header value."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


class Authorization(_SchemeValue):
    """The credentials of an ``Authorization`` header.

    ``auth.type`` is the scheme, lower-cased; either :attr:`token` or
    :attr:`parameters` holds the rest. ``auth.username``, ``auth["username"]`` and
    ``auth.get("username")`` read a parameter (None when missing).

    :param auth_type: the scheme (``basic``, ``bearer``, ``digest``, ...).
    :param data: the parameters.
    :param token: the token.
    """

    def __init__(
        self,
        auth_type: str,
        data: dict[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        #: The scheme, such as ``basic``, ``bearer`` or ``digest``.
        self.type = auth_type
        #: The parameters (``username`` and ``password`` for ``basic``).
        self.parameters: dict[str, str | None] = {} if data is None else data
        #: The token of a token scheme (``bearer``), else None.
        self.token = token

    @classmethod
    def from_header(cls, value: str | None) -> Authorization | None:
        """Parse a header value; None when it is empty, or ``Basic`` credentials
        that are not base64 of UTF-8 text."""
        if not value:
            return None
        scheme, rest = _split_scheme(value)
        if scheme == "basic":
            import base64  # Start-up: loads when Basic credentials are first read.

            try:
                decoded = base64.b64decode(rest, validate=True).decode()
            except (binascii.Error, UnicodeError):
                return None
            username, _, password = decoded.partition(":")
            return cls(scheme, {"username": username, "password": password})
        if _is_token(rest):
            return cls(scheme, None, rest)
        return cls(scheme, parse_dict_header(rest), None)

    def __getattr__(self, name: str) -> str | None:
        # Only names that are not attributes: the parameters, as Werkzeug reads them
        # (never the dunders copy and pickle probe, nor ``parameters`` itself while an
        # unpickled object has none yet).
        if name.startswith("__") or name == "parameters":
            raise AttributeError(name)
        return self.parameters.get(name)

    def to_header(self) -> str:
        """The header value (``Basic`` credentials encoded again)."""
        if self.type == "basic":
            import base64

            credentials = f"{self.parameters.get('username')}:{self.parameters.get('password')}"
            return "Basic " + base64.b64encode(credentials.encode()).decode("ascii")
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        return f"{self.type.title()} {dump_header(self.parameters)}"


class WWWAuthenticate(_SchemeValue):
    """A ``WWW-Authenticate`` challenge: the scheme and its token or parameters.

    ``challenge.realm``, ``challenge["realm"]`` and ``challenge.get("realm")`` read
    a parameter; assigning ``challenge.realm = ...`` (or an item) sets one, None
    removes it. A response's ``www_authenticate`` writes every change back to its
    header.

    :param auth_type: the scheme (lower-cased).
    :param values: the parameters.
    :param token: the token, for a token scheme.
    """

    # Real attributes; any other name assigned is a parameter.
    _OWN = frozenset({"_type", "_parameters", "_token", "_on_update"})

    def __init__(
        self,
        auth_type: str,
        values: dict[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        self._type = auth_type.lower()
        self._parameters: CallbackDict[str, str | None] = CallbackDict(
            values, self._params_changed
        )
        self._token = token
        self._on_update: Callable[[WWWAuthenticate], None] | None = None

    @classmethod
    def from_header(cls, value: str | None) -> WWWAuthenticate | None:
        """Parse a header value (one challenge); None when it is empty."""
        if not value:
            return None
        scheme, rest = _split_scheme(value)
        if _is_token(rest):
            return cls(scheme, None, rest)
        return cls(scheme, parse_dict_header(rest), None)

    def _params_changed(self, _parameters: Any) -> None:
        self._changed()

    def _changed(self) -> None:
        if self._on_update is not None:
            self._on_update(self)

    @property
    def type(self) -> str:
        """The scheme, such as ``basic``, ``digest`` or ``bearer``."""
        return self._type

    @type.setter
    def type(self, value: str) -> None:
        self._type = value
        self._changed()

    @property
    def parameters(self) -> dict[str, str | None]:
        """The parameters (changes write the header back)."""
        return self._parameters

    @parameters.setter
    def parameters(self, value: dict[str, str | None]) -> None:
        self._parameters = CallbackDict(value, self._params_changed)
        self._changed()

    @property
    def token(self) -> str | None:
        """The token of a token scheme, else None."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value
        self._changed()

    def __setitem__(self, key: str, value: str | None) -> None:
        if value is None:
            if key in self._parameters:
                del self._parameters[key]
        else:
            self._parameters[key] = value

    def __delitem__(self, key: str) -> None:
        if key in self._parameters:
            del self._parameters[key]

    def __getattr__(self, name: str) -> str | None:
        if name.startswith("__") or name in self._OWN:
            raise AttributeError(name)
        return self[name]

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._OWN or isinstance(getattr(type(self), name, None), property):
            super().__setattr__(name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def to_header(self) -> str:
        """The header value (Digest's ``realm``, ``nonce``, ... always quoted)."""
        if self._token is not None:
            return f"{self._type.title()} {self._token}"
        if not self._parameters:
            return self._type.title()
        if self._type == "digest":
            items = [
                f"{key}={quote_header_value(value, allow_token=key not in _DIGEST_QUOTED)}"
                for key, value in self._parameters.items()
            ]
            return f"Digest {', '.join(items)}"
        return f"{self._type.title()} {dump_header(self._parameters)}"

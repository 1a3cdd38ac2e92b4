"""Sessions, as Flask's ``flask.sessions``: a dict per client, kept in a signed cookie.

The default interface, :class:`SecureCookieSessionInterface`, signs the session with
itsdangerous exactly as Flask does (same salt, key derivation, digest and tagged
JSON, :mod:`carafe.json.tag`), so a cookie written by a Flask app loads in Carafe
with the same ``SECRET_KEY`` and back. Replace ``app.session_interface`` with
another :class:`SessionInterface` to keep sessions elsewhere (Redis, a database).

PERF: a request's session is opened when the request first reads ``session`` (or
when it carries a session cookie that a permanent session must refresh), never
otherwise: a request that does not use it does no cookie work at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, MutableMapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NoReturn

from carafe.config import ConfigAttribute, as_timedelta
from carafe.http.caches import remember
from carafe.json.tag import TaggedJSONSerializer

if TYPE_CHECKING:
    from itsdangerous import URLSafeTimedSerializer

    from carafe.app import Flask
    from carafe.request import Request
    from carafe.response import Response

__all__ = [
    "NullSession",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "SessionInterface",
    "SessionMixin",
    "session_json_serializer",
]


class SessionMixin(MutableMapping[str, Any]):
    """What a session has beyond a dict: :attr:`permanent`, and the flags the
    interface reads when saving (:attr:`new`, :attr:`modified`, :attr:`accessed`)."""

    #: True for a session the backend created for this request (the default
    #: interface never sets it: it cannot tell an empty cookie from none).
    new = False
    #: True when the session was changed (set by the default session on any write;
    #: set it yourself after changing a mutable value inside the session).
    modified = True
    #: True when the session was used in the request (any use of the ``session``
    #: proxy sets it): the response gets ``Vary: Cookie``.
    accessed = False

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session (``PERMANENT_SESSION_LIFETIME``)."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)


class SecureCookieSession(dict[str, Any], SessionMixin):
    """The default session: a dict that notes reads (:attr:`accessed`) and writes
    (:attr:`modified`). Any read, ``in`` and ``len`` included, counts as access:
    the response then varies by cookie, so no cache serves one user's page to another.
    """

    modified = False
    accessed = False

    def __init__(self, initial: Any = None) -> None:
        super().__init__(initial or ())

    def _changed(self) -> None:
        self.modified = True
        self.accessed = True

    # -- reads ---------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def __len__(self) -> int:
        self.accessed = True
        return super().__len__()

    def __iter__(self) -> Iterator[str]:
        self.accessed = True
        return super().__iter__()

    def keys(self) -> Any:
        self.accessed = True
        return super().keys()

    def values(self) -> Any:
        self.accessed = True
        return super().values()

    def items(self) -> Any:
        self.accessed = True
        return super().items()

    def copy(self) -> dict[str, Any]:
        self.accessed = True
        return dict(super().items())

    # -- writes --------------------------------------------------------------
    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._changed()

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        if super().__contains__(key):
            return super().__getitem__(key)
        self[key] = default
        return default

    def pop(self, key: str, *default: Any) -> Any:
        # (Popping a key that is not there changes nothing: no cookie is sent.)
        present = super().__contains__(key)
        value = super().pop(key, *default)
        if present:
            self._changed()
        else:
            self.accessed = True
        return value

    def popitem(self) -> tuple[str, Any]:
        item = super().popitem()
        self._changed()
        return item

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def __ior__(self, other: Any) -> SecureCookieSession:  # type: ignore[override,misc]
        super().update(other)
        self._changed()
        return self

    def clear(self) -> None:
        super().clear()
        self._changed()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


class NullSession(SecureCookieSession):
    """The session of an app without ``SECRET_KEY``: empty, readable, and any write
    raises a RuntimeError that says what to set."""

    def _fail(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(
            "The session is unavailable because no secret key was set.  Set the"
            " secret_key on the application to something unique and secret."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = __ior__ = _fail


class SessionInterface:
    """How an app opens and saves its sessions. A subclass implements
    :meth:`open_session` and :meth:`save_session`; the other methods read the
    ``SESSION_*`` settings and can be overridden one by one."""

    #: What :meth:`make_null_session` makes.
    null_session_class: type[SecureCookieSession] = NullSession
    #: Flask's flag for pickle-based interfaces (informational).
    pickle_based = False

    def make_null_session(self, app: Flask) -> SecureCookieSession:
        """The session of a request whose session could not be opened."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """True for a null session: it is never saved."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Flask) -> str:
        """``SESSION_COOKIE_NAME``."""
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]

    def get_cookie_domain(self, app: Flask) -> str | None:
        """``SESSION_COOKIE_DOMAIN``: None keeps the cookie to the exact host."""
        return app.config["SESSION_COOKIE_DOMAIN"]  # type: ignore[no-any-return]

    def get_cookie_path(self, app: Flask) -> str:
        """``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``."""
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]  # type: ignore[no-any-return]

    def get_cookie_httponly(self, app: Flask) -> bool:
        """``SESSION_COOKIE_HTTPONLY``."""
        return app.config["SESSION_COOKIE_HTTPONLY"]  # type: ignore[no-any-return]

    def get_cookie_secure(self, app: Flask) -> bool:
        """``SESSION_COOKIE_SECURE``."""
        return app.config["SESSION_COOKIE_SECURE"]  # type: ignore[no-any-return]

    def get_cookie_samesite(self, app: Flask) -> str | None:
        """``SESSION_COOKIE_SAMESITE``."""
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: Flask) -> bool:
        """``SESSION_COOKIE_PARTITIONED``."""
        return app.config["SESSION_COOKIE_PARTITIONED"]  # type: ignore[no-any-return]

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        """When the cookie expires: now plus ``PERMANENT_SESSION_LIFETIME`` for a
        permanent session, None (the browser session) otherwise."""
        if session.permanent:
            return datetime.now(timezone.utc) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        """Whether to send the cookie: the session changed, or it is permanent and
        ``SESSION_REFRESH_EACH_REQUEST`` pushes its expiry on every response."""
        return bool(
            session.modified or (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"])
        )

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        """The session of ``request``; None if it cannot be opened (the app then
        uses :meth:`make_null_session`)."""
        raise NotImplementedError

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Save ``session`` at the end of its request, onto ``response`` if need be."""
        raise NotImplementedError


#: The tagged JSON serializer of session cookies (Flask's, tag for tag).
session_json_serializer = TaggedJSONSerializer()


def _sha1(string: bytes = b"") -> Any:
    # Looked up when called, as Flask's: a FIPS build may lack SHA-1 until used.
    return hashlib.sha1(string)  # noqa: S324 (Flask's cookie format)


_SERIALIZERS: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}


class SecureCookieSessionInterface(SessionInterface):
    """Sessions in a cookie signed with ``SECRET_KEY`` (and checked against
    ``SECRET_KEY_FALLBACKS`` too, so keys rotate without logging everyone out)."""

    #: Mixed into the signing key, so session signatures differ from other uses
    #: of the same secret.
    salt = "cookie-session"
    #: The HMAC digest.
    digest_method = staticmethod(_sha1)
    #: How the signing key is derived from the secret.
    key_derivation = "hmac"
    #: Turns the session into a string and back.
    serializer = session_json_serializer
    #: The class of the sessions opened.
    session_class: type[SecureCookieSession] = SecureCookieSession

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """The itsdangerous serializer for ``app``'s keys; None without ``SECRET_KEY``."""
        if not app.secret_key:
            return None
        # itsdangerous signs with the last key and verifies with them all.
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        # PERF: one serializer per set of keys and settings, not one per request (a
        # subclass may change any of these settings, so they are all in the key).
        cache_key = (keys, self.salt, self.key_derivation, self.digest_method, self.serializer)
        cacheable = True
        try:
            serializer = _SERIALIZERS.get(cache_key)
        except TypeError:  # (a key of an unhashable type: made each time)
            serializer = None
            cacheable = False
        if serializer is None:
            # Start-up: itsdangerous loads with the first session, not with carafe.
            from itsdangerous import URLSafeTimedSerializer

            serializer = URLSafeTimedSerializer(
                list(keys),
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
            if cacheable:
                remember(_SERIALIZERS, cache_key, serializer, 64)
        return serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The session in ``request``'s cookie; an empty one when there is none or it is
        tampered with, expired or unreadable; None without ``SECRET_KEY``."""
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        from itsdangerous import BadData

        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = signer.loads(value, max_age=max_age)
        except BadData:
            return self.session_class()
        if not isinstance(data, dict):
            return self.session_class()
        return self.session_class(data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Set the session cookie when the session changed (or a permanent one is
        refreshed), delete it when the session was emptied, and add ``Vary: Cookie``
        whenever the session was read."""
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        if session.accessed:
            _vary_cookie(response)
        if not session:
            if session.modified:
                response.delete_cookie(
                    name,
                    path=path,
                    domain=domain,
                    secure=secure,
                    httponly=httponly,
                    samesite=samesite,
                    partitioned=partitioned,
                )
                _vary_cookie(response)
            return
        if not self.should_set_cookie(app, session):
            return
        signer = self.get_signing_serializer(app)
        assert signer is not None  # (a session was opened, so there is a key)
        response.set_cookie(
            name,
            signer.dumps(dict(session)),
            expires=self.get_expiration_time(app, session),
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )
        _vary_cookie(response)


def _vary_cookie(response: Response) -> None:
    # (Not response.vary, which reads the first Vary header only, as Werkzeug's does:
    # an app's second Vary header would be lost. Every Vary header is kept here.)
    headers = response.headers
    values = [v.strip() for value in headers.getlist("Vary") for v in value.split(",")]
    if not any(v.lower() == "cookie" or v == "*" for v in values):
        headers["Vary"] = ", ".join([*filter(None, values), "Cookie"])


class AppSessions:
    """The app's session settings (a base of :class:`~carafe.Flask`)."""

    #: ``SECRET_KEY``: signs sessions and other data.
    secret_key = ConfigAttribute["str | bytes | None"]("SECRET_KEY")
    #: ``PERMANENT_SESSION_LIFETIME``: how long a permanent session lasts (a timedelta;
    #: a number in the config is seconds).
    permanent_session_lifetime = ConfigAttribute[timedelta](
        "PERMANENT_SESSION_LIFETIME", get_converter=as_timedelta
    )
    #: Opens and saves the ``session`` of each request (replace it for server-side
    #: sessions): signed cookies by default.
    session_interface: SessionInterface = SecureCookieSessionInterface()

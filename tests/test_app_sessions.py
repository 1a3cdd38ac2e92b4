"""Sessions and flashed messages, over WSGI and ASGI: the signed cookie
(``carafe.sessions``) on the wire, its settings, ``Vary: Cookie``, bad cookies, apps
without a secret key, custom session interfaces, the session object's flags,
``flash``/``get_flashed_messages``, ``client.session_transaction()``, and the session
in async views, copied contexts and streamed bodies.

Flask 3.1 is the reference: where the behaviour must equal Flask's, the same app runs
on Flask and on Carafe and the answers, or the cookies themselves, are compared.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from markupsafe import Markup

import carafe
import carafe.signals
from carafe.http.dates import parse_http_date
from carafe.sessions import (
    NullSession,
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
    SessionMixin,
)

flask = pytest.importorskip("flask")

SECRET = "correct horse battery staple"
UTC = timezone.utc

#: Values of every tagged type, and dicts and lists around them.
TAGGED: dict[str, Any] = {
    "tuple": (1, "two", 3.5),
    "bytes": b"\x00\xff binary",
    "markup": Markup("<em>kept</em> &amp;"),
    "uuid": UUID("12345678-1234-5678-1234-567812345678"),
    "when": datetime(2024, 2, 29, 23, 59, 58, tzinfo=UTC),
    "nested": {"inner": {"deeper": [1, {"pair": (2, 3)}]}},
    "tag_like": {" t": 1},
    "tag_like_tagged": {" di": (b"x",)},
    "pairs": [(1, "a"), (2, "b")],
    "unicode": "café 日本語 \u2028 🍵",
}

# -- helpers ------------------------------------------------------------------------


def cookie_signer(
    secret: str | bytes = SECRET,
    *,
    signed_at: int | None = None,
    serializer: Any = None,
    salt: str = "cookie-session",
) -> URLSafeTimedSerializer:
    """An itsdangerous serializer that signs as Flask's session interface does
    (salt, HMAC key derivation, SHA-1), optionally with a fixed timestamp or another
    payload serializer."""
    signer_class = TimestampSigner
    if signed_at is not None:

        class FixedTimeSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return signed_at

        signer_class = FixedTimeSigner
    options: dict[str, Any] = {} if serializer is None else {"serializer": serializer}
    return URLSafeTimedSerializer(
        secret,
        salt=salt,
        signer=signer_class,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
        **options,
    )


class RawText:
    """A payload "serializer" that signs a string as it is: for payloads that are not
    tagged JSON at all, or tagged JSON of a bad value, under a valid signature."""

    def dumps(self, value: Any) -> str:
        return value if isinstance(value, str) else "{}"

    def loads(self, value: str) -> Any:
        return value


def set_cookie_headers(response: Any, name: str = "session") -> list[str]:
    """The response's ``Set-Cookie`` headers for cookie ``name``."""
    return [
        value
        for value in response.headers.getlist("Set-Cookie")
        if value.partition("=")[0].strip() == name
    ]


def cookie_value(response: Any, name: str = "session") -> str:
    """The value of the one cookie ``name`` the response sets."""
    (header,) = set_cookie_headers(response, name)
    return header.split(";", 1)[0].partition("=")[2]


def cookie_attributes(header: str) -> dict[str, str]:
    """The attributes of a ``Set-Cookie`` header, by lower-cased name."""
    attributes = {}
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return attributes


def vary(response: Any) -> list[str]:
    """The response's ``Vary`` values."""
    return [v.strip() for value in response.headers.getlist("Vary") for v in value.split(",")]


def both(make: Callable[[ModuleType], Any]) -> tuple[Any, Any]:
    """``make(carafe)`` and ``make(flask)``: the same app on each framework."""
    return make(carafe), make(flask)


def recorded_session(app: Any, module: ModuleType) -> list[dict[str, Any]]:
    """Add ``/dump``, which records ``dict(session)`` into the list returned."""
    seen: list[dict[str, Any]] = []

    @app.route("/dump")
    def dump() -> str:
        seen.append(dict(module.session))
        return "dumped"

    return seen


@pytest.fixture
def app() -> carafe.Flask:
    """A testing app with a secret key."""
    application = carafe.Flask("sessions")
    application.config["TESTING"] = True
    application.secret_key = SECRET
    return application


# -- wire compatibility with Flask --------------------------------------------------


def tagged_app(module: ModuleType, **config: Any) -> Any:
    """``/store`` puts every tagged value in the session; ``/dump`` records it."""
    app = module.Flask("wire")
    app.secret_key = SECRET
    app.config.update(config)

    @app.route("/store")
    def store() -> str:
        module.session.update(TAGGED)
        return "stored"

    app.seen = recorded_session(app, module)
    return app


def _types(value: Any) -> Any:
    """The value's shape with its types: equal values of other types differ here."""
    if isinstance(value, dict):
        return (dict, {key: _types(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return (type(value), [_types(item) for item in value])
    return type(value)


def test_flask_cookie_loads_in_carafe() -> None:
    ours, theirs = both(tagged_app)
    value = cookie_value(theirs.test_client().get("/store"))
    client = ours.test_client()
    client.set_cookie("session", value)
    assert client.get("/dump").text == "dumped"
    assert ours.seen == [TAGGED]
    assert _types(ours.seen[0]) == _types(TAGGED)


def test_carafe_cookie_loads_in_flask() -> None:
    ours, theirs = both(tagged_app)
    value = cookie_value(ours.test_client().get("/store"))
    client = theirs.test_client()
    client.set_cookie("session", value)
    assert client.get("/dump").text == "dumped"
    assert theirs.seen == [TAGGED]
    assert _types(theirs.seen[0]) == _types(TAGGED)


def test_cookie_payload_is_flasks_byte_for_byte() -> None:
    # The signed payload (zlib-compressed here, so it starts with a dot) is the same;
    # only the timestamp and the signature over it may differ.
    ours, theirs = both(tagged_app)
    our_value = cookie_value(ours.test_client().get("/store"))
    their_value = cookie_value(theirs.test_client().get("/store"))
    assert our_value.rsplit(".", 2)[0] == their_value.rsplit(".", 2)[0]
    assert our_value.startswith(".")


def test_cookie_round_trips_through_both_frameworks() -> None:
    # Carafe writes, Flask adds a key and writes again, Carafe reads it all.
    def make(module: ModuleType) -> Any:
        app = tagged_app(module)

        @app.route("/add")
        def add() -> str:
            module.session["added_by"] = module.__name__
            return "added"

        return app

    ours, theirs = both(make)
    our_client, their_client = ours.test_client(), theirs.test_client()
    their_client.set_cookie("session", cookie_value(our_client.get("/store")))
    our_client.set_cookie("session", cookie_value(their_client.get("/add")))
    our_client.get("/dump")
    assert ours.seen == [{**TAGGED, "added_by": "flask"}]


def test_cookie_signed_by_itsdangerous_directly_loads() -> None:
    ours = tagged_app(carafe)
    client = ours.test_client()
    client.set_cookie("session", cookie_signer().dumps({"user": "ann", "ids": [1, 2]}))
    client.get("/dump")
    assert ours.seen == [{"user": "ann", "ids": [1, 2]}]


# -- SECRET_KEY_FALLBACKS -----------------------------------------------------------


def test_cookie_signed_with_a_fallback_key_loads() -> None:
    old_app = tagged_app(flask, SECRET_KEY="old key")
    value = cookie_value(old_app.test_client().get("/store"))
    ours = tagged_app(carafe, SECRET_KEY="new key", SECRET_KEY_FALLBACKS=["older", "old key"])
    client = ours.test_client()
    client.set_cookie("session", value)
    client.get("/dump")
    assert ours.seen == [TAGGED]


def test_fallback_keys_as_bytes() -> None:
    value = cookie_signer(b"old key").dumps({"a": 1})
    ours = tagged_app(carafe, SECRET_KEY=b"new key", SECRET_KEY_FALLBACKS=[b"old key"])
    client = ours.test_client()
    client.set_cookie("session", value)
    client.get("/dump")
    assert ours.seen == [{"a": 1}]


def test_new_cookies_are_signed_with_the_current_key() -> None:
    ours = tagged_app(carafe, SECRET_KEY="new key", SECRET_KEY_FALLBACKS=["old key"])
    value = cookie_value(ours.test_client().get("/store"))
    current_only = tagged_app(flask, SECRET_KEY="new key")
    old_only = tagged_app(flask, SECRET_KEY="old key")
    for flask_app in (current_only, old_only):
        client = flask_app.test_client()
        client.set_cookie("session", value)
        client.get("/dump")
    assert current_only.seen == [TAGGED]
    assert old_only.seen == [{}]


def test_cookie_of_a_key_not_listed_does_not_load() -> None:
    value = cookie_signer("retired key").dumps({"a": 1})
    ours = tagged_app(carafe, SECRET_KEY="new key", SECRET_KEY_FALLBACKS=["old key"])
    client = ours.test_client()
    client.set_cookie("session", value)
    client.get("/dump")
    assert ours.seen == [{}]


# -- settings -----------------------------------------------------------------------


def settings_app(module: ModuleType, **config: Any) -> Any:
    """``/write`` sets a key, ``/permanent`` too in a permanent session, ``/clear``
    empties the session, ``/untouched`` never uses it, ``/read`` reads it."""
    app = module.Flask("settings")
    app.secret_key = SECRET
    app.config.update(config)

    @app.route("/write")
    def write() -> str:
        module.session["user"] = "ann"
        return "written"

    @app.route("/permanent")
    def permanent() -> str:
        module.session["user"] = "ann"
        module.session.permanent = True
        return "permanent"

    @app.route("/clear")
    def clear() -> str:
        module.session.clear()
        return "cleared"

    @app.route("/untouched")
    def untouched() -> str:
        return "untouched"

    @app.route("/read")
    def read() -> str:
        return str(module.session.get("user"))

    return app


COOKIE_SETTINGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "every setting": {
        "SESSION_COOKIE_NAME": "sid",
        "SESSION_COOKIE_DOMAIN": "example.test",
        "SESSION_COOKIE_PATH": "/app",
        "SESSION_COOKIE_HTTPONLY": False,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_PARTITIONED": True,
    },
    "application root": {"APPLICATION_ROOT": "/root"},
    "path over application root": {"APPLICATION_ROOT": "/root", "SESSION_COOKIE_PATH": "/p"},
    "samesite strict": {"SESSION_COOKIE_SAMESITE": "Strict"},
    "samesite lower case": {"SESSION_COOKIE_SAMESITE": "lax"},
    "samesite none": {"SESSION_COOKIE_SAMESITE": "None", "SESSION_COOKIE_SECURE": True},
    "leading-dot domain": {"SESSION_COOKIE_DOMAIN": ".example.test"},
    "lifetime in seconds": {"PERMANENT_SESSION_LIFETIME": 90},
}


def _comparable(header: str) -> tuple[str, datetime | None]:
    """A Set-Cookie header with its value and Expires date taken out, and that date."""
    name_value, _, attributes = header.partition(";")
    parts, expires = [], None
    for part in attributes.split(";"):
        if part.strip().lower().startswith("expires="):
            expires = parse_http_date(part.strip()[8:])
            part = " Expires=<date>"
        parts.append(part)
    return name_value.partition("=")[0] + "=<value>;" + ";".join(parts), expires


@pytest.mark.parametrize("path", ["/write", "/permanent", "/clear"])
@pytest.mark.parametrize("config", COOKIE_SETTINGS.values(), ids=COOKIE_SETTINGS.keys())
def test_cookie_attributes_are_flasks(config: dict[str, Any], path: str) -> None:
    ours, theirs = both(lambda module: settings_app(module, **config))
    our_response = ours.test_client().get(path)
    their_response = theirs.test_client().get(path)
    name = config.get("SESSION_COOKIE_NAME", "session")
    (our_header,) = set_cookie_headers(our_response, name)
    (their_header,) = set_cookie_headers(their_response, name)
    our_text, our_expires = _comparable(our_header)
    their_text, their_expires = _comparable(their_header)
    assert our_text == their_text
    assert vary(our_response) == vary(their_response) == ["Cookie"]
    if path == "/write":
        assert our_expires is None
    else:
        # (Each stamped with its own clock reading: a second apart at most.)
        assert our_expires is not None and their_expires is not None
        assert abs(our_expires - their_expires) <= timedelta(seconds=2)


@pytest.mark.parametrize("lifetime", [timedelta(hours=3), 3 * 3600])
def test_permanent_sessions_expire_after_the_lifetime(
    app: carafe.Flask, lifetime: timedelta | int
) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = lifetime
    assert app.permanent_session_lifetime == timedelta(hours=3)
    app.add_url_rule("/permanent", view_func=settings_app(carafe).view_functions["permanent"])
    app.add_url_rule("/write", view_func=settings_app(carafe).view_functions["write"])
    client = app.test_client()
    before = datetime.now(UTC).replace(microsecond=0)
    (header,) = set_cookie_headers(client.get("/permanent"))
    after = datetime.now(UTC)
    expires = parse_http_date(cookie_attributes(header)["expires"])
    assert expires is not None
    assert before + timedelta(hours=3) <= expires <= after + timedelta(hours=3)
    # A session that is not permanent lasts as long as the browser: no Expires.
    (header,) = set_cookie_headers(app.test_client().get("/write"))
    assert "expires" not in cookie_attributes(header)
    assert "max-age" not in cookie_attributes(header)


@pytest.mark.parametrize(
    ("lifetime", "age", "loads"),
    [
        (None, timedelta(days=30), True),
        (None, timedelta(days=32), False),
        (timedelta(minutes=10), timedelta(minutes=9), True),
        (timedelta(minutes=10), timedelta(minutes=11), False),
        (600, timedelta(seconds=60), True),
        (600, timedelta(seconds=660), False),
        (None, timedelta(hours=-1), False),
    ],
    ids=["31d-30d", "31d-32d", "10m-9m", "10m-11m", "600s-60s", "600s-660s", "future"],
)
def test_cookie_older_than_the_lifetime_gives_an_empty_session(
    lifetime: timedelta | int | None, age: timedelta, loads: bool
) -> None:
    config = {} if lifetime is None else {"PERMANENT_SESSION_LIFETIME": lifetime}
    signed_at = int(time.time() - age.total_seconds())
    value = cookie_signer(signed_at=signed_at).dumps({"user": "ann", "_permanent": True})
    answers = []
    for app in both(lambda module: settings_app(module, **config)):
        client = app.test_client()
        client.set_cookie("session", value)
        answers.append(client.get("/read").text)
    assert answers == ["ann" if loads else "None"] * 2


REFRESH_CASES = [
    # (SESSION_REFRESH_EACH_REQUEST, login view, view, cookie sent again, Vary: Cookie)
    (True, "/permanent", "/untouched", True, True),
    (True, "/permanent", "/read", True, True),
    (False, "/permanent", "/untouched", False, False),
    (False, "/permanent", "/read", False, True),
    (True, "/write", "/untouched", False, False),
    (True, "/write", "/read", False, True),
    (False, "/write", "/untouched", False, False),
    (False, "/write", "/read", False, True),
]


@pytest.mark.parametrize(("refresh", "login", "path", "resent", "varies"), REFRESH_CASES)
def test_refresh_each_request(
    refresh: bool, login: str, path: str, resent: bool, varies: bool
) -> None:
    answers = []
    for app in both(lambda module: settings_app(module, SESSION_REFRESH_EACH_REQUEST=refresh)):
        client = app.test_client()
        client.get(login)
        response = client.get(path)
        headers = set_cookie_headers(response)
        answers.append((bool(headers), "Cookie" in vary(response)))
        if headers:
            assert "expires" in cookie_attributes(headers[0])
            # The cookie sent again holds the same session.
            assert client.get("/read").text == "ann"
    assert answers == [(resent, varies)] * 2


def test_refresh_setting_changed_after_the_first_request() -> None:
    app = settings_app(carafe, SESSION_REFRESH_EACH_REQUEST=False)
    client = app.test_client()
    client.get("/permanent")
    assert set_cookie_headers(client.get("/untouched")) == []
    app.config["SESSION_REFRESH_EACH_REQUEST"] = True
    assert len(set_cookie_headers(client.get("/untouched"))) == 1


def test_cookie_name_setting_is_the_cookie_read() -> None:
    app = settings_app(carafe, SESSION_COOKIE_NAME="sid")
    client = app.test_client()
    client.set_cookie("session", cookie_signer().dumps({"user": "ann"}))
    assert client.get("/read").text == "None"
    client.set_cookie("sid", cookie_signer().dumps({"user": "bob"}))
    assert client.get("/read").text == "bob"


def test_cookie_path_keeps_the_session_to_its_path() -> None:
    def make(module: ModuleType) -> Any:
        app = settings_app(module, SESSION_COOKIE_PATH="/app")
        app.add_url_rule("/app/read", "app_read", app.view_functions["read"])
        return app

    answers = []
    for app in both(make):
        client = app.test_client()
        client.get("/write")
        answers.append((client.get("/read").text, client.get("/app/read").text))
    # The cookie /write set has Path=/app: only requests under /app carry it.
    assert answers == [("None", "ann")] * 2


#: A value whose cookie is over 4093 bytes even compressed.
INCOMPRESSIBLE = "".join(hashlib.sha256(str(number).encode()).hexdigest() for number in range(99))


def big_app(module: ModuleType) -> Any:
    app = settings_app(module)

    @app.route("/big")
    def big() -> str:
        module.session["big"] = INCOMPRESSIBLE
        return "big"

    return app


def test_oversized_session_cookie_warns_as_flask_does() -> None:
    for app in both(big_app):
        client = app.test_client()
        with pytest.warns(UserWarning, match="The 'session' cookie is too large"):
            response = client.get("/big")
        assert response.status_code == 200
        assert len(set_cookie_headers(response)) == 1


def test_max_cookie_size_setting_applies_to_the_session_cookie() -> None:
    for app in both(big_app):
        app.config["MAX_COOKIE_SIZE"] = 0
        # (Warnings are errors in this suite: a warning here fails the test.)
        assert app.test_client().get("/big").status_code == 200
        app.config["MAX_COOKIE_SIZE"] = 50
        with pytest.warns(UserWarning, match="The 'session' cookie is too large"):
            app.test_client().get("/write")


# -- Vary: Cookie -------------------------------------------------------------------

#: Ways a view reads the session without changing it.
READS: dict[str, Callable[[Any], Any]] = {
    "item": lambda session: session["user"],
    "get": lambda session: session.get("user"),
    "get missing": lambda session: session.get("missing"),
    "in": lambda session: "user" in session,
    "len": len,
    "bool": bool,
    "iteration": lambda session: [key for key in session],
    "keys": lambda session: list(session.keys()),
    "values": lambda session: list(session.values()),
    "items": lambda session: list(session.items()),
    "copy": lambda session: session.copy(),
    "dict": dict,
    "permanent": lambda session: session.permanent,
    "setdefault of a present key": lambda session: session.setdefault("user", "bob"),
}

#: Ways a view changes the session.
WRITES: dict[str, Callable[[Any], Any]] = {
    "set item": lambda session: session.__setitem__("other", 1),
    "set item to the same value": lambda session: session.__setitem__("user", "ann"),
    "delete item": lambda session: session.__delitem__("user"),
    "pop": lambda session: session.pop("user"),
    "popitem": lambda session: session.popitem(),
    "update": lambda session: session.update(other=1),
    "in-place or": lambda session: session.__ior__({"other": 1}),
    "setdefault of a new key": lambda session: session.setdefault("other", 1),
    "clear": lambda session: session.clear(),
    "permanent": lambda session: setattr(session, "permanent", True),
    "modified flag": lambda session: setattr(session, "modified", True),
}


def access_app(module: ModuleType, access: Callable[[Any], Any]) -> Any:
    """``/login`` sets ``user`` in a (not permanent) session; ``/access`` applies
    ``access`` to the session; ``/untouched`` does not use it."""
    app = settings_app(module)
    app.view_functions.pop("write")

    @app.route("/login")
    def login() -> str:
        module.session["user"] = "ann"
        return "in"

    @app.route("/access")
    def access_view() -> str:
        access(module.session)
        return "accessed"

    return app


def access_answers(access: Callable[[Any], Any], *, logged_in: bool = True) -> list[Any]:
    """(Vary values, session Set-Cookie headers without their values) of ``/access``
    on Carafe and on Flask."""
    answers = []
    for app in both(lambda module: access_app(module, access)):
        client = app.test_client()
        if logged_in:
            client.get("/login")
        response = client.get("/access")
        cookies = [_comparable(header)[0] for header in set_cookie_headers(response)]
        answers.append((vary(response), cookies))
    return answers


@pytest.mark.parametrize("access", READS.values(), ids=READS.keys())
def test_reading_the_session_varies_by_cookie(access: Callable[[Any], Any]) -> None:
    assert access_answers(access) == [(["Cookie"], [])] * 2


#: The reads that are reads in an empty session too.
EMPTY_READS = {name: read for name, read in READS.items() if "setdefault" not in name}


@pytest.mark.parametrize("access", EMPTY_READS.values(), ids=EMPTY_READS.keys())
def test_reading_an_empty_session_varies_by_cookie(access: Callable[[Any], Any]) -> None:
    assert access_answers(access, logged_in=False) == [(["Cookie"], [])] * 2


@pytest.mark.parametrize("access", WRITES.values(), ids=WRITES.keys())
def test_writing_the_session_varies_by_cookie_and_sends_it(access: Callable[[Any], Any]) -> None:
    ours, theirs = access_answers(access)
    assert ours == theirs
    assert ours[0] == ["Cookie"]
    assert len(ours[1]) == 1


@pytest.mark.parametrize(
    "access",
    [
        pytest.param(repr, id="repr"),
        pytest.param(lambda session: session == {"user": "ann"}, id="equality"),
        pytest.param(lambda session: session.modified, id="modified flag read"),
    ],
)
def test_other_uses_of_the_session_vary_by_cookie(access: Callable[[Any], Any]) -> None:
    assert access_answers(access) == [(["Cookie"], [])] * 2


@pytest.mark.parametrize("logged_in", [True, False], ids=["with a session", "without"])
def test_untouched_session_sends_no_cookie_and_no_vary(logged_in: bool) -> None:
    assert access_answers(lambda session: None, logged_in=logged_in) == [([], [])] * 2


def test_vary_cookie_joins_the_vary_the_view_set() -> None:
    def make(module: ModuleType) -> Any:
        app = access_app(module, READS["get"])

        @app.route("/negotiated")
        def negotiated() -> Any:
            module.session.get("user")
            return "x", {"Vary": "Accept-Encoding"}

        @app.route("/already")
        def already() -> Any:
            module.session.get("user")
            return "x", {"Vary": "cookie"}

        return app

    answers = []
    for app in both(make):
        client = app.test_client()
        answers.append(
            [client.get(path).headers.getlist("Vary") for path in ("/negotiated", "/already")]
        )
    assert answers[0] == answers[1] == [["Accept-Encoding, Cookie"], ["cookie"]]


def test_vary_cookie_keeps_every_vary_header(app: carafe.Flask, client: Any) -> None:
    # (Flask keeps only the first Vary header's values here; Carafe keeps them all.)
    @app.route("/two")
    def two() -> Any:
        carafe.session["user"] = "ann"
        return "x", [("Vary", "Accept"), ("Vary", "Origin")]

    @app.route("/star")
    def star() -> Any:
        carafe.session["user"] = "ann"
        return "x", {"Vary": "*"}

    assert sorted(vary(client.get("/two"))) == ["Accept", "Cookie", "Origin"]
    # "*" varies by everything, the cookie included.
    assert "*" in vary(client.get("/star"))


@pytest.mark.parametrize("config", COOKIE_SETTINGS.values(), ids=COOKIE_SETTINGS.keys())
def test_emptied_session_deletes_the_cookie(config: dict[str, Any]) -> None:
    name = config.get("SESSION_COOKIE_NAME", "session")
    path = config.get("SESSION_COOKIE_PATH") or config.get("APPLICATION_ROOT") or "/"

    def make(module: ModuleType) -> Any:
        app = settings_app(module, **config)

        @app.route(f"{path.rstrip('/')}/logout")
        def logout() -> str:
            del module.session["user"]
            return "out"

        return app

    # (Over HTTPS to the cookie's domain, so that the client sends a Secure cookie and
    # one with a Domain back.)
    base_url = "https://example.test"
    ours, theirs = both(make)
    answers = []
    for app in (ours, theirs):
        client = app.test_client()
        (set_header,) = set_cookie_headers(client.get("/write", base_url=base_url), name)
        response = client.get(f"{path.rstrip('/')}/logout", base_url=base_url)
        (delete_header,) = set_cookie_headers(response, name)
        attributes = cookie_attributes(delete_header)
        assert delete_header.startswith(f"{name}=;")
        assert attributes.pop("max-age") == "0"
        assert attributes.pop("expires") == "Thu, 01 Jan 1970 00:00:00 GMT"
        # The same cookie as the one set: a browser only deletes a cookie of the
        # same name, domain and path.
        assert attributes == cookie_attributes(set_header)
        assert vary(response) == ["Cookie"]
        answers.append(delete_header)
    assert answers[0] == answers[1]


def test_emptied_session_leaves_the_client_without_the_cookie(
    app: carafe.Flask, client: Any
) -> None:
    app.add_url_rule("/write", view_func=settings_app(carafe).view_functions["write"])

    @app.route("/logout")
    def logout() -> str:
        carafe.session.clear()
        return "out"

    client.get("/write")
    assert client.get_cookie("session") is not None
    client.get("/logout")
    assert client.get_cookie("session") is None


@pytest.mark.parametrize("logged_in", [True, False], ids=["with a session", "without"])
def test_pop_of_a_missing_key_is_not_a_change(logged_in: bool) -> None:
    answers = access_answers(lambda session: session.pop("missing", None), logged_in=logged_in)
    assert answers == [(["Cookie"], [])] * 2


# -- bad cookies --------------------------------------------------------------------


def _tampered(value: str) -> str:
    """``value`` with one character of its signature changed. (Not the last: the last
    base64 character of a SHA-1 signature holds 2 bits, and some changes to it decode
    to the same signature.)"""
    index = len(value) - 5
    return value[:index] + ("A" if value[index] != "A" else "B") + value[index + 1 :]


def _bad_cookies() -> dict[str, str]:
    good = cookie_signer().dumps({"user": "ann"})
    raw = cookie_signer(serializer=RawText())
    return {
        "tampered signature": _tampered(good),
        "tampered payload": "eyJ1c2VyIjoiYm9iIn0" + good[good.index(".") :],
        "truncated": good[: len(good) // 2],
        "signature only": good.rsplit(".", 1)[1],
        "garbage base64": "!!!not*base64$$$.###.@@@",
        "not json": raw.dumps("{not json"),
        "json list": raw.dumps("[1, 2]"),
        "json string": raw.dumps('"user"'),
        "bad tagged uuid": raw.dumps('{"id": {" u": "not-a-uuid"}}'),
        "bad zlib": "." + good,
        "another secret": cookie_signer("another secret").dumps({"user": "ann"}),
        "another salt": cookie_signer(salt="itsdangerous").dumps({"user": "ann"}),
        "huge": good + "A" * 30_000,
        # UTF-8 bytes, as they arrive (WSGI headers are latin-1 strings).
        "utf-8": "séssion☃".encode().decode("latin-1"),
        "empty": "",
    }


BAD_COOKIES = _bad_cookies()


def test_bad_tagged_date_reads_as_none_as_in_flask() -> None:
    cookie = cookie_signer(serializer=RawText()).dumps('{"when": {" d": "yesterday"}, "a": 1}')
    seen = []
    for module in (flask, carafe):
        app = module.Flask(__name__)
        app.secret_key = SECRET

        @app.route("/")
        def read() -> str:
            return repr(sorted(module.session.items()))

        client = app.test_client(use_cookies=False)
        seen.append(client.get("/", headers={"Cookie": f"session={cookie}"}).text)
    assert seen[0] == seen[1] == "[('a', 1), ('when', None)]"


@pytest.mark.parametrize("value", BAD_COOKIES.values(), ids=BAD_COOKIES.keys())
def test_bad_cookie_gives_an_empty_session(value: str) -> None:
    app = settings_app(carafe)
    app.view_functions.pop("read")

    @app.route("/read")
    def read() -> str:
        return ",".join(carafe.session) or "empty"

    # (Flask answers some of these, a valid signature over a bad payload, with a 500.)
    client = app.test_client(use_cookies=False)
    response = client.get("/read", headers={"Cookie": f"session={value}"})
    assert (response.status_code, response.text) == (200, "empty")
    assert set_cookie_headers(response) == []
    response = client.get("/write", headers={"Cookie": f"session={value}"})
    assert response.status_code == 200
    # A fresh cookie replaces the bad one.
    fresh = app.test_client()
    fresh.set_cookie("session", cookie_value(response))
    assert fresh.get("/read").text == "user"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("session={good}; session=zzz", "user"),
        ("session=zzz; session={good}", "empty"),
        ("other=1; session={good}; last=2", "user"),
        ("session={good}; padding={padding}", "user"),
        ('session="{good}"', "user"),
        ("session", "empty"),
        ("session=", "empty"),
        (";;; session={good} ;;", "user"),
    ],
    ids=["good first", "bad first", "among others", "long", "quoted", "bare", "empty", "stray"],
)
def test_cookie_header_shapes_are_read_as_flask_reads_them(header: str, expected: str) -> None:
    good = cookie_signer().dumps({"user": "ann"})
    cookie = header.format(good=good, padding="y" * 30_000)

    def make(module: ModuleType) -> Any:
        app = module.Flask("shapes")
        app.secret_key = SECRET

        @app.route("/read")
        def read() -> str:
            return ",".join(module.session) or "empty"

        return app

    answers = [
        app.test_client(use_cookies=False).get("/read", headers={"Cookie": cookie}).text
        for app in both(make)
    ]
    assert answers == [expected] * 2


def test_bad_cookie_never_reaches_the_error_handlers(app: carafe.Flask, client: Any) -> None:
    app.config["TESTING"] = False
    errors: list[Exception] = []

    @app.errorhandler(Exception)
    def handle(error: Exception) -> tuple[str, int]:
        errors.append(error)
        return "handled", 500

    @app.route("/read")
    def read() -> str:
        return str(carafe.session.get("user"))

    for value in BAD_COOKIES.values():
        response = client.get("/read", headers={"Cookie": f"session={value}"})
        assert (response.status_code, response.text) == (200, "None")
    assert errors == []


# -- no secret key ------------------------------------------------------------------


def keyless_app(module: ModuleType, change: Callable[[Any], Any] = WRITES["set item"]) -> Any:
    """A testing app without ``SECRET_KEY``: ``/read`` describes the session,
    ``/change`` applies ``change`` to it."""
    app = module.Flask("keyless")
    app.testing = True

    @app.route("/read")
    def read() -> str:
        session = module.session
        null = isinstance(session, module.sessions.NullSession)
        return f"{null} {dict(session)} {session.get('user')} {'user' in session} {len(session)}"

    @app.route("/change")
    def change_view() -> str:
        change(module.session)
        return "changed"

    return app


@pytest.mark.parametrize("secret_key", [None, ""], ids=["none", "empty"])
def test_without_a_secret_key_the_session_reads_empty(secret_key: str | None) -> None:
    answers = []
    for app in both(keyless_app):
        app.secret_key = secret_key
        client = app.test_client()
        # A cookie that would be valid with a key is not even looked at.
        client.set_cookie("session", cookie_signer().dumps({"user": "ann"}))
        response = client.get("/read")
        answers.append((response.text, response.headers.getlist("Set-Cookie"), vary(response)))
    assert answers == [("True {} None False 0", [], [])] * 2


#: The changes a session without a secret key refuses (Flask's lets ``|=`` through,
#: Carafe's refuses it too).
REFUSED = {name: WRITES[name] for name in WRITES if name not in ("modified flag", "in-place or")}


@pytest.mark.parametrize("change", REFUSED.values(), ids=REFUSED.keys())
def test_without_a_secret_key_changes_raise_flasks_error(change: Callable[[Any], Any]) -> None:
    messages = []
    for app in both(lambda module: keyless_app(module, change)):
        with pytest.raises(RuntimeError) as caught:
            app.test_client().get("/change")
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "no secret key was set" in messages[0]


def test_without_a_secret_key_nothing_is_saved() -> None:
    answers = []
    for app in both(keyless_app):
        app.testing = False
        response = app.test_client().get("/change")
        answers.append((response.status_code, response.headers.getlist("Set-Cookie")))
    # The RuntimeError is an unhandled error: a 500, and no cookie.
    assert answers == [(500, [])] * 2


def test_without_a_secret_key_the_modified_flag_saves_nothing() -> None:
    answers = []
    for app in both(lambda module: keyless_app(module, WRITES["modified flag"])):
        response = app.test_client().get("/change")
        answers.append((response.status_code, response.headers.getlist("Set-Cookie")))
    assert answers == [(200, [])] * 2


def test_null_session_refuses_every_change_directly() -> None:
    session = NullSession()
    for change in (*REFUSED.values(), WRITES["in-place or"]):
        with pytest.raises(RuntimeError, match="no secret key was set"):
            change(session)
    assert dict(session) == {}
    assert session.permanent is False
    assert SecureCookieSessionInterface().is_null_session(session)
    assert not SecureCookieSessionInterface().is_null_session(SecureCookieSession())


# -- custom session interfaces ------------------------------------------------------


class ServerSession(dict, SessionMixin):  # type: ignore[type-arg]
    """A server-side session: the data stays in memory, the cookie holds its id."""

    def __init__(self, sid: str, data: Any = ()) -> None:
        super().__init__(data)
        self.sid = sid


class GuestSession(dict, SessionMixin):  # type: ignore[type-arg]
    """What a request without an id gets: usable, never saved."""


class MemorySessionInterface(SessionInterface):
    """Sessions in a dict keyed by a random ``sid`` cookie; the calls are logged."""

    null_session_class = GuestSession

    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, int]] = []

    def open_session(self, app: Any, request: Any) -> ServerSession | None:
        sid = request.cookies.get("sid")
        if sid == "refused":
            self.calls.append(("open", 0))
            return None
        if sid is None or sid not in self.store:
            sid = secrets.token_urlsafe(16)
        session = ServerSession(sid, self.store.get(sid, {}))
        self.calls.append(("open", id(session)))
        return session

    def save_session(self, app: Any, session: Any, response: Any) -> None:
        self.calls.append(("save", id(session)))
        self.store[session.sid] = dict(session)
        response.set_cookie("sid", session.sid, path=self.get_cookie_path(app), httponly=True)


def memory_app(interface: SessionInterface | None = None) -> carafe.Flask:
    app = carafe.Flask("memory")
    app.testing = True
    app.session_interface = interface or MemorySessionInterface()

    @app.route("/login")
    def login() -> str:
        carafe.session["user"] = "ann"
        return "in"

    @app.route("/whoami")
    def whoami() -> str:
        return f"{carafe.session.__class__.__name__} {carafe.session.get('user')}"

    @app.route("/untouched")
    def untouched() -> str:
        return "untouched"

    return app


def test_custom_interface_keeps_sessions_server_side() -> None:
    app = memory_app()
    interface = app.session_interface
    assert isinstance(interface, MemorySessionInterface)
    client = app.test_client()
    client.get("/login")
    sid = client.get_cookie("sid")
    assert sid is not None
    # The cookie holds only the id; the data is in the store.
    assert interface.store == {sid.value: {"user": "ann"}}
    assert client.get_cookie("session") is None
    assert client.get("/whoami").text == "ServerSession ann"
    # Another client, without the id, has its own session.
    assert app.test_client().get("/whoami").text == "ServerSession None"


def test_custom_interface_opens_and_saves_the_same_session() -> None:
    app = memory_app()
    interface = app.session_interface
    assert isinstance(interface, MemorySessionInterface)
    client = app.test_client()
    client.get("/login")
    client.get("/whoami")
    assert [name for name, _ in interface.calls] == ["open", "save"] * 2
    # Each request saves the object it opened.
    assert interface.calls[0][1] == interface.calls[1][1]
    assert interface.calls[2][1] == interface.calls[3][1]


def test_open_session_returning_none_gives_the_null_session() -> None:
    app = memory_app()
    interface = app.session_interface
    assert isinstance(interface, MemorySessionInterface)
    client = app.test_client()
    client.set_cookie("sid", "refused")
    # make_null_session (null_session_class here) gives the session; it can be
    # changed, and is_null_session keeps it from being saved.
    assert client.get("/login").text == "in"
    assert client.get("/whoami").text == "GuestSession None"
    assert interface.calls == [("open", 0), ("open", 0)]
    assert interface.store == {}


def test_make_null_session_and_is_null_session_are_called() -> None:
    class Counting(MemorySessionInterface):
        def __init__(self) -> None:
            super().__init__()
            self.null_made = 0
            self.null_checks: list[str] = []

        def make_null_session(self, app: Any) -> Any:
            self.null_made += 1
            return ServerSession("guest")

        def is_null_session(self, obj: object) -> bool:
            self.null_checks.append(type(obj).__name__)
            return getattr(obj, "sid", None) == "guest"

    interface = Counting()
    app = memory_app(interface)
    client = app.test_client()
    client.set_cookie("sid", "refused")
    assert client.get("/login").text == "in"
    assert interface.null_made == 1
    assert interface.null_checks == ["ServerSession"]
    assert [name for name, _ in interface.calls] == ["open"]
    assert interface.store == {}


def test_default_null_session_class_of_a_custom_interface() -> None:
    class RefuseAll(SessionInterface):
        def open_session(self, app: Any, request: Any) -> None:
            return None

        def save_session(self, app: Any, session: Any, response: Any) -> None:
            raise AssertionError("a null session is never saved")

    app = memory_app(RefuseAll())
    client = app.test_client()
    assert client.get("/whoami").text == "NullSession None"
    with pytest.raises(RuntimeError, match="no secret key was set"):
        client.get("/login")


def test_custom_interface_is_called_on_every_request() -> None:
    def make(module: ModuleType) -> Any:
        class Logged(module.sessions.SessionInterface):  # type: ignore[name-defined]
            calls: list[str] = []

            def open_session(self, app: Any, request: Any) -> Any:
                self.calls.append("open")
                return module.sessions.SecureCookieSession()

            def save_session(self, app: Any, session: Any, response: Any) -> None:
                self.calls.append("save")

        app = module.Flask("logged")
        app.session_interface = Logged()

        @app.route("/untouched")
        def untouched() -> str:
            return "untouched"

        return app

    answers = []
    for app in both(make):
        app.test_client().get("/untouched")
        answers.append(app.session_interface.calls)
    assert answers[0] == answers[1] == ["open", "save"]


def test_interface_base_methods() -> None:
    interface = SessionInterface()
    app = carafe.Flask("base")
    app.config.update(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN="example.test",
        SESSION_COOKIE_PATH=None,
        APPLICATION_ROOT="/root",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PARTITIONED=True,
    )
    assert interface.get_cookie_name(app) == "sid"
    assert interface.get_cookie_domain(app) == "example.test"
    assert interface.get_cookie_path(app) == "/root"
    assert interface.get_cookie_httponly(app) is False
    assert interface.get_cookie_secure(app) is True
    assert interface.get_cookie_samesite(app) == "Lax"
    assert interface.get_cookie_partitioned(app) is True
    assert interface.pickle_based is False
    session = SecureCookieSession({"a": 1})
    assert interface.get_expiration_time(app, session) is None
    assert interface.should_set_cookie(app, session) is False
    session.permanent = True
    before = datetime.now(UTC)
    expires = interface.get_expiration_time(app, session)
    assert expires is not None
    assert before + timedelta(days=31) <= expires <= datetime.now(UTC) + timedelta(days=31)
    assert interface.should_set_cookie(app, SecureCookieSession({"_permanent": True}))
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    assert not interface.should_set_cookie(app, SecureCookieSession({"_permanent": True}))
    with pytest.raises(NotImplementedError):
        interface.open_session(app, None)  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError):
        interface.save_session(app, session, app.response_class())
    assert isinstance(interface.make_null_session(app), NullSession)


def test_overridden_cookie_name_is_the_one_refreshed() -> None:
    class Renamed(SecureCookieSessionInterface):
        def get_cookie_name(self, app: Any) -> str:
            return "renamed"

    app = settings_app(carafe)
    app.session_interface = Renamed()
    client = app.test_client()
    assert set_cookie_headers(client.get("/permanent"), "renamed")
    assert client.get("/read").text == "ann"
    # A permanent session is refreshed by a view that never reads it.
    assert set_cookie_headers(client.get("/untouched"), "renamed")


def test_subclass_may_change_the_salt_and_session_class() -> None:
    class Tracked(SecureCookieSession):
        pass

    class Salted(SecureCookieSessionInterface):
        salt = "another-salt"
        session_class = Tracked

    app = settings_app(carafe)
    app.session_interface = Salted()
    app.view_functions["untouched"] = lambda: carafe.session.__class__.__name__
    client = app.test_client()
    client.get("/write")
    value = client.get_cookie("session")
    assert value is not None
    assert cookie_signer(salt="another-salt").loads(value.value) == {"user": "ann"}
    assert client.get("/untouched").text == "Tracked"


# -- the session object -------------------------------------------------------------


def test_new_session_flags() -> None:
    session = SecureCookieSession()
    assert (session.new, session.modified, session.accessed) == (False, False, False)
    # Reading permanent is a read.
    assert session.permanent is False
    assert session.accessed
    assert not session.modified


def test_reading_marks_accessed_only() -> None:
    session = SecureCookieSession({"user": "ann"})
    assert not session.accessed
    assert session["user"] == "ann"
    assert (session.accessed, session.modified) == (True, False)


#: The changes made through the session's methods (not by setting its flag).
METHOD_WRITES = {name: WRITES[name] for name in WRITES if name != "modified flag"}


@pytest.mark.parametrize("change", METHOD_WRITES.values(), ids=METHOD_WRITES.keys())
def test_changing_marks_modified_and_accessed(change: Callable[[Any], Any]) -> None:
    session = SecureCookieSession({"user": "ann"})
    change(session)
    assert (session.modified, session.accessed) == (True, True)


def test_failed_changes_are_not_changes() -> None:
    session = SecureCookieSession()
    with pytest.raises(KeyError):
        del session["missing"]
    with pytest.raises(KeyError):
        session.pop("missing")
    with pytest.raises(KeyError):
        session.popitem()
    assert not session.modified


def test_permanent_is_the_permanent_key() -> None:
    session = SecureCookieSession()
    session.permanent = 1  # type: ignore[assignment]
    assert session == {"_permanent": True}
    assert session.permanent is True
    session.permanent = False
    assert session == {"_permanent": False}
    assert SecureCookieSession({"_permanent": True}).permanent


def test_mixin_defaults() -> None:
    # A session class that tracks nothing is always saved; it varies by cookie once
    # the request used it (the context marks it), as in Flask 3.1.3.
    class Plain(dict, SessionMixin):  # type: ignore[type-arg]
        pass

    session = Plain()
    assert (session.new, session.modified, session.accessed, session.permanent) == (
        False,
        True,
        False,
        False,
    )


def nested_app(module: ModuleType) -> Any:
    """``/start`` stores a list; ``/append`` changes it in place, ``/append-marked``
    too and sets ``modified``; ``/items`` shows it."""
    app = module.Flask("nested")
    app.secret_key = SECRET

    @app.route("/start")
    def start() -> str:
        module.session["items"] = ["a"]
        return "started"

    @app.route("/append")
    def append() -> str:
        module.session["items"].append("b")
        return "appended"

    @app.route("/append-marked")
    def append_marked() -> str:
        module.session["items"].append("c")
        module.session.modified = True
        return "appended"

    @app.route("/items")
    def items() -> str:
        return ",".join(module.session["items"])

    return app


def test_changes_inside_a_value_need_the_modified_flag() -> None:
    answers = []
    for app in both(nested_app):
        client = app.test_client()
        client.get("/start")
        unmarked = client.get("/append")
        after_unmarked = client.get("/items").text
        marked = client.get("/append-marked")
        answers.append(
            (
                set_cookie_headers(unmarked),
                after_unmarked,
                len(set_cookie_headers(marked)),
                client.get("/items").text,
            )
        )
    # Not saved without it (the change is lost), saved with it.
    assert answers == [([], "a", 1, "a,c")] * 2


def test_session_repr() -> None:
    assert repr(SecureCookieSession({"a": 1})) == "<SecureCookieSession {'a': 1}>"


# -- flashed messages ---------------------------------------------------------------


def flash_app(module: ModuleType) -> Any:
    """``/flash?m=..&c=..`` flashes (and redirects to ``/show`` with ``?next``), the
    ``/show`` views list the messages, each differently."""
    app = module.Flask("flashing")
    app.secret_key = SECRET

    @app.route("/flash")
    def flash_view() -> Any:
        for message, category in zip(
            module.request.args.getlist("m"), module.request.args.getlist("c")
        ):
            module.flash(message, category)
        if "plain" in module.request.args:
            module.flash(module.request.args["plain"])
        if "next" in module.request.args:
            return module.redirect(module.request.args["next"])
        return "flashed"

    @app.route("/show")
    def show() -> str:
        return repr(module.get_flashed_messages())

    @app.route("/show-categories")
    def show_categories() -> str:
        return repr(module.get_flashed_messages(with_categories=True))

    @app.route("/show-errors")
    def show_errors() -> str:
        return repr(
            (
                module.get_flashed_messages(category_filter=["error"]),
                module.get_flashed_messages(with_categories=True, category_filter=["error"]),
                module.get_flashed_messages(category_filter=("info", "warning")),
            )
        )

    @app.route("/show-twice")
    def show_twice() -> str:
        first = module.get_flashed_messages()
        return repr((first, module.get_flashed_messages(with_categories=True)))

    return app


FLASHES = {
    "m": ["saved", "careful", "failed", "note"],
    "c": ["message", "warning", "error", "info"],
    "plain": "hello",
}
MESSAGES = "['saved', 'careful', 'failed', 'note', 'hello']"
PAIRS = (
    "[('message', 'saved'), ('warning', 'careful'), ('error', 'failed'), ('info', 'note'),"
    " ('message', 'hello')]"
)
#: What each view shows of FLASHES: the first time, and the second.
SHOWN = {
    "/show": (MESSAGES, "[]"),
    "/show-categories": (PAIRS, "[]"),
    "/show-errors": (
        "(['failed'], [('error', 'failed')], ['careful', 'note'])",
        "([], [], [])",
    ),
    "/show-twice": (f"({MESSAGES}, {PAIRS})", "([], [])"),
}


@pytest.mark.parametrize(("show", "expected"), SHOWN.items(), ids=SHOWN.keys())
def test_flashed_messages_as_flask_shows_them(show: str, expected: tuple[str, str]) -> None:
    answers = []
    for app in both(flash_app):
        client = app.test_client()
        client.get("/flash", query_string=FLASHES)
        # Shown once, then gone.
        answers.append((client.get(show).text, client.get(show).text))
    assert answers == [expected] * 2


def test_flashed_messages_survive_one_redirect() -> None:
    answers = []
    for app in both(flash_app):
        client = app.test_client()
        response = client.get(
            "/flash",
            query_string={"m": "saved", "c": "message", "next": "/show"},
            follow_redirects=True,
        )
        answers.append((response.text, len(response.history), client.get("/show").text))
    assert answers == [("['saved']", 1, "[]")] * 2


def test_flashes_of_several_requests_add_up() -> None:
    answers = []
    for app in both(flash_app):
        client = app.test_client()
        client.get("/flash", query_string={"m": "one", "c": "message"})
        client.get("/flash", query_string={"m": "two", "c": "error"})
        answers.append(client.get("/show-categories").text)
    assert answers == ["[('message', 'one'), ('error', 'two')]"] * 2


def test_showing_the_messages_empties_the_session() -> None:
    answers = []
    for app in both(flash_app):
        client = app.test_client()
        client.get("/flash", query_string={"m": "one", "c": "message"})
        shown = client.get("/show")
        (header,) = set_cookie_headers(shown)
        answers.append((cookie_attributes(header).get("max-age"), vary(shown)))
        # Nothing flashed: nothing to save, but the page still varies by cookie.
        nothing = client.get("/show")
        answers.append((set_cookie_headers(nothing), vary(nothing)))
    assert answers[:2] == answers[2:] == [("0", ["Cookie"]), ([], ["Cookie"])]


def test_flashed_markup_stays_markup(app: carafe.Flask, client: Any) -> None:
    @app.route("/flash")
    def flash_view() -> str:
        carafe.flash(Markup("<b>bold</b>"), "info")
        return "flashed"

    shown: list[Any] = []

    @app.route("/show")
    def show() -> str:
        shown.extend(carafe.get_flashed_messages(with_categories=True))
        return "shown"

    client.get("/flash")
    client.get("/show")
    assert shown == [("info", Markup("<b>bold</b>"))]
    assert type(shown[0][1]) is Markup
    # The (category, message) pairs come back as tuples (tagged in the cookie).
    assert type(shown[0]) is tuple


def test_message_flashed_signal(app: carafe.Flask, client: Any) -> None:
    heard: list[tuple[Any, dict[str, Any]]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        heard.append((sender, kwargs))

    @app.route("/flash")
    def flash_view() -> str:
        carafe.flash("saved")
        carafe.flash("failed", "error")
        return "flashed"

    with carafe.signals.message_flashed.connected_to(receiver, app):
        client.get("/flash")
    assert heard == [
        (app, {"message": "saved", "category": "message"}),
        (app, {"message": "failed", "category": "error"}),
    ]
    assert carafe.signals.message_flashed.name == flask.message_flashed.name


def test_flash_without_a_secret_key_raises() -> None:
    messages = []
    for app in both(flash_app):
        app.secret_key = None
        app.testing = True
        with pytest.raises(RuntimeError) as caught:
            app.test_client().get("/flash", query_string={"m": "x", "c": "message"})
        messages.append(str(caught.value))
        # Reading the messages of a session without a key is fine: there are none.
        assert app.test_client().get("/show").text == "[]"
    assert messages[0] == messages[1]


def test_flash_outside_a_request_raises(app: carafe.Flask) -> None:
    with pytest.raises(RuntimeError, match="outside of request context"):
        carafe.flash("nowhere")
    with pytest.raises(RuntimeError, match="outside of request context"):
        carafe.get_flashed_messages()
    with app.app_context(), pytest.raises(RuntimeError, match="outside of request context"):
        carafe.flash("nowhere")


def test_flash_in_a_test_request_context(app: carafe.Flask) -> None:
    with app.test_request_context():
        carafe.flash("here", "info")
        assert carafe.session["_flashes"] == [("info", "here")]
        # The first call of a request takes them out of the session.
        assert carafe.get_flashed_messages(with_categories=True) == [("info", "here")]
        assert "_flashes" not in carafe.session
        assert carafe.get_flashed_messages() == ["here"]


# -- client.session_transaction() ---------------------------------------------------


def test_session_transaction_before_a_request() -> None:
    answers = []
    for app in both(settings_app):
        client = app.test_client()
        with client.session_transaction() as session:
            assert dict(session) == {}
            session["user"] = "bob"
        answers.append(client.get("/read").text)
    assert answers == ["bob"] * 2


def test_session_transaction_after_a_request() -> None:
    answers = []
    for app in both(settings_app):
        client = app.test_client()
        client.get("/write")
        with client.session_transaction() as session:
            answers.append(dict(session))
            session["user"] = "cat"
        answers.append(client.get("/read").text)
    assert answers == [{"user": "ann"}, "cat"] * 2


def test_session_transaction_takes_test_request_context_arguments() -> None:
    def make(module: ModuleType) -> Any:
        app = settings_app(module, SESSION_COOKIE_PATH="/app")
        app.add_url_rule("/app/read", "app_read", app.view_functions["read"])
        return app

    answers = []
    for app in both(make):
        client = app.test_client()
        with client.session_transaction(base_url="http://other.test") as session:
            session["user"] = "bob"
        with client.session_transaction("/app/page") as session:
            session["user"] = "cat"
        with client.session_transaction("/elsewhere") as session:
            # The cookie of /app is not sent to /elsewhere.
            elsewhere = dict(session)
        answers.append(
            (
                elsewhere,
                client.get("/app/read").text,
                client.get("/app/read", base_url="http://other.test").text,
                client.get("/read", base_url="http://other.test").text,
            )
        )
    assert answers == [({}, "cat", "bob", "None")] * 2


def test_session_transaction_saves_a_permanent_session() -> None:
    app = settings_app(carafe)
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = "bob"
        session.permanent = True
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None
    assert cookie.http_only
    assert client.get("/read").text == "bob"


def test_session_transaction_left_alone_keeps_the_cookie() -> None:
    app = settings_app(carafe)
    client = app.test_client()
    client.get("/write")
    before = client.get_cookie("session")
    with client.session_transaction() as session:
        assert session["user"] == "ann"
    after = client.get_cookie("session")
    assert before is not None and after is not None
    assert after.value == before.value


def test_session_transaction_that_empties_the_session_deletes_the_cookie() -> None:
    app = settings_app(carafe)
    client = app.test_client()
    client.get("/write")
    with client.session_transaction() as session:
        session.clear()
    assert client.get_cookie("session") is None
    assert client.get("/read").text == "None"


def test_session_transaction_saves_nothing_after_an_error() -> None:
    app = settings_app(carafe)
    client = app.test_client()
    client.get("/write")
    with pytest.raises(LookupError), client.session_transaction() as session:
        session["user"] = "eve"
        raise LookupError
    assert client.get("/read").text == "ann"


def test_session_transaction_without_cookies_raises_flasks_error() -> None:
    messages = []
    for app in both(settings_app):
        client = app.test_client(use_cookies=False)
        with pytest.raises(TypeError) as caught, client.session_transaction():
            pass
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_session_transaction_without_a_session_raises_flasks_error() -> None:
    messages = []
    for app in both(keyless_app):
        with pytest.raises(RuntimeError) as caught, app.test_client().session_transaction():
            pass
        messages.append(str(caught.value))
    assert messages == ["Session backend did not open a session."] * 2


def test_session_transaction_with_a_custom_interface() -> None:
    app = memory_app()
    client = app.test_client()
    with client.session_transaction() as session:
        assert isinstance(session, ServerSession)
        session["user"] = "bob"
    assert client.get("/whoami").text == "ServerSession bob"
    client.set_cookie("sid", "refused")
    with pytest.raises(RuntimeError, match="did not open a session"), client.session_transaction():
        pass


# -- the session in the request pipeline --------------------------------------------


def pipeline_app(module: ModuleType) -> Any:
    """Views and hooks that write the session at each step of a request."""
    app = settings_app(module)

    @app.before_request
    def early() -> Any:
        if module.request.path == "/early":
            module.session["user"] = "early"
            return "answered early"
        return None

    @app.after_request
    def late(response: Any) -> Any:
        if module.request.path == "/late":
            module.session["user"] = "late"
        return response

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        if module.request.path == "/teardown":
            module.session["user"] = "teardown"

    @app.route("/late")
    @app.route("/teardown")
    def plain() -> str:
        return "plain"

    @app.route("/after-this")
    def after_this() -> str:
        @module.after_this_request
        def write(response: Any) -> Any:
            module.session["user"] = "after this"
            return response

        return "after"

    @app.route("/forbidden")
    def forbidden() -> str:
        module.session["user"] = "forbidden"
        module.abort(403)

    @app.errorhandler(403)
    def handle_forbidden(error: Exception) -> tuple[str, int]:
        return "no", 403

    @app.route("/crash")
    def crash() -> str:
        module.session["user"] = "crashed"
        raise ValueError("crash")

    return app


@pytest.mark.parametrize(
    ("path", "status", "user"),
    [
        ("/early", 200, "early"),
        ("/late", 200, "late"),
        ("/after-this", 200, "after this"),
        ("/forbidden", 403, "forbidden"),
        # An unhandled error: the 500 still carries the session, as in Flask.
        ("/crash", 500, "crashed"),
        # The teardown functions run after the session is saved.
        ("/teardown", 200, "None"),
    ],
)
def test_session_saved_at_flasks_step(path: str, status: int, user: str) -> None:
    answers = []
    for app in both(pipeline_app):
        app.logger.disabled = True
        client = app.test_client()
        answers.append((client.get(path).status_code, client.get("/read").text))
    assert answers == [(status, user)] * 2


def test_head_request_saves_the_session() -> None:
    answers = []
    for app in both(settings_app):
        client = app.test_client()
        response = client.head("/write")
        answers.append((len(set_cookie_headers(response)), client.get("/read").text))
    assert answers == [(1, "ann")] * 2


@pytest.mark.xfail(
    strict=True,
    reason="the URL is matched before the request context exists (src/carafe/app.py:532,"
    " src/carafe/wsgi.py:28, src/carafe/asgi.py:119), so a converter cannot read the"
    " session; Flask matches after opening the session in RequestContext.push, 'so that"
    " the session is available in custom URL converters'",
)
def test_session_in_a_url_converter() -> None:
    from werkzeug.routing import BaseConverter as WerkzeugConverter

    from carafe.converters import BaseConverter

    def make(module: ModuleType) -> Any:
        base = BaseConverter if module is carafe else WerkzeugConverter

        class Owner(base):  # type: ignore[misc,valid-type]
            def to_python(self, value: str) -> str:
                return f"{value} of {module.session.get('user')}"

        app = settings_app(module)
        app.url_map.converters["owner"] = Owner

        @app.route("/things/<owner:thing>")
        def thing(thing: str) -> str:
            return thing

        return app

    answers = []
    for app in both(make):
        client = app.test_client()
        client.get("/write")
        answers.append(client.get("/things/book").text)
    assert answers == ["book of ann"] * 2


# -- async views, copied contexts, streams ------------------------------------------


def test_async_views_and_hooks_use_the_session(app: carafe.Flask, client: Any) -> None:
    import asyncio

    @app.before_request
    async def count() -> None:
        await asyncio.sleep(0)
        carafe.session["visits"] = carafe.session.get("visits", 0) + 1

    @app.route("/login")
    async def login() -> str:
        await asyncio.sleep(0)
        carafe.session["user"] = "ann"
        carafe.flash("welcome")
        return "in"

    @app.route("/me")
    async def me() -> str:
        await asyncio.sleep(0)
        messages = carafe.get_flashed_messages()
        return f"{carafe.session.get('user')} {carafe.session['visits']} {messages}"

    client.get("/login")
    assert client.get("/me").text == "ann 2 ['welcome']"
    assert client.get("/me").text == "ann 3 []"


def test_async_untouched_view_refreshes_a_permanent_session(
    app: carafe.Flask, client: Any
) -> None:
    import asyncio

    @app.route("/login")
    async def login() -> str:
        carafe.session["user"] = "ann"
        carafe.session.permanent = True
        return "in"

    @app.route("/untouched")
    async def untouched() -> str:
        await asyncio.sleep(0)
        return "untouched"

    assert set_cookie_headers(client.get("/login"))
    response = client.get("/untouched")
    (header,) = set_cookie_headers(response)
    assert "expires" in cookie_attributes(header)
    assert vary(response) == ["Cookie"]
    app.config["SESSION_COOKIE_NAME"] = "renamed"
    # No cookie of that name: nothing to refresh.
    assert client.get("/untouched").headers.getlist("Set-Cookie") == []


def test_concurrent_requests_keep_their_own_sessions(app: carafe.Flask) -> None:
    # Two requests in the view at once (threads over WSGI, the thread pool over
    # ASGI): each reads its own client's session before and after the other wrote.
    both_inside = threading.Barrier(2, timeout=10)

    @app.route("/login/<name>")
    def login(name: str) -> str:
        carafe.session["user"] = name
        return name

    @app.route("/race/<name>")
    def race(name: str) -> str:
        before = carafe.session["user"]
        carafe.session["seen"] = name
        both_inside.wait()
        return f"{before} {carafe.session['user']} {carafe.session['seen']}"

    clients = {name: app.test_client() for name in ("ann", "bob")}
    for name, client in clients.items():
        client.get(f"/login/{name}")
    answers: dict[str, str] = {}

    def run(name: str) -> None:
        answers[name] = clients[name].get(f"/race/{name}").text

    threads = [threading.Thread(target=run, args=(name,)) for name in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {"ann": "ann ann ann", "bob": "bob bob bob"}


def test_interleaved_async_views_keep_their_own_sessions(app: carafe.Flask) -> None:
    import asyncio

    arrived: list[str] = []

    @app.route("/race")
    async def race() -> str:
        before = carafe.session["user"]
        arrived.append(before)
        while len(arrived) < 2:
            await asyncio.sleep(0)
        return f"{before} {carafe.session['user']}"

    async def get(cookie: str) -> bytes:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/race",
            "raw_path": b"/race",
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"localhost"), (b"cookie", f"session={cookie}".encode())],
            "server": ("localhost", 80),
        }
        body = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        await app.asgi(scope, receive, send)
        return b"".join(body)

    async def main() -> list[bytes]:
        cookies = [cookie_signer().dumps({"user": name}) for name in ("ann", "bob")]
        return list(await asyncio.gather(*(get(cookie) for cookie in cookies)))

    assert asyncio.run(main()) == [b"ann ann", b"bob bob"]
    assert sorted(arrived) == ["ann", "bob"]


def context_app(module: ModuleType) -> Any:
    """``/copied`` reads and writes the session in a copied context on a thread;
    ``/streamed`` and ``/streamed-decorated`` read it while the body streams."""
    app = settings_app(module)

    @app.route("/copied")
    def copied() -> str:
        seen: list[Any] = []

        @module.copy_current_request_context
        def work() -> None:
            seen.append(module.session.get("user"))
            module.session["from_thread"] = "yes"

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        return f"{seen} {module.session.get('from_thread')}"

    @app.route("/streamed")
    def streamed() -> Any:
        def body() -> Iterator[str]:
            yield f"{module.session.get('user')}|"
            # Written after the headers went: never saved, as in Flask.
            module.session["late"] = "yes"
            yield "end"

        return module.stream_with_context(body())

    @app.route("/streamed-decorated")
    def streamed_decorated() -> Any:
        @module.stream_with_context
        def body() -> Iterator[str]:
            yield f"{module.session.get('user')}|"
            yield "end"

        return module.Response(body())

    @app.route("/late")
    def late() -> str:
        return str(module.session.get("late"))

    return app


def test_copied_context_shares_the_session() -> None:
    answers = []
    for app in both(context_app):
        client = app.test_client()
        client.get("/write")
        response = client.get("/copied")
        answers.append((response.text, len(set_cookie_headers(response))))
    # The thread's change is the request's own session: saved with the response.
    assert answers == [("['ann'] yes", 1)] * 2


#: How many streamed requests a test sends: over ASGI, each batch of a sync body's
#: chunks runs on whichever pool thread is free, so one request proves little.
STREAMED_REQUESTS = 60


@pytest.mark.parametrize("path", ["/streamed", "/streamed-decorated"])
def test_streamed_body_reads_the_session(path: str) -> None:
    theirs = context_app(flask).test_client()
    theirs.get("/write")
    expected = ("ann|end", [])
    response = theirs.get(path)
    assert (response.text, set_cookie_headers(response)) == expected
    app = context_app(carafe)
    client = app.test_client()
    client.get("/write")
    for _ in range(STREAMED_REQUESTS):
        response = client.get(path)
        assert (response.text, set_cookie_headers(response)) == expected
    # What the body wrote after the headers went is not saved, as in Flask.
    assert client.get("/late").text == theirs.get("/late").text == "None"


def test_session_outside_a_request_raises(app: carafe.Flask) -> None:
    with pytest.raises(RuntimeError, match="outside of request context"):
        carafe.session.get("user")
    with pytest.raises(RuntimeError, match="outside of request context"):
        carafe.session["user"] = "ann"
    with app.app_context(), pytest.raises(RuntimeError, match="outside of request context"):
        carafe.session.get("user")
    # An unbound proxy is false, as Flask's is.
    assert not carafe.session
    assert not flask.session


def test_session_in_a_test_request_context(app: carafe.Flask) -> None:
    value = cookie_signer().dumps({"user": "ann"})
    with app.test_request_context(headers={"Cookie": f"session={value}"}):
        assert carafe.session["user"] == "ann"
        carafe.session["user"] = "bob"
        response = app.process_response(app.response_class("x"))
    assert set_cookie_headers(response)
    client = app.test_client()
    client.set_cookie("session", cookie_value(response))
    with client.session_transaction() as session:
        assert session["user"] == "bob"


def test_a_changed_secret_key_signs_with_the_new_key() -> None:
    # (The signing serializer is kept per set of keys: a new key is a new one.)
    app = carafe.Flask(__name__)
    app.secret_key = "first key"

    @app.route("/set")
    def set_value() -> str:
        carafe.session["user"] = "ann"
        return "set"

    @app.route("/get")
    def get_value() -> str:
        return str(carafe.session.get("user"))

    client = app.test_client()
    client.get("/set")
    assert client.get("/get").text == "ann"
    app.secret_key = "second key"
    assert client.get("/get").text == "None"
    app.config["SECRET_KEY_FALLBACKS"] = ["first key"]
    client.get("/set")
    app.config["SECRET_KEY_FALLBACKS"] = None
    assert client.get("/get").text == "ann"
    # A key of a type that cannot be a dict key still signs.
    app.secret_key = bytearray(b"third key")  # type: ignore[assignment]
    client.get("/set")
    assert client.get("/get").text == "ann"


def test_a_session_interface_may_route_the_request_first() -> None:
    # As Flask's: RequestContext.match_request() gives open_session request.endpoint.
    from carafe.globals import request_ctx

    seen: list[str | None] = []

    class Routed(SessionInterface):
        def open_session(self, app: Any, request: Any) -> Any:
            request_ctx.match_request()
            seen.append(request.endpoint)
            return SecureCookieSession()

        def save_session(self, app: Any, session: Any, response: Any) -> None:
            pass

    app = carafe.Flask(__name__)
    app.session_interface = Routed()

    @app.route("/")
    def index() -> str:
        return "ok"

    assert app.test_client().get("/").text == "ok"
    assert seen == ["index"]

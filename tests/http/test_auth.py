"""Tests for carafe.http.auth (Authorization and WWW-Authenticate), compared with
Werkzeug."""

from __future__ import annotations

import base64

import pytest
from werkzeug.datastructures import Authorization as WAuthorization
from werkzeug.datastructures import WWWAuthenticate as WWWWAuthenticate

from carafe.http.auth import Authorization, WWWAuthenticate


def _basic(text: bytes) -> str:
    return "Basic " + base64.b64encode(text).decode()


AUTHORIZATIONS = [
    None,
    "",
    _basic(b"alice:secret"),
    _basic(b"alice:with:colons"),
    _basic(b"nopassword"),
    _basic("jos\u00e9:p\u00e4ss".encode()),
    _basic(b"\xff\xfe:x"),
    "Basic not base64!",
    "Basic YWxpY2U6c2VjcmV0",
    "basic   YWxpY2U6c2VjcmV0",
    "Basic",
    "Bearer abc.def.ghi",
    "Bearer dG9rZW4=",
    "bearer",
    'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b",'
    ' uri="/dir/index.html", qop=auth, nc=00000001, response="6629fae4", opaque="5ccc"',
    "Custom a=b, c",
    "Token",
]


@pytest.mark.parametrize("value", AUTHORIZATIONS)
def test_authorization_parsing_is_werkzeugs(value):
    mine, reference = Authorization.from_header(value), WAuthorization.from_header(value)
    if reference is None:
        assert mine is None
        return
    assert mine is not None
    assert (mine.type, mine.token, mine.parameters) == (
        reference.type,
        reference.token,
        reference.parameters,
    )
    for name in ("username", "password", "realm", "nonce", "missing"):
        assert getattr(mine, name) == getattr(reference, name)
        assert mine[name] == reference[name]
        assert mine.get(name, "d") == reference.get(name, "d")
        assert (name in mine) == (name in reference)
    assert mine.to_header() == reference.to_header()
    assert str(mine) == str(reference) and repr(mine) == repr(reference)


def test_authorization_equality():
    basic = Authorization.from_header(_basic(b"a:b"))
    assert basic == Authorization("basic", {"username": "a", "password": "b"})
    assert basic != Authorization("bearer", None, "t")
    assert basic != "Basic YTpi"
    with pytest.raises(AttributeError):
        basic.__wrapped__


CHALLENGES = [
    None,
    "",
    'Basic realm="Login Required"',
    "Bearer",
    "Bearer abc",
    'Digest realm="r", nonce="n", qop="auth", opaque="o", algorithm=MD5',
    "Newauth realm=apps, type=1",
]


@pytest.mark.parametrize("value", CHALLENGES)
def test_www_authenticate_parsing_is_werkzeugs(value):
    mine, reference = WWWAuthenticate.from_header(value), WWWWAuthenticate.from_header(value)
    if reference is None:
        assert mine is None
        return
    assert mine is not None
    assert (mine.type, mine.token, dict(mine.parameters)) == (
        reference.type,
        reference.token,
        dict(reference.parameters),
    )
    assert mine.to_header() == reference.to_header()
    assert mine.realm == reference.realm and mine.get("realm") == reference.get("realm")
    assert ("realm" in mine) == ("realm" in reference)
    assert mine == WWWAuthenticate.from_header(value)


@pytest.mark.parametrize(
    ("auth_type", "values", "token"),
    [
        ("basic", {"realm": "Login Required"}, None),
        ("Digest", {"realm": "r", "nonce": "abc", "qop": "auth", "stale": "TRUE"}, None),
        ("bearer", None, "xyz"),
        ("basic", None, None),
        ("newauth", {"realm": "a b", "type": "1"}, None),
    ],
)
def test_www_authenticate_to_header_is_werkzeugs(auth_type, values, token):
    mine = WWWAuthenticate(auth_type, values, token)
    reference = WWWWAuthenticate(auth_type, values, token)
    assert mine.to_header() == reference.to_header()
    assert str(mine) == str(reference) and repr(mine) == repr(reference)


def test_www_authenticate_changes_call_back():
    calls = []
    challenge = WWWAuthenticate("basic")
    challenge._on_update = calls.append
    challenge.realm = "Site"
    assert challenge.to_header() == "Basic realm=Site"
    challenge["charset"] = "UTF-8"
    challenge.charset = None
    assert "charset" not in challenge
    del challenge.realm
    del challenge["missing"]
    challenge["realm"] = "x"
    challenge.parameters = {"realm": "y"}
    challenge.type = "digest"
    challenge.token = None
    assert challenge.to_header() == 'Digest realm="y"'
    challenge.token = "t"
    assert challenge.to_header() == "Digest t"
    assert len(calls) == 9 and all(call is challenge for call in calls)
    assert challenge != "Digest t"


def test_both_copy_and_pickle():
    import copy
    import pickle

    auth = Authorization.from_header(_basic(b"a:b"))
    assert copy.deepcopy(auth) == auth and pickle.loads(pickle.dumps(auth)) == auth
    challenge = WWWAuthenticate("digest", {"realm": "r"})
    assert copy.copy(challenge).to_header() == challenge.to_header()

"""Property tests for routing: build then match, and arbitrary paths never 500."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

import carafe

FAST = settings(max_examples=200, deadline=None)
SEGMENT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/"), min_size=1
)


def _make_app() -> carafe.Flask:
    app = carafe.Flask(__name__)
    app.config["TESTING"] = True

    def view(**kwargs):
        return "ok"

    app.add_url_rule("/s/<value>", "string", view)
    app.add_url_rule("/i/<int:value>", "int", view)
    app.add_url_rule("/si/<int(signed=True):value>", "sint", view)
    app.add_url_rule("/f/<float:value>", "float", view)
    app.add_url_rule("/p/<path:value>", "path", view)
    app.add_url_rule("/u/<uuid:value>", "uuid", view)
    app.add_url_rule("/a/<any(red, green, 'blue sky'):value>", "any", view)
    return app


APP = _make_app()


def _round_trip(endpoint, value):
    with APP.test_request_context():
        url = carafe.url_for(endpoint, value=value)
    with APP.test_request_context(url):
        assert carafe.request.endpoint == endpoint
        return carafe.request.view_args["value"]


@FAST
@given(SEGMENT)
def test_string_round_trip(value):
    assert _round_trip("string", value) == value


@FAST
@given(st.integers(min_value=0))
def test_int_round_trip(value):
    assert _round_trip("int", value) == value


@FAST
@given(st.integers())
def test_signed_int_round_trip(value):
    assert _round_trip("sint", value) == value


@FAST
@given(
    st.floats(min_value=0, allow_nan=False, allow_infinity=False).filter(
        lambda f: "e" not in repr(f)
    )
)
def test_float_round_trip(value):
    assert _round_trip("float", value) == value


@FAST
@given(st.lists(SEGMENT, min_size=1).map("/".join))
def test_path_round_trip(value):
    assert _round_trip("path", value) == value


def test_a_trailing_newline_is_not_dropped_by_matching():
    # Found by test_path_round_trip: a rule's regex ended in "$", which also matches
    # before a final "\n", so "/p/0%0A" gave "0" and "/i/5%0A" matched <int:n>.
    app = carafe.Flask(__name__)

    @app.route("/p/<path:value>")
    def p(value):
        return repr(value)

    @app.route("/i/<int:n>")
    def i(n):
        return str(n)

    client = app.test_client()
    assert client.get("/p/0%0A").data == repr("0\n").encode()
    assert client.get("/i/5%0A").status_code == 404
    assert client.get("/i/5").data == b"5"


@FAST
@given(st.uuids())
def test_uuid_round_trip(value):
    assert _round_trip("uuid", value) == value
    assert isinstance(value, uuid.UUID)


@FAST
@given(st.sampled_from(["red", "green", "blue sky"]))
def test_any_round_trip(value):
    assert _round_trip("any", value) == value


@FAST
@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_arbitrary_paths_never_500(path):
    client = APP.test_client()
    response = client.get("/" + path.lstrip("/"))
    assert response.status_code < 500

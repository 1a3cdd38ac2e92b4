"""Tagged JSON (``carafe.json.tag``), the session cookie's serializer: every tagged type
goes out and comes back as itself, and the text is Flask's (``flask.json.tag``) for the
same value, both ways, so a cookie written by one framework reads in the other.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from markupsafe import Markup

import carafe
from carafe.json.tag import JSONTag, TaggedJSONSerializer
from carafe.sessions import session_json_serializer

flask = pytest.importorskip("flask")
flask_tag = pytest.importorskip("flask.json.tag")

UTC = timezone.utc


class HasHTML:
    """Not Markup, but renders as HTML: tagged as Markup, as Flask does."""

    def __html__(self) -> str:
        return "<i>html</i>"


#: Values that must come back equal and of the same type.
ROUND_TRIPS: dict[str, Any] = {
    "tuple": (1, "two", 3.5, None),
    "empty tuple": (),
    "nested tuples": ((1, (2, 3)), [4, (5,)]),
    "bytes": b"\x00\xff\xfe binary",
    "empty bytes": b"",
    "markup": Markup("<b>bold</b> &amp;"),
    "uuid": UUID("12345678-1234-5678-1234-567812345678"),
    "datetime": datetime(2024, 2, 29, 23, 59, 58, tzinfo=UTC),
    "tag-like key": {" t": 1},
    "every tag as a key": {" di": {" b": {" m": {" u": {" d": [" t"]}}}}},
    "tag-like key holding a tagged value": {" t": (1, 2)},
    "suffixed tag-like key": {" t__": "x"},
    "two tag-like keys": {" t": 1, " b": 2},
    "list of tuples": [(1, "a"), (2, "b")],
    "dict of everything": {
        "t": (1,),
        "b": b"b",
        "u": UUID(int=7),
        "d": datetime(2000, 1, 1, tzinfo=UTC),
        "deep": {"deeper": [{"deepest": (b"x",)}]},
    },
    "unicode": "café 日本語 \u2028 \x00 🍵 </script>",
    "plain json": {"int": 1, "float": 1.5, "bool": True, "none": None, "list": [1, [2]]},
}


def _in_flask_app(func: Any, *args: Any) -> Any:
    """Call ``func`` in a Flask app context: Flask's serializer uses the app's JSON
    provider there (sorted keys, as in a session cookie)."""
    with flask.Flask("tag").app_context():
        return func(*args)


def _in_carafe_app(func: Any, *args: Any) -> Any:
    with carafe.Flask("tag").app_context():
        return func(*args)


@pytest.mark.parametrize("value", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_value_comes_back_as_itself(value: Any) -> None:
    serializer = TaggedJSONSerializer()
    result = _in_carafe_app(serializer.loads, _in_carafe_app(serializer.dumps, value))
    assert result == value
    assert _types(result) == _types(value)


def _types(value: Any) -> Any:
    """The value's shape with its types: equal values of other types differ here."""
    if isinstance(value, dict):
        return (dict, {key: _types(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return (type(value), [_types(item) for item in value])
    return type(value)


@pytest.mark.parametrize("value", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_text_is_flasks(value: Any) -> None:
    ours = _in_carafe_app(TaggedJSONSerializer().dumps, value)
    theirs = _in_flask_app(flask_tag.TaggedJSONSerializer().dumps, value)
    assert ours == theirs


@pytest.mark.parametrize("value", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_reads_flasks_text_and_flask_reads_ours(value: Any) -> None:
    ours = TaggedJSONSerializer()
    theirs = flask_tag.TaggedJSONSerializer()
    from_flask = _in_carafe_app(ours.loads, _in_flask_app(theirs.dumps, value))
    from_carafe = _in_flask_app(theirs.loads, _in_carafe_app(ours.dumps, value))
    assert from_flask == value == from_carafe
    assert _types(from_flask) == _types(value) == _types(from_carafe)


def test_tagged_layout() -> None:
    serializer = TaggedJSONSerializer()
    assert serializer.tag((1, 2)) == {" t": [1, 2]}
    assert serializer.tag(b"\x00\x01") == {" b": "AAE="}
    assert serializer.tag(Markup("<p>")) == {" m": "<p>"}
    assert serializer.tag(UUID(int=1)) == {" u": "00000000000000000000000000000001"}
    assert serializer.tag(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)) == {
        " d": "Tue, 02 Jan 2024 03:04:05 GMT"
    }
    # A one-key dict whose key is a tag is wrapped, its key suffixed, so it is not
    # read back as a tagged value.
    assert serializer.tag({" t": (1,)}) == {" di": {" t__": {" t": [1]}}}
    assert serializer.tag({"a": (1,)}) == {"a": {" t": [1]}}
    assert serializer.tag([(1,)]) == [{" t": [1]}]
    assert serializer.tag("plain") == "plain"


def test_datetimes_are_whole_seconds_in_utc() -> None:
    serializer = TaggedJSONSerializer()
    aware = datetime(2024, 6, 1, 12, 30, 15, 999_999, tzinfo=timezone(timedelta(hours=2)))
    naive = datetime(2024, 6, 1, 12, 30, 15, 123)
    assert serializer.loads(serializer.dumps(aware)) == datetime(
        2024, 6, 1, 10, 30, 15, tzinfo=UTC
    )
    # A naive datetime is taken as UTC, as Flask (Werkzeug's http_date) does.
    assert serializer.loads(serializer.dumps(naive)) == datetime(
        2024, 6, 1, 12, 30, 15, tzinfo=UTC
    )
    theirs = flask_tag.TaggedJSONSerializer()
    for value in (aware, naive):
        assert serializer.loads(serializer.dumps(value)) == theirs.loads(theirs.dumps(value))


def test_anything_with_html_is_tagged_as_markup() -> None:
    serializer = TaggedJSONSerializer()
    result = serializer.loads(serializer.dumps({"x": HasHTML()}))
    assert result == {"x": Markup("<i>html</i>")}
    assert type(result["x"]) is Markup


def test_untag_leaves_other_objects_alone() -> None:
    serializer = TaggedJSONSerializer()
    assert serializer.untag({"a": 1}) == {"a": 1}
    assert serializer.untag({" t": 1, " b": 2}) == {" t": 1, " b": 2}
    assert serializer.untag({" nope": 1}) == {" nope": 1}
    assert serializer.untag({" t": [1, 2]}) == (1, 2)
    assert serializer.loads('{" t": [1, {" t": [2]}]}') == (1, (2,))


def test_dumps_is_compact() -> None:
    text = _in_carafe_app(TaggedJSONSerializer().dumps, {"b": [1, 2], "a": (3,)})
    assert text == '{"a":{" t":[3]},"b":[1,2]}'


def test_bad_tagged_values_raise() -> None:
    # Where the tagged value cannot be read back, loads raises (the session cookie
    # interface turns that into an empty session).
    serializer = TaggedJSONSerializer()
    with pytest.raises(ValueError):
        serializer.loads('{" u": "not a uuid"}')
    # (A date that is not one reads as None, as in Flask.)
    assert serializer.loads('{" d": "not a date"}') is None
    with pytest.raises(ValueError):
        serializer.loads("{not json")


class TagOrderedDict(JSONTag):
    __slots__ = ()
    key = " od"

    def check(self, value: Any) -> bool:
        return isinstance(value, OrderedDict)

    def to_json(self, value: Any) -> Any:
        return [[key, self.serializer.tag(item)] for key, item in value.items()]

    def to_python(self, value: Any) -> Any:
        return OrderedDict(value)


def test_register_a_tag_first_in_order() -> None:
    serializer = TaggedJSONSerializer()
    serializer.register(TagOrderedDict, index=0)
    value = OrderedDict([("z", (1,)), ("a", 2)])
    assert serializer.tag(value) == {" od": [["z", {" t": [1]}], ["a", 2]]}
    result = serializer.loads(serializer.dumps(value))
    assert type(result) is OrderedDict
    assert list(result.items()) == [("z", (1,)), ("a", 2)]


def test_register_last_never_sees_what_an_earlier_tag_takes() -> None:
    serializer = TaggedJSONSerializer()
    serializer.register(TagOrderedDict)
    # An OrderedDict is a dict: the plain dict tag, earlier in the order, takes it.
    assert serializer.tag(OrderedDict(a=1)) == {"a": 1}
    # Still read back when found in the text.
    assert serializer.loads('{" od": [["a", 1]]}') == OrderedDict(a=1)


def test_register_a_taken_key() -> None:
    class OtherTuple(JSONTag):
        __slots__ = ()
        key = " t"

        def check(self, value: Any) -> bool:
            return False

        def to_json(self, value: Any) -> Any:
            return value

        def to_python(self, value: Any) -> Any:
            return ["replaced", *value]

    serializer = TaggedJSONSerializer()
    with pytest.raises(KeyError, match=r"Tag ' t' is already registered\."):
        serializer.register(OtherTuple)
    serializer.register(OtherTuple, force=True)
    assert serializer.loads('{" t": [1]}') == ["replaced", 1]


def test_serializers_do_not_share_registrations() -> None:
    first = TaggedJSONSerializer()
    first.register(TagOrderedDict, index=0)
    assert " od" not in TaggedJSONSerializer().tags
    assert " od" not in session_json_serializer.tags


def test_session_serializer_has_flasks_tags_in_flasks_order() -> None:
    ours = [(type(tag).__name__, tag.key) for tag in session_json_serializer.order]
    theirs = [(type(tag).__name__, tag.key) for tag in flask_tag.TaggedJSONSerializer().order]
    assert ours == theirs

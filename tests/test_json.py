"""carafe.json against Flask's JSON provider, and orjson against the stdlib."""

from __future__ import annotations

import dataclasses
import decimal
import enum
import io
import json
import math
import random
import struct
import uuid
from collections import OrderedDict
from datetime import date, datetime, timedelta, timezone

import flask
import flask.json
import pytest
from markupsafe import Markup

import carafe.json as cj
import carafe.json.provider as cjp

pytest.importorskip("orjson")


class FakeApp:
    """What a provider needs from an app."""

    def __init__(self, debug: bool = False) -> None:
        self.debug = debug
        self.config: dict[str, object] = {}


@dataclasses.dataclass
class Point:
    x: int
    y: float
    label: str = "p"


class Color(enum.Enum):
    RED = 1


class Level(enum.IntEnum):
    HIGH = 3


class Name(str, enum.Enum):
    ALICE = "alice"


class MyStr(str):
    pass


class MyInt(int):
    pass


class MyFloat(float):
    pass


class MyDict(dict):
    def items(self):
        return [("overridden", 1)]


class Html:
    def __html__(self) -> str:
        return "<b>html</b>"


SETTINGS = [
    {"ensure_ascii": ea, "sort_keys": sk, "compact": compact, "debug": debug}
    for ea in (True, False)
    for sk in (True, False)
    for compact, debug in ((None, False), (None, True), (True, True), (False, False))
]


def make_pair(ensure_ascii=True, sort_keys=True, compact=None, debug=False):
    """A Carafe provider and a Flask provider with the same settings."""
    fake_app = FakeApp(debug)
    ours = cj.DefaultJSONProvider(fake_app)
    ours.keep_alive = fake_app  # the provider only holds a weak proxy
    app = flask.Flask(__name__)
    app.debug = debug
    theirs = app.json
    for provider in (ours, theirs):
        provider.ensure_ascii = ensure_ascii
        provider.sort_keys = sort_keys
        provider.compact = compact
    return ours, theirs, app


def outcome(func, *args, **kwargs):
    try:
        return "ok", func(*args, **kwargs)
    except Exception as exc:
        return "error", type(exc).__name__, str(exc)


def response_bytes(provider, *args, **kwargs):
    response = provider.response(*args, **kwargs)
    return response.status_code, response.mimetype, response.get_data()


VALUES = [
    None,
    True,
    0,
    -1,
    2**63 - 1,
    2**64,
    -(2**70),
    1.5,
    0.1,
    -0.0,
    1e16,
    1e-5,
    123456789.125,
    "",
    "plain",
    'quote " backslash \\ slash / tab \t nl \n nul \x00 del \x7f',
    "é ü 中文 \u2028 \u2029 😀",
    "\ud800 lone",
    [],
    {},
    [1, "two", 3.0, None, True, [[]], {}],
    (1, 2),
    {"b": 1, "a": [1, 2, {"d": None, "c": "x"}], "é": "ü"},
    {"nested": {"deep": {"deeper": [{"k": 1.25}]}}},
    {1: "int key"},
    {"a": 1, 2: "mixed keys"},
    {True: 1, None: 2, 1.5: 3},
    date(2024, 2, 29),
    datetime(2024, 2, 29, 13, 45, 1, 123456),
    datetime(2024, 2, 29, 13, 45, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    decimal.Decimal("12.3400"),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    Point(1, 2.5),
    [Point(3, 4.0, "é")],
    Markup("<em>safe</em>"),
    Html(),
    {"when": date(2000, 1, 1), "id": uuid.UUID(int=1), "price": decimal.Decimal("1.10")},
    MyStr("sub"),
    MyInt(7),
    MyFloat(2.5),
    MyDict(a=1),
    OrderedDict([("z", 1), ("a", 2)]),
    Level.HIGH,
    Name.ALICE,
    float("nan"),
    [float("inf")],
    {"x": -math.inf},
    Color.RED,
    {"c": Color.RED},
    {1, 2},
    object(),
    b"bytes",
]


@pytest.mark.parametrize("settings", SETTINGS, ids=str)
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_dumps_and_response_match_flask(settings, value):
    ours, theirs, app = make_pair(**settings)
    assert outcome(ours.dumps, value) == outcome(theirs.dumps, value)
    for kwargs in ({"separators": (",", ":")}, {"indent": 2}, {"indent": 4}):
        assert outcome(ours.dumps, value, **kwargs) == outcome(theirs.dumps, value, **kwargs)
    with app.app_context():
        assert outcome(response_bytes, ours, value) == outcome(response_bytes, theirs, value)


@pytest.mark.parametrize("settings", SETTINGS, ids=str)
def test_response_argument_rules(settings):
    ours, theirs, app = make_pair(**settings)
    with app.app_context():
        for args, kwargs in [
            ((), {}),
            ((1,), {}),
            ((1, "two", None), {}),
            (([1, 2],), {}),
            ((), {"b": 1, "a": "x"}),
            ((1,), {"a": 2}),
        ]:
            mine = outcome(response_bytes, ours, *args, **kwargs)
            assert mine == outcome(response_bytes, theirs, *args, **kwargs)


def test_response_shape():
    app, debug_app = FakeApp(), FakeApp(debug=True)
    response = cj.DefaultJSONProvider(app).response({"a": [1, 2]})
    assert response.get_data() == b'{"a":[1,2]}\n'
    assert response.mimetype == "application/json"
    assert response.headers.get("Content-Type") == "application/json"
    assert cj.DefaultJSONProvider(debug_app).response(a=1).get_data() == (b'{\n  "a": 1\n}\n')


def test_response_uses_overridden_dumps():
    class Upper(cj.DefaultJSONProvider):
        def dumps(self, obj, **kwargs):
            return super().dumps(obj, **kwargs).upper()

    app = FakeApp()
    assert Upper(app).response({"a": "b"}).get_data() == b'{"A":"B"}\n'


def test_custom_mimetype_and_default():
    class Custom(cj.DefaultJSONProvider):
        mimetype = "application/vnd.api+json"

        @staticmethod
        def default(o):
            if isinstance(o, Color):
                return o.name
            return cj.DefaultJSONProvider.default(o)

    app = FakeApp()
    provider = Custom(app)
    response = provider.response({"c": Color.RED, "d": date(2020, 1, 1)})
    assert response.mimetype == "application/vnd.api+json"
    assert response.get_data() == b'{"c":"RED","d":"Wed, 01 Jan 2020 00:00:00 GMT"}\n'


@pytest.mark.parametrize(
    "value",
    [object(), {1, 2}, Color.RED, b"x", timedelta(1)],
    ids=repr,
)
def test_unserializable(value):
    app = FakeApp()
    provider = cj.DefaultJSONProvider(app)
    with pytest.raises(TypeError) as info:
        provider.dumps({"v": value}, separators=(",", ":"))
    assert str(info.value) == f"Object of type {type(value).__name__} is not JSON serializable"
    with pytest.raises(TypeError):
        provider.response(value)


def test_circular_reference_error_matches_stdlib():
    data: list[object] = []
    data.append(data)
    ours, theirs, _ = make_pair()
    assert outcome(ours.response, data) == outcome(theirs.response, data)
    assert outcome(ours.dumps, data, separators=(",", ":"))[:2] == ("error", "ValueError")


def test_deep_nesting_matches_stdlib():
    data: object = 1
    for _ in range(300):
        data = [data]
    ours, theirs, app = make_pair()
    with app.app_context():
        assert outcome(response_bytes, ours, data) == outcome(response_bytes, theirs, data)


def test_dump_and_load_files():
    provider = cj.DefaultJSONProvider(FakeApp())
    buffer = io.StringIO()
    provider.dump({"b": 1, "a": date(2020, 1, 1)}, buffer)
    assert buffer.getvalue() == flask.Flask(__name__).json.dumps({"b": 1, "a": date(2020, 1, 1)})
    assert provider.load(io.StringIO('{"a": [1]}')) == {"a": [1]}
    assert provider.load(io.BytesIO(b'{"a": [1]}')) == {"a": [1]}


def test_weak_reference_to_app():
    app = FakeApp()
    provider = cj.DefaultJSONProvider(app)
    assert provider._app.debug is False
    app.debug = True
    assert provider.response([]).get_data() == b"[]\n"
    del app
    with pytest.raises(ReferenceError):
        provider.response([])


# Loading.

LOAD_INPUTS: list[str | bytes | bytearray] = [
    "1",
    " [1, 2.5, true, false, null] ",
    '{"a": 1, "a": 2}',
    '{"b": {"c": [{}]}, "a": "\\u00e9\\ud83d\\ude00"}',
    "-0",
    "-0.0",
    "1E400",
    "-1e400",
    "1e-400",
    "NaN",
    "[Infinity, -Infinity]",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "123456789012345678901234567890",
    "9223372036854775807.0",
    "1.8446744073709552e19",
    "0.1000000000000000055511151231257827",
    '"\\ud800"',
    '"\\u0000\\n\\t"',
    '"raw\ttab"',
    "",
    "[1,]",
    "01",
    "\ufeff[1]",
    b"\xef\xbb\xbf[1]",
    '{"a": 1}'.encode("utf-16"),
    '{"a": 1}'.encode("utf-16-le"),
    '{"a": 1}'.encode("utf-32-be"),
    b'"\xff"',
    b'{"k": "\xc3\xa9"}',
    bytearray(b"[1, 2]"),
    "[" * 2000 + "]" * 2000,
]


def canonical(value):
    """A comparable form that tells int from float and -0.0 from 0.0."""
    return repr(value)


@pytest.mark.parametrize("text", LOAD_INPUTS, ids=lambda text: repr(text)[:40])
def test_loads_matches_stdlib(text):
    provider = cj.DefaultJSONProvider(FakeApp())
    ours = outcome(provider.loads, text)
    theirs = outcome(json.loads, text)
    if ours[0] == "ok" and theirs[0] == "ok":
        assert canonical(ours[1]) == canonical(theirs[1])
    else:
        assert ours[:2] == theirs[:2]
        assert ours == theirs


def test_loads_kwargs_go_to_stdlib():
    provider = cj.DefaultJSONProvider(FakeApp())
    assert provider.loads("[1.5]", parse_float=decimal.Decimal) == [decimal.Decimal("1.5")]


# Module-level functions.


def test_module_functions_outside_app_context():
    value = {"b": date(2020, 1, 1), "a": "é", "u": uuid.UUID(int=5)}
    assert cj.dumps(value) == flask.json.dumps(value)
    assert cj.dumps(value, sort_keys=True) == flask.json.dumps(value, sort_keys=True)
    assert cj.loads('{"a": [1]}') == flask.json.loads('{"a": [1]}')
    buffer = io.StringIO()
    cj.dump(value, buffer)
    assert buffer.getvalue() == flask.json.dumps(value)
    assert cj.load(io.StringIO("[1]")) == [1]
    with pytest.raises(RuntimeError):
        cj.jsonify(1)


def test_module_functions_use_current_app():
    from carafe.app import Flask

    app = Flask(__name__)
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    with app.app_context():
        assert cj.dumps({"b": "é", "a": 1}) == '{"b": "é", "a": 1}'
        assert cj.loads(b"[1]") == [1]
        assert cj.jsonify(b=1, a=2).get_data() == b'{"b":2,"a":1}\n'.replace(
            b'"b":2,"a":1', b'"b":1,"a":2'
        )


# Differential: orjson path against the stdlib on generated values.


def random_string(rng: random.Random) -> str:
    pools = [
        lambda: chr(rng.randrange(0x20, 0x7F)),
        lambda: chr(rng.randrange(0, 0x20)),
        lambda: "\x7f",
        lambda: chr(rng.randrange(0x80, 0x800)),
        lambda: chr(rng.choice([rng.randrange(0x800, 0xD800), rng.randrange(0xE000, 0x10000)])),
        lambda: chr(rng.randrange(0x10000, 0x110000)),
        lambda: chr(rng.randrange(0xD800, 0xE000)),
        lambda: rng.choice('"\\/'),
    ]
    weights = [60, 5, 1, 8, 8, 5, 1, 4]
    return "".join(rng.choices(pools, weights)[0]() for _ in range(rng.randrange(0, 12)))


def random_float(rng: random.Random) -> float:
    choice = rng.randrange(6)
    if choice == 0:
        return struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
    if choice == 1:
        return rng.uniform(-1e6, 1e6)
    if choice == 2:
        return float(f"{rng.randint(1, 9)}e{rng.randint(-30, 30)}") * rng.choice([1, -1])
    if choice == 3:
        return rng.choice([0.0, -0.0, 1e16, 9999999999999998.0, 1e-4, 9.9999e-5, 5e-324])
    if choice == 4:
        return rng.random() * 10 ** rng.randint(-12, 20)
    return round(rng.uniform(-1000, 1000), rng.randint(0, 6))


def random_int(rng: random.Random) -> int:
    bits = rng.choice([3, 16, 31, 32, 53, 62, 63, 64, 65, 80])
    return rng.getrandbits(bits) * rng.choice([1, -1]) + rng.choice([0, 0, 0, -1, 1])


def random_value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(14 if depth < 4 else 7)
    if kind == 0:
        return random_string(rng)
    if kind == 1:
        return random_int(rng)
    if kind == 2:
        return random_float(rng)
    if kind == 3:
        return rng.choice([None, True, False])
    if kind == 4:
        return random_string(rng)
    if kind == 5:
        return rng.choice(
            [
                float("nan"),
                float("inf"),
                Color.RED,
                Level.HIGH,
                Name.ALICE,
                MyStr("s"),
                MyInt(1),
                MyFloat(1.5),
                uuid.UUID(int=rng.getrandbits(128)),
                decimal.Decimal("1.5"),
                date(2020, 1, 1),
                Point(1, 2.0),
                Markup("<i>"),
            ]
        )
    if kind == 6:
        return rng.random()
    if kind in (7, 8, 9):
        keys = [random_string(rng) for _ in range(rng.randrange(0, 6))]
        if rng.random() < 0.03:
            keys.append(rng.choice([1, 2.5, None, True, MyStr("k")]))
        return {key: random_value(rng, depth + 1) for key in keys}
    if kind in (10, 11):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(0, 6))]
    if kind == 12:
        return tuple(random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4)))
    return MyDict(a=1) if rng.random() < 0.5 else OrderedDict(a=random_value(rng, depth + 1))


@pytest.mark.parametrize("seed", range(8))
def test_differential_dumps(seed):
    rng = random.Random(seed)
    fast_taken = 0
    for _ in range(1500):
        value = random_value(rng)
        for ensure_ascii in (True, False):
            for sort_keys in (True, False):
                for indent in (False, True):
                    fast = cjp._fast_dumps(value, ensure_ascii, sort_keys, indent)
                    kwargs = {"indent": 2} if indent else {"separators": (",", ":")}
                    expected = outcome(
                        json.dumps,
                        value,
                        default=cjp._default,
                        ensure_ascii=ensure_ascii,
                        sort_keys=sort_keys,
                        **kwargs,
                    )
                    if fast is not None:
                        fast_taken += 1
                        assert expected == ("ok", fast.decode()), value
    assert fast_taken > 1000


def test_fast_path_taken_for_typical_payloads():
    typical = {
        "id": 123,
        "name": "Alice",
        "score": 9.5,
        "tags": ["a", "b"],
        "parent": None,
        "items": [{"n": i, "ok": i % 2 == 0} for i in range(10)],
    }
    for ensure_ascii in (True, False):
        for indent in (False, True):
            assert cjp._fast_dumps(typical, ensure_ascii, True, indent) is not None


@pytest.mark.parametrize("seed", range(4))
def test_differential_loads(seed):
    rng = random.Random(seed)
    for _ in range(1500):
        value = random_value(rng)
        try:
            text = json.dumps(
                value,
                default=cjp._default,
                ensure_ascii=rng.random() < 0.5,
                indent=rng.choice([None, 2]),
            )
        except (TypeError, ValueError):
            continue
        for data in (text, text.encode("utf-8", "surrogatepass")):
            expected = outcome(json.loads, data)
            parsed, result = cjp._fast_loads(data)
            if parsed:
                assert expected[0] == "ok"
                assert canonical(result) == canonical(expected[1])


def test_differential_loads_long_decimals():
    rng = random.Random(99)
    for _ in range(20000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 30)))
        point = rng.randint(0, len(digits))
        text = f"{rng.choice(['', '-'])}{digits[:point] or '0'}.{digits[point:] or '0'}"
        if rng.random() < 0.5:
            text += f"e{rng.randint(-330, 310)}"
        expected = outcome(json.loads, text)
        parsed, result = cjp._fast_loads(text)
        if parsed:
            assert canonical(result) == canonical(expected[1]), text

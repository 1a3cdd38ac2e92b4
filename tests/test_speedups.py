"""The compiled leaf functions (carafe.http._speedups) against their pure-Python twins.

These tests import the extension directly, so they run in both passes of
``make test``: the usual one, and the one with ``CARAFE_NO_SPEEDUPS=1``, where
the rest of Carafe runs in pure Python. Where the extension is not built (no C
compiler at install) the whole module is skipped.
"""

from __future__ import annotations

import ast
import collections
import contextlib
import ctypes
import importlib.util
import inspect
import os
import random
import subprocess
import sys
import sysconfig
import tracemalloc
import types
from collections.abc import Callable, Iterator
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

native = pytest.importorskip(
    "carafe.http._speedups",
    reason="carafe.http._speedups is not built (no C compiler at install): pure Python only",
)

import carafe.http  # noqa: E402
from carafe import asgi as asgi_module  # noqa: E402
from carafe import response as response_module  # noqa: E402
from carafe.http import _compiled  # noqa: E402
from carafe.http import forms as forms_module  # noqa: E402
from carafe.http.forms import FormTooLarge, _parse_lists, parse_urlencoded_lists  # noqa: E402
from carafe.json import provider as json_module  # noqa: E402
from carafe.json.provider import _is_plain  # noqa: E402
from carafe.response import Response  # noqa: E402

#: The module's functions; anything else public in it is VERSION.
FUNCTIONS = ["urlencoded_lists", "headers_ready", "encode_headers", "json_plain"]

# The query strings tests/http/test_forms.py checks against Werkzeug, and more.
QUERIES = [
    "", "a=1", "a=1&a=2", "a=1&b=2&a=3", "%zz", "%", "%e9", "a=%e9%41", "&&&", "=x", "=",
    "a", "a&b=&=c", "a;b=1", "a+b=c+d", "a=%2B+%20", "a=%C3%A9", "%C3", "%41%4", "a=b=c",
    "%f0%9f%98%80x%f0%9f", "%00=%0d%0a", "k=" + "v" * 1000, "caf\xe9=\xe9t\xe9",
    "%E2%82=%E2%82%AC%E2%82", "%ZZ%4", "+++", "%%%41", "a=%C3%A9%E9%C3", "%4", "%41",
]  # fmt: skip

# The random differential tests' rounds: `make fuzz` runs many more (and a new seed).
ROUNDS = int(os.environ.get("CARAFE_FUZZ_ROUNDS", "1"))
SEED = int(os.environ.get("CARAFE_FUZZ_SEED", "0"))


def outcome(call: Callable[..., Any], *args: Any) -> Any:
    """The result of ``call(*args)``, or the class of the exception it raised."""
    try:
        return call(*args)
    except Exception as exc:
        return type(exc)


# -- the build --------------------------------------------------------------------------


def test_the_extension_is_the_version_carafe_uses() -> None:
    """Carafe loads this build, at its interface version, unless CARAFE_NO_SPEEDUPS is set."""
    # A stale build (another interface version) would not be used: rebuild.
    assert native.VERSION == _compiled.VERSION
    sanitized = os.environ.get("CARAFE_SANITIZED_SPEEDUPS")
    if sanitized:  # fuzz/sanitized.py: the sanitized build, not another one, is tested.
        assert native.__file__ == sanitized
    wiring = [
        (forms_module._native_lists, native.urlencoded_lists, None),
        (response_module._headers_ready, native.headers_ready, None),
        (asgi_module._compiled_headers, native.encode_headers, None),
        (json_module._plain, native.json_plain, _is_plain),
    ]
    if os.environ.get("CARAFE_NO_SPEEDUPS"):
        assert _compiled.speedups is None
        for used, _, twin in wiring:
            assert used is twin
    else:
        assert _compiled.speedups is native
        for used, compiled, _ in wiring:
            assert used is compiled


def test_carafe_no_speedups_runs_in_pure_python() -> None:
    """With CARAFE_NO_SPEEDUPS=1 no compiled function is used, and an app still works."""
    script = (
        "import carafe.http._compiled, carafe.http.forms, carafe.asgi, carafe.json.provider\n"
        "import carafe.response\n"
        "from carafe import Flask, request\n"
        "assert carafe.http._compiled.speedups is None\n"
        "assert carafe.http.forms._native_lists is None\n"
        "assert carafe.response._headers_ready is None\n"
        "assert carafe.asgi._compiled_headers is None\n"
        "assert carafe.json.provider._plain is carafe.json.provider._is_plain\n"
        "app = Flask('x')\n"
        "@app.post('/')\n"
        "def view():\n"
        "    return {'a': request.form['a'], 'q': request.args['q']}, 201, {'X-A': 'caf\\xe9'}\n"
        "for interface in ('wsgi', 'asgi'):\n"
        "    client = app.test_client(interface=interface)\n"
        "    r = client.post('/?q=%41+b', data={'a': 'b c'})\n"
        "    print(r.status_code, r.headers['X-A'], r.get_json())\n"
    )
    env = {**os.environ, "CARAFE_NO_SPEEDUPS": "1", "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, encoding="utf-8", check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "201 caf\xe9 {'a': 'b c', 'q': 'A b'}\n" * 2


def load_compiled_loader(monkeypatch: pytest.MonkeyPatch, extension: Any) -> Any:
    """What a fresh run of carafe/http/_compiled.py takes as ``speedups`` from ``extension``."""
    monkeypatch.setitem(sys.modules, "carafe.http._speedups", extension)
    monkeypatch.setattr(carafe.http, "_speedups", extension, raising=False)
    spec = importlib.util.spec_from_file_location("compiled_copy", _compiled.__file__)
    assert spec is not None and spec.loader is not None
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    return copy.speedups


def test_only_a_build_of_the_expected_version_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """_compiled.py refuses a build of another interface version, and obeys CARAFE_NO_SPEEDUPS."""
    monkeypatch.delenv("CARAFE_NO_SPEEDUPS", raising=False)
    current = types.SimpleNamespace(VERSION=_compiled.VERSION)
    assert load_compiled_loader(monkeypatch, current) is current
    assert load_compiled_loader(monkeypatch, types.SimpleNamespace(VERSION=0)) is None
    assert load_compiled_loader(monkeypatch, types.SimpleNamespace()) is None
    monkeypatch.setenv("CARAFE_NO_SPEEDUPS", "")  # empty: not set
    assert load_compiled_loader(monkeypatch, current) is current
    monkeypatch.setenv("CARAFE_NO_SPEEDUPS", "1")
    assert load_compiled_loader(monkeypatch, current) is None


def test_the_stub_declares_what_the_module_has() -> None:
    """_speedups.pyi names exactly the module's functions, with their positional parameters."""
    stub = Path(carafe.http.__file__).with_name("_speedups.pyi")
    if not stub.exists():
        pytest.skip("the type stub is not installed next to the package")
    declared: dict[str, list[str]] = {}
    for node in ast.parse(stub.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            assert not node.args.args and not node.args.kwonlyargs, node.name
            declared[node.name] = [argument.arg for argument in node.args.posonlyargs]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            declared[node.target.id] = []
    public = {name for name in dir(native) if not name.startswith("_")}
    assert public == set(declared) == {*FUNCTIONS, "VERSION"}
    for name in FUNCTIONS:
        parameters = inspect.signature(getattr(native, name)).parameters.values()
        assert all(p.kind is inspect.Parameter.POSITIONAL_ONLY for p in parameters), name
        assert [p.name for p in parameters] == declared[name], name


# -- module initialisation --------------------------------------------------------------

cpython_only = pytest.mark.skipif(
    sys.implementation.name != "cpython", reason="reads CPython's module objects"
)


class ModuleDefinition(ctypes.Structure):
    """The fields of a PyModuleDef up to m_slots (Include/moduleobject.h, a stable layout)."""

    _fields_ = [
        ("ob_refcnt", ctypes.c_ssize_t),
        ("ob_type", ctypes.c_void_p),
        ("m_init", ctypes.c_void_p),
        ("m_index", ctypes.c_ssize_t),
        ("m_copy", ctypes.c_void_p),
        ("m_name", ctypes.c_char_p),
        ("m_doc", ctypes.c_char_p),
        ("m_size", ctypes.c_ssize_t),
        ("m_methods", ctypes.c_void_p),
        ("m_slots", ctypes.c_void_p),
    ]


@cpython_only
@pytest.mark.skipif(
    bool(sysconfig.get_config_var("Py_GIL_DISABLED")) or hasattr(sys, "getobjects"),
    reason="another object header layout",
)
def test_init_is_multi_phase_with_no_module_state() -> None:
    """PyInit__speedups returns its module definition, not a module, and the definition
    asks for no per-module state (m_size 0): nothing to share between interpreters."""
    init = ctypes.PyDLL(native.__file__).PyInit__speedups
    init.restype = ctypes.py_object
    definition = init()
    # A copy of ctypes.pythonapi, so the argument types set here stay here.
    python = ctypes.PyDLL(ctypes.pythonapi._name, handle=ctypes.pythonapi._handle)
    # ctypes takes over the reference returned, but the definition is a static object.
    python.Py_IncRef.argtypes = [ctypes.py_object]
    python.Py_IncRef(definition)
    assert type(definition).__name__ == "moduledef"
    python.PyModule_GetDef.argtypes = [ctypes.py_object]
    python.PyModule_GetDef.restype = ctypes.c_void_p
    assert python.PyModule_GetDef(native) == id(definition)  # the module was made from it
    fields = ModuleDefinition.from_address(id(definition))
    assert fields.m_name == native.__name__.encode()
    assert fields.m_size == 0
    assert fields.m_copy is None  # what a single-phase module keeps of its first import
    assert fields.m_slots is not None


def load_again() -> types.ModuleType:
    """A new module object from the extension's file, outside sys.modules."""
    spec = importlib.util.spec_from_file_location(native.__name__, native.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def works(module: Any) -> None:
    """Each of the module's functions gives its usual answer."""
    assert module.urlencoded_lists(b"a=1&a=%41+b&c", None) == {"a": ["1", "A b"], "c": [""]}
    assert module.urlencoded_lists(b"a&b", 1) == 2
    items = [("Content-Length", "1")]
    assert module.headers_ready(items, {"Content-Length": "content-length"}) is True
    encoded = module.encode_headers(items, {"Content-Length": b"content-length"})
    assert encoded == [(b"content-length", b"1")]
    assert module.json_plain({"a": [1, 2.5, None]}) is True
    assert module.json_plain(1e20) is False


def test_each_load_makes_an_independent_module() -> None:
    """Loaded twice, the extension gives two modules, each with its own working functions."""
    first, second = load_again(), load_again()
    assert len({id(native), id(first), id(second)}) == 3
    assert sys.modules[native.__name__] is native
    for module in (native, first, second):
        assert module.VERSION == _compiled.VERSION
        for name in FUNCTIONS:
            # Bound to their own module: a single-phase module's copies share the first's.
            assert getattr(module, name).__self__ is module, name
        works(module)
    del first.json_plain
    setattr(first, "VERSION", -1)
    assert second.VERSION == native.VERSION == _compiled.VERSION
    works(second)
    works(native)


# The script a subinterpreter runs: it loads the extension from its file (the rest of
# Carafe imports modules that may not support subinterpreters) and calls each function.
SUBINTERPRETER_SCRIPT = """
import importlib.util
spec = importlib.util.spec_from_file_location({name!r}, {path!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert module.urlencoded_lists(b"a=1&a=%41+b", None) == {{"a": ["1", "A b"]}}
assert module.headers_ready([("Content-Length", "1")], {{"Content-Length": "content-length"}})
encoded = module.encode_headers([("Content-Length", "1")], {{"Content-Length": b"content-length"}})
assert encoded == [(b"content-length", b"1")]
assert module.json_plain({{"a": [1, 2.5]}})
"""

# Runs argv[1] in a new isolated subinterpreter (its own GIL; it imports only
# extensions that declare support for that), in a process of its own.
SUBINTERPRETER_DRIVER = """
import sys
try:
    import _interpreters as interpreters
except ImportError:
    import _xxsubinterpreters as interpreters
interpreter = interpreters.create()
try:
    failure = interpreters.run_string(interpreter, sys.argv[1])  # 3.12 raises instead
finally:
    interpreters.destroy(interpreter)
if failure is not None:
    sys.exit(failure.formatted)
print("ok")
"""


def subinterpreters_available() -> bool:
    """Whether this Python has the (private) module that makes subinterpreters."""
    return any(importlib.util.find_spec(name) for name in ("_interpreters", "_xxsubinterpreters"))


@cpython_only
@pytest.mark.skipif(sys.version_info < (3, 12), reason="isolated subinterpreters are 3.12+")
@pytest.mark.skipif(not subinterpreters_available(), reason="no _interpreters module")
def test_an_isolated_subinterpreter_imports_it() -> None:
    """A subinterpreter with its own GIL loads the extension and calls each function."""
    script = SUBINTERPRETER_SCRIPT.format(name=native.__name__, path=native.__file__)
    done = subprocess.run(
        [sys.executable, "-c", SUBINTERPRETER_DRIVER, script],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr


# -- urlencoded -------------------------------------------------------------------------


def python_lists(body: bytes, max_fields: int | None) -> dict[str, list[str]] | int:
    """The Python twin's answer, with a form over the limit given as its field count."""
    try:
        return _parse_lists(body, max_fields)
    except FormTooLarge as exc:
        return int(str(exc).split()[3])  # "The form has N fields, ..."


@pytest.mark.parametrize("max_fields", [None, 0, 1, 2, 1000, -1])
@pytest.mark.parametrize("query", QUERIES)
def test_urlencoded_examples_match_python(query: str, max_fields: int | None) -> None:
    """Each example query, as latin-1 and as UTF-8, parses as the Python twin parses it."""
    for body in (query.encode("latin-1"), query.encode()):
        assert native.urlencoded_lists(body, max_fields) == python_lists(body, max_fields)


def test_urlencoded_fuzz_matches_python() -> None:
    """Random bodies of escapes, separators and raw bytes parse as the Python twin parses them."""
    # Raw bytes that are not UTF-8, escapes of every kind, separators in a row.
    alphabet = [
        b"a", b"B", b"=", b"&", b"+", b"%", b"%2", b"%2B", b"%e9", b"%C3", b"%A9", b"%zz",
        b"\xe9", b"\xc3", b"\xa9", b"\xc3\xa9", b"\xf0\x9f\x98\x80", b"\x00", b" ", b";", b"9",
        b"%f0%9f", b"%98%80", b"%ED%A0%80", b"\x7f",
    ]  # fmt: skip
    rng = random.Random(11 + SEED)
    for _ in range(4000 * ROUNDS):
        body = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 20)))
        for limit in (None, 3):
            assert native.urlencoded_lists(body, limit) == python_lists(body, limit), body


def test_urlencoded_reports_a_count_over_the_limit() -> None:
    """Over max_fields the non-empty field count comes back, for the caller to raise."""
    assert native.urlencoded_lists(b"a&&b&c&", 2) == 3
    assert native.urlencoded_lists(b"a&&b&c&", 3) == {"a": [""], "b": [""], "c": [""]}
    assert native.urlencoded_lists(b"", 0) == {}
    assert native.urlencoded_lists(b"&&", -1) == 0
    with pytest.raises(FormTooLarge, match="3 fields, more than the limit of 2"):
        parse_urlencoded_lists(b"a&&b&c&", max_fields=2)


def test_urlencoded_keeps_order_and_repeats() -> None:
    """Names keep their first-seen order, and each name its values in order."""
    lists = native.urlencoded_lists(b"b=1&a=2&b=3&c&b=", None)
    assert list(lists.items()) == [("b", ["1", "3", ""]), ("a", ["2"]), ("c", [""])]


def test_urlencoded_takes_bytes_and_an_int_limit_only() -> None:
    """Anything but bytes and an int or None limit is a TypeError; bytearray goes to Python."""
    with pytest.raises(TypeError, match="needs bytes"):
        native.urlencoded_lists("a=1", None)
    with pytest.raises(TypeError, match="needs bytes"):
        native.urlencoded_lists(bytearray(b"a=1"), None)
    with pytest.raises(TypeError):
        native.urlencoded_lists(b"a=1", "10")
    with pytest.raises(TypeError):
        native.urlencoded_lists(b"a=1", 2.5)
    with pytest.raises(TypeError, match="takes 2 arguments"):
        native.urlencoded_lists(b"a=1")
    with pytest.raises(TypeError):
        native.urlencoded_lists(b"a=1", None, None)
    # The public function takes other byte types through the Python parser.
    form = parse_urlencoded_lists(bytearray(b"a=1&a=%41"), max_fields=None)
    assert form == {"a": ["1", "A"]}


def test_urlencoded_takes_any_int_limit_as_python_does() -> None:
    """A limit too large for a C integer is no limit, as in the Python twin."""
    for limit in (2**70, -(2**70)):
        assert native.urlencoded_lists(b"a=1", limit) == python_lists(b"a=1", limit)


# -- header lists -----------------------------------------------------------------------

# Names a header list may hold; X-Unseen is not among the known (validated) ones.
NAMES = ["Content-Type", "content-type", "Content-Length", "content-length", "X-One",
         "Location", "location", "X-Unseen"]  # fmt: skip
# What Headers holds (str values); and a value it never holds, for the direct calls.
STR_VALUES = ["v", "1", "", "text/plain", "/caf\xe9", "/a b", "\u2603", "\ud800"]
VALUES: list[Any] = [*STR_VALUES, 5]
# headers.KNOWN_NAMES (validated name -> lower case) and asgi._ASGI_NAMES, as filled.
KNOWN = {name: name.lower() for name in NAMES if name != "X-Unseen"}
ASGI_NAMES = {name: name.lower().encode("latin-1") for name in KNOWN}
STATUSES = [200, 201, 204, 304, 404]


class Name(str):
    """A str subclass, which the compiled functions decline as a name."""


class Items(list):  # type: ignore[type-arg]
    """A list subclass, which the compiled functions decline as a header list."""


def random_items(rng: random.Random, values: list[Any] = VALUES) -> Any:
    """A random header list: mostly (name, value) pairs, at times something else."""
    items: list[Any] = []
    for _ in range(rng.randrange(0, 5)):
        name, value = rng.choice(NAMES), rng.choice(values)
        shape = rng.randrange(12)
        if shape == 0:
            items.append([name, value])
        elif shape == 1:
            items.append((Name(name), value))
        elif shape == 2:
            items.append((name.encode(), value))
        else:
            items.append((name, value))
    if rng.randrange(3) == 0:
        items.append(("Content-Length", "4"))
    return tuple(items) if rng.randrange(20) == 0 else items


def takes_on(items: Any, names: dict[str, Any], *, str_values: bool) -> bool:
    """Whether a header list is the usual one the compiled functions answer for.

    An exact list of exact 2-tuples, each name an exact str among ``names``
    (and each value an exact str if ``str_values``), a Content-Length among them
    and no Location.
    """
    if type(items) is not list:
        return False
    lowers = set()
    for item in items:
        if type(item) is not tuple or len(item) != 2 or type(item[0]) is not str:
            return False
        if item[0] not in names or (str_values and type(item[1]) is not str):
            return False
        lower = names[item[0]]
        lowers.add(lower.decode("latin-1") if type(lower) is bytes else lower)
    return "content-length" in lowers and "location" not in lowers


@contextlib.contextmanager
def response_writers(*, compiled: bool) -> Iterator[None]:
    """Run the block with the response writers on the compiled functions or their twins.

    Both start from the same caches of known names (KNOWN and ASGI_NAMES).
    """
    ready, encode = (native.headers_ready, native.encode_headers) if compiled else (None, None)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(response_module, "KNOWN_NAMES", KNOWN)
        patch.setattr(response_module, "_headers_ready", ready)
        patch.setattr(asgi_module, "_compiled_headers", encode)
        patch.setattr(asgi_module, "_ASGI_NAMES", dict(ASGI_NAMES))
        yield


def written(response: Response, *, compiled: bool) -> tuple[Any, Any]:
    """The WSGI and ASGI header lists of ``response`` (or the class of the error)."""
    with response_writers(compiled=compiled):
        return outcome(response.wsgi_headers), outcome(asgi_module._asgi_headers, response)


#: A compiled build (mypyc) checks attribute types: a header list of another shape
#: cannot be set on its Headers at all, so the fuzz tests skip those lists there.
TYPED = not str(response_module.__file__).endswith(".py")


def settable(items: Any) -> bool:
    """True if ``items`` can be a Headers' list in this build."""
    return not TYPED or (
        type(items) is list
        and all(
            type(item) is tuple and len(item) == 2 and all(type(part) is str for part in item)
            for item in items
        )
    )


def test_header_lists_fuzz_matches_python() -> None:
    """Random header lists: the response writers send the same with or without the C helpers.

    With str values, as Headers holds them: a value of another type makes the Python code
    fail at different points on the two paths.
    """
    rng = random.Random(5 + SEED)
    for _ in range(2000 * ROUNDS):
        items = random_items(rng, STR_VALUES)
        if not settable(items):
            continue
        response = Response(b"body", rng.choice(STATUSES))
        response.headers._list = items
        compiled = written(response, compiled=True)
        assert compiled == written(response, compiled=False), (items, response.status)


def test_headers_ready_fuzz_matches_python() -> None:
    """headers_ready answers True exactly for the usual list, which WSGI then sends as it is."""
    rng = random.Random(7 + SEED)
    for _ in range(3000 * ROUNDS):
        items = random_items(rng)
        ready = native.headers_ready(items, KNOWN)
        assert ready is takes_on(items, KNOWN, str_values=False), items
        if ready and settable(items):
            response = Response(b"body", rng.choice([200, 201, 404]))
            response.headers._list = items
            with response_writers(compiled=False):
                assert response.wsgi_headers() is items


def test_headers_ready_takes_on_the_usual_list() -> None:
    """The list a view's response usually has is ready; the same list read wrongly is not."""
    items = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "5")]
    assert native.headers_ready(items, KNOWN) is True
    assert native.headers_ready([("content-length", "5")], KNOWN) is True
    assert native.headers_ready(items, {"Content-Type": "content-type"}) is False
    assert native.headers_ready(items, {"Content-Length": "content-length"}) is False
    # The lower case in known_names decides, not the name as written.
    assert native.headers_ready([("X-A", "1")], {"X-A": "content-length"}) is True
    assert native.headers_ready(items, {**KNOWN, "Content-Type": "location"}) is False


def test_headers_ready_declines_what_it_does_not_know() -> None:
    """Anything but the usual list is False: the Python code decides."""
    length = ("Content-Length", "1")
    for items in [
        [],
        [("Content-Type", "a")],  # the length is computed
        [length, ("Location", "/x")],  # the URI is checked
        [("location", "/x"), length],
        [length, ("X-Unseen", "v")],  # a name never validated
        [length, ["X-One", "v"]],  # not a tuple
        [length, ("X-One", "v", "w")],
        [length, ("X-One",)],
        [length, (Name("X-One"), "v")],  # a str subclass
        [length, (b"X-One", "v")],
        [length, "X-One: v"],
        (length,),  # not a list
        Items([length]),
        collections.UserList([length]),
        iter([length]),
        None,
    ]:
        assert native.headers_ready(items, KNOWN) is False, items


def test_headers_ready_checks_its_arguments() -> None:
    """known_names must be an exact dict, and there must be two arguments."""
    items = [("Content-Length", "1")]
    for names in (list(KNOWN), collections.OrderedDict(KNOWN), None):
        with pytest.raises(TypeError, match="takes a list and a dict"):
            native.headers_ready(items, names)
    with pytest.raises(TypeError, match="takes a list and a dict"):
        native.headers_ready(items)
    with pytest.raises(TypeError, match="takes a list and a dict"):
        native.headers_ready(items, KNOWN, KNOWN)


def test_headers_ready_declines_known_names_that_are_not_str() -> None:
    """A known_names value that is not a str is declined (as encode_headers declines one)."""
    script = (
        "import carafe.http._speedups as native\n"
        "for lower in (5, None, b'content-length'):\n"
        "    print(native.headers_ready([('Content-Length', '1')], {'Content-Length': lower}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert (done.returncode, done.stdout) == (0, "False\n" * 3), done.stderr


def expected_encoding(items: Any, names: dict[str, Any]) -> Any:
    """What encode_headers must answer: the usual list's pairs encoded, in order, or None
    for any other list; a value that is not latin-1, met before anything that declines
    the list, raises UnicodeEncodeError (as the Python code raises on it)."""
    if not takes_on(items, names, str_values=True) or any(
        type(names[name]) is not bytes for name, _ in items
    ):
        # Declined, unless a value met before what declines it is not latin-1.
        for item in items if type(items) is list else ():
            if type(item) is not tuple or len(item) != 2 or type(item[0]) is not str:
                break
            if type(item[1]) is not str or type(names.get(item[0])) is not bytes:
                break
            if names[item[0]] == b"location":
                break
            item[1].encode("latin-1")
        return None
    return [(names[name], value.encode("latin-1")) for name, value in items]


def test_encode_headers_fuzz_matches_python() -> None:
    """encode_headers gives the encoded usual list, None for any other, or raises as Python."""
    rng = random.Random(9 + SEED)
    for _ in range(3000 * ROUNDS):
        items = random_items(rng)
        names = ASGI_NAMES if rng.randrange(8) else {**ASGI_NAMES, "X-One": "x-one"}
        result = outcome(native.encode_headers, items, names)
        assert result == outcome(expected_encoding, items, names), items
        if isinstance(result, list):
            with response_writers(compiled=False):  # on a copy of ASGI_NAMES
                assert result == asgi_module._encode_headers(items)


def test_encode_headers_encodes_the_usual_list() -> None:
    """The usual list comes back encoded, in order, its names the very bytes of names."""
    items = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("X-One", "caf\xe9"),
        ("Content-Length", "1"),
    ]
    encoded = native.encode_headers(items, ASGI_NAMES)
    assert encoded == [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"x-one", b"caf\xe9"),
        (b"content-length", b"1"),
    ]
    assert all(type(pair) is tuple for pair in encoded)
    assert encoded[0][0] is ASGI_NAMES["Content-Type"]
    assert native.encode_headers([("content-length", "0")], ASGI_NAMES) == [
        (b"content-length", b"0")
    ]


def test_encode_headers_declines_what_it_does_not_know() -> None:
    """Anything but the usual list of known names and str values is None."""
    ok = [("X-One", "caf\xe9"), ("Content-Length", "1")]
    for declined in (
        [],
        ok[:1],  # no length
        [*ok, ("Location", "/x")],
        [("location", "/x"), *ok],
        [*ok, ("X-Unseen", "v")],
        [*ok, ("X-One", 5)],
        [*ok, ("X-One", Name("v"))],
        [*ok, (Name("X-One"), "v")],
        [*ok, ["X-One", "v"]],
        [*ok, ("X-One", "v", "w")],
        tuple(ok),
        Items(ok),
        collections.UserList(ok),
    ):
        assert native.encode_headers(declined, ASGI_NAMES) is None, declined
    # A name's value in names that is not bytes.
    assert native.encode_headers(ok, {**ASGI_NAMES, "X-One": "x-one"}) is None
    assert native.encode_headers(ok, {**ASGI_NAMES, "X-One": bytearray(b"x-one")}) is None


def test_encode_headers_survives_a_lookup_that_empties_the_list() -> None:
    """A names key whose __eq__ empties the list being encoded is no memory error."""
    script = (
        "import carafe.http._speedups as native\n"
        "items = []\n"
        "class Clearing:\n"
        "    def __hash__(self):\n"
        "        return hash('X-Clear')\n"
        "    def __eq__(self, other):\n"
        "        items.clear()\n"
        "        return True\n"
        "names = {Clearing(): b'x-clear', 'Content-Length': b'content-length'}\n"
        "items[:] = [('X-' + 'clear'.title(), 'v' * 40), ('Content-Length', '1')]\n"
        "native.encode_headers(items, names)\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert (done.returncode, done.stdout) == (0, "ok\n"), done.stderr


def test_encode_headers_checks_its_arguments() -> None:
    """names must be an exact dict; a value that is not latin-1 raises UnicodeEncodeError."""
    ok = [("Content-Length", "1")]
    for names in (list(ASGI_NAMES), collections.OrderedDict(ASGI_NAMES), None):
        with pytest.raises(TypeError, match="takes a list and a dict"):
            native.encode_headers(ok, names)
    with pytest.raises(TypeError, match="takes a list and a dict"):
        native.encode_headers(ok)
    with pytest.raises(UnicodeEncodeError):
        native.encode_headers([("X-One", "\u2603"), *ok], ASGI_NAMES)
    with pytest.raises(UnicodeEncodeError):
        native.encode_headers([*ok, ("X-One", "\ud800")], ASGI_NAMES)


# -- JSON -------------------------------------------------------------------------------


class Text(str):
    """A str subclass: orjson would bypass the provider's ``default`` for it."""


class Number(int):
    """An int subclass, likewise."""


class Mapping(dict):  # type: ignore[type-arg]
    """A dict subclass, likewise."""


Pair = collections.namedtuple("Pair", "a b")

SCALARS: list[Any] = [
    "s", Text("t"), 1, Number(2), True, False, None, 0.0, -0.0, 0.0001, 0.00009999, 1e16,
    9999999999999998.0, -1.5, float("nan"), float("inf"), -float("inf"), Decimal(1),
    UUID(int=1), b"x", 2**70, HTTPStatus.OK, 5e-324, -1e-4,
]  # fmt: skip


def test_json_plain_fuzz_matches_python() -> None:
    """Random nestings of scalars and containers: json_plain is json._is_plain."""
    rng = random.Random(3 + SEED)
    for _ in range(3000 * ROUNDS):
        value: Any = rng.choice(SCALARS)
        for _ in range(rng.randrange(0, 4)):
            kind = rng.randrange(6)
            if kind == 0:
                value = {"k": value, "n": rng.choice(SCALARS[:7])}
            elif kind == 1:
                value = [rng.choice(SCALARS[:7]), value]
            elif kind == 2:
                value = (value,)
            elif kind == 3:
                value = {"only": [value]}
            elif kind == 4:
                value = Mapping(k=value) if rng.randrange(2) else {Text("k"): value}
            else:
                value = Pair(1, value)
        assert native.json_plain(value) is _is_plain(value), value


def test_json_plain_declines_what_json_dumps_writes_otherwise() -> None:
    """Exact containers of str, int, bool, None and exponent-free floats only are plain."""
    plain: list[Any] = [
        "s", 0, -(2**70), True, None, 0.0, -0.0, 0.0001, 1.5, 9999999999999998.0, [], (), {},
        {"a": [1, ("b", None)]},
        # Keys are not looked at: orjson refuses any that json.dumps writes otherwise.
        {Text("k"): 1},
    ]  # fmt: skip
    for value in plain:
        assert native.json_plain(value) is True, value
    odd: list[Any] = [
        Text("t"), Number(1), HTTPStatus.OK, 1e16, 0.00009999, 5e-324, float("nan"),
        float("inf"), Decimal(1), UUID(int=1), b"x", Mapping(), Pair(1, 2),
        collections.OrderedDict(), [1, 1e20], {"a": {"b": Text("t")}}, object(),
    ]  # fmt: skip
    for value in odd:
        assert native.json_plain(value) is False, value


def test_json_plain_depth_guard() -> None:
    """Nesting within the guard is walked; past it (1000 levels) the value is not plain."""
    nested: Any = 1
    for _ in range(500):
        nested = [nested]
    assert native.json_plain(nested) is True
    assert native.json_plain([nested, 1e20]) is False
    for _ in range(1500):
        nested = {"k": nested}
    assert native.json_plain(nested) is False


def test_json_plain_takes_one_argument() -> None:
    """json_plain is a one-argument function."""
    with pytest.raises(TypeError):
        native.json_plain()
    with pytest.raises(TypeError):
        native.json_plain(1, 2)


# -- no leaks ---------------------------------------------------------------------------


def allocated_after(step: Callable[[], object], rounds: int) -> int:
    """The memory still allocated after ``rounds`` more runs of ``step`` (warmed up first)."""
    for _ in range(200):
        step()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(rounds):
            step()
        return tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()


def test_no_memory_is_leaked() -> None:
    """Every path of every function, results and errors included, frees what it made."""
    body = b"a=1&b=%C3%A9+x&a&c=%E9&\xc3\xa9=\xff&d=%zz&a=2"
    items = [("Content-Type", "text/plain"), ("X-One", "caf\xe9"), ("Content-Length", "1")]
    snowman = [("Content-Length", "1"), ("X-One", "\u2603")]

    def step() -> None:
        native.urlencoded_lists(body, None)
        native.urlencoded_lists(body, 2)  # over the limit: the count
        native.urlencoded_lists(b"plain=ascii&only", 10)
        with contextlib.suppress(TypeError):
            native.urlencoded_lists("a=1", None)
        native.headers_ready(items, KNOWN)
        native.headers_ready([*items, ("Location", "/")], KNOWN)
        native.encode_headers(items, ASGI_NAMES)
        native.encode_headers(items[:2], ASGI_NAMES)  # encoded, then declined: no length
        native.encode_headers([*items, ("X-Unseen", "v")], ASGI_NAMES)
        with contextlib.suppress(UnicodeEncodeError):
            native.encode_headers(snowman, ASGI_NAMES)
        native.json_plain({"a": [1, 2.5, None, ("s", True)]})
        native.json_plain([1, {"b": 1e20}])

    assert allocated_after(step, 20_000) < 4096

"""Tests for carafe.http.datastructures, compared with Werkzeug's where behaviour must match."""

from __future__ import annotations

import copy
import io
import json
import pickle
import tempfile
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import CombinedMultiDict as WCombinedMultiDict
from werkzeug.datastructures import FileStorage as WFileStorage
from werkzeug.datastructures import ImmutableMultiDict as WImmutableMultiDict
from werkzeug.datastructures import MultiDict as WMultiDict

from carafe.http.datastructures import (
    CombinedMultiDict,
    FileStorage,
    ImmutableMultiDict,
    MultiDict,
)
from carafe.http.headers import Headers

PAIRS = [("a", "1"), ("b", "2"), ("a", "3"), ("c", "x")]


def state(md: Any) -> list[tuple[str, list[Any]]]:
    return list(md.lists())


# -- MultiDict -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        None,
        PAIRS,
        {"a": "1", "b": ["2", "3"], "c": ("4",), "d": [], "e": {"5"}},
        iter(PAIRS),
    ],
)
def test_constructor_matches_werkzeug(source: Any) -> None:
    if isinstance(source, type(iter([]))):
        ours, theirs = MultiDict(iter(PAIRS)), WMultiDict(iter(PAIRS))
    else:
        ours, theirs = MultiDict(source), WMultiDict(source)
    assert state(ours) == state(theirs)
    assert repr(ours) == repr(theirs)
    assert len(ours) == len(theirs)


def test_constructor_from_multidict_copies_lists() -> None:
    original = MultiDict(PAIRS)
    copied = MultiDict(original)
    copied.add("a", "new")
    assert original.getlist("a") == ["1", "3"]
    assert MultiDict._from_pairs(PAIRS) == original
    assert type(ImmutableMultiDict._from_pairs(PAIRS)) is ImmutableMultiDict


def test_reading_matches_werkzeug() -> None:
    ours, theirs = MultiDict(PAIRS), WMultiDict(PAIRS)
    assert ours["a"] == theirs["a"] == "1"
    assert ours.getlist("a") == theirs.getlist("a") == ["1", "3"]
    assert ours.getlist("missing") == theirs.getlist("missing") == []
    assert ours.getlist("a", type=int) == theirs.getlist("a", type=int)
    assert ours.getlist("c", type=int) == theirs.getlist("c", type=int) == []
    assert ours.get("a") == theirs.get("a")
    assert ours.get("missing") is None
    assert ours.get("missing", "d") == "d"
    assert ours.get("a", type=int) == 1
    assert ours.get("c", -1, type=int) == theirs.get("c", -1, type=int) == -1
    assert ours.get("c", type=lambda v: None + v) is None  # TypeError -> default
    assert list(ours) == list(theirs)
    assert list(ours.keys()) == list(theirs.keys())
    assert list(ours.values()) == list(theirs.values())
    assert list(ours.items()) == list(theirs.items())
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))
    assert list(ours.lists()) == list(theirs.lists())
    assert list(ours.listvalues()) == list(theirs.listvalues())
    assert ours.to_dict() == theirs.to_dict() == {"a": "1", "b": "2", "c": "x"}
    assert ours.to_dict(flat=False) == theirs.to_dict(flat=False)
    assert dict(ours) == dict(theirs) == {"a": "1", "b": "2", "c": "x"}
    assert json.dumps(ours) == json.dumps(theirs)
    assert "a" in ours and "z" not in ours
    assert isinstance(ours, dict)


def test_missing_key() -> None:
    with pytest.raises(KeyError) as info:
        MultiDict()["x"]
    assert info.value.args == ("x",)

    class BadRequestKeyError(KeyError):
        pass

    class RequestDict(ImmutableMultiDict[str, str]):
        missing_key_error = BadRequestKeyError

    form = RequestDict(PAIRS)
    with pytest.raises(BadRequestKeyError):
        form["missing"]
    assert form.get("missing") is None
    with pytest.raises(BadRequestKeyError):
        CombinedMultiDict([form])["missing"]


MUTATIONS: list[tuple[str, tuple[Any, ...]]] = [
    ("add", ("a", "4")),
    ("add", ("new", "n")),
    ("__setitem__", ("b", "B")),
    ("setlist", ("c", ["c1", "c2"])),
    ("setlist", ("empty", [])),
    ("setdefault", ("a", "ignored")),
    ("setdefault", ("d", "dv")),
    ("setlistdefault", ("e", ["e1"])),
    ("setlistdefault", ("a",)),
    ("update", ({"a": ["u1", "u2"], "f": "fv"},)),
    ("update", ([("g", "1"), ("g", "2")],)),
    ("update", (MultiDict([("h", "1"), ("h", "2")]),)),
    ("pop", ("new",)),
    ("pop", ("missing", "dflt")),
    ("pop", ("empty", "dflt-for-empty")),
    ("poplist", ("g",)),
    ("poplist", ("missing",)),
    ("__delitem__", ("f",)),
    ("popitem", ()),
    ("popitemlist", ()),
]


def test_mutations_match_werkzeug_step_by_step() -> None:
    ours, theirs = MultiDict(PAIRS), WMultiDict(PAIRS)
    for name, args in MUTATIONS:
        their_args = tuple(
            WMultiDict(list(a.items(multi=True))) if isinstance(a, MultiDict) else a for a in args
        )
        our_result = getattr(ours, name)(*args)
        their_result = getattr(theirs, name)(*their_args)
        assert our_result == their_result, name
        assert state(ours) == state(theirs), name


def test_setlistdefault_returns_live_list() -> None:
    md: MultiDict[str, int] = MultiDict({"foo": 1})
    md.setlistdefault("foo").extend([2, 3])
    assert md.getlist("foo") == [1, 2, 3]


def test_pop_errors() -> None:
    md: MultiDict[str, str] = MultiDict()
    with pytest.raises(KeyError):
        md.pop("x")
    with pytest.raises(KeyError):
        md.popitem()
    with pytest.raises(KeyError):
        md.popitemlist()


def test_or_and_ior() -> None:
    md = MultiDict([("a", "1")])
    merged = md | {"a": "2", "b": "3"}
    assert state(merged) == [("a", ["1", "2"]), ("b", ["3"])]
    assert state(md) == [("a", ["1"])]
    md |= [("c", "4")]
    assert state(md) == [("a", ["1"]), ("c", ["4"])]


def test_copies() -> None:
    md = MultiDict([("a", ["x"])])
    shallow, deep = md.copy(), md.deepcopy()
    assert shallow == deep == md
    md.getlist("a")  # getlist returns a copy, so mutate through the live list
    md.setlistdefault("a")[0].append("changed")
    assert shallow["a"] == ["x", "changed"]
    assert deep["a"] == ["x"]
    assert copy.copy(md) == md
    assert copy.deepcopy(md)["a"] == ["x", "changed"]


def test_pickle_roundtrip_keeps_all_values() -> None:
    for cls in (MultiDict, ImmutableMultiDict):
        md = cls(PAIRS)
        restored = pickle.loads(pickle.dumps(md))
        assert type(restored) is cls
        assert state(restored) == state(md)


def test_eq_and_repr() -> None:
    assert MultiDict(PAIRS) == MultiDict(PAIRS)
    assert MultiDict(PAIRS) == {"a": ["1", "3"], "b": ["2"], "c": ["x"]}
    assert MultiDict(PAIRS) != MultiDict(PAIRS[:2])
    assert repr(MultiDict([("a", "b")])) == "MultiDict([('a', 'b')])"
    assert repr(ImmutableMultiDict([("a", "b")])) == repr(WImmutableMultiDict([("a", "b")]))


# -- ImmutableMultiDict ------------------------------------------------------------------


def test_immutable_multidict_refuses_every_mutation() -> None:
    md = ImmutableMultiDict(PAIRS)
    mutations = [
        lambda: md.__setitem__("a", "1"),
        lambda: md.__delitem__("a"),
        lambda: md.add("a", "1"),
        lambda: md.setlist("a", ["1"]),
        lambda: md.setdefault("a", "1"),
        lambda: md.setlistdefault("a", ["1"]),
        lambda: md.update({"a": "1"}),
        lambda: md.pop("a"),
        lambda: md.popitem(),
        lambda: md.poplist("a"),
        lambda: md.popitemlist(),
        lambda: md.clear(),
        lambda: md.__ior__({"a": "1"}),
    ]
    for mutate in mutations:
        with pytest.raises(TypeError, match=r"^'ImmutableMultiDict' objects are immutable$"):
            mutate()
    assert state(md) == state(MultiDict(PAIRS))


def test_immutable_multidict_copy_and_hash() -> None:
    md = ImmutableMultiDict(PAIRS)
    mutable = md.copy()
    assert type(mutable) is MultiDict
    mutable.add("z", "1")
    assert "z" not in md
    assert hash(md) == hash(ImmutableMultiDict(PAIRS))
    assert {md: 1}[ImmutableMultiDict(PAIRS)] == 1
    assert copy.copy(md) is md
    with pytest.raises(TypeError):
        hash(MultiDict(PAIRS))


# -- CombinedMultiDict -------------------------------------------------------------------

ARGS = [("a", "1"), ("q", "x"), ("a", "2")]
FORM = [("a", "3"), ("f", "y"), ("n", "nan")]


def test_combined_matches_werkzeug() -> None:
    ours = CombinedMultiDict([MultiDict(ARGS), MultiDict(FORM)])
    theirs = WCombinedMultiDict([WMultiDict(ARGS), WMultiDict(FORM)])
    assert ours["a"] == theirs["a"] == "1"
    assert ours["f"] == theirs["f"]
    assert ours.getlist("a") == theirs.getlist("a") == ["1", "2", "3"]
    assert ours.getlist("a", type=int) == theirs.getlist("a", type=int)
    assert ours.get("n", type=int) == theirs.get("n", type=int)
    assert ours.get("a", type=int) == theirs.get("a", type=int) == 1
    assert ours.get("zzz", "d") == theirs.get("zzz", "d") == "d"
    assert sorted(ours.keys()) == sorted(theirs.keys())
    assert list(ours.keys()) == ["a", "q", "f", "n"]  # first-seen order, not a set
    assert list(ours) == list(ours.keys())
    assert len(ours) == len(theirs) == 4
    assert list(ours.items()) == list(theirs.items())
    assert list(ours.items(multi=True)) == list(theirs.items(multi=True))
    assert list(ours.values()) == list(theirs.values())
    assert sorted(ours.lists()) == sorted(theirs.lists())
    assert ours.to_dict() == theirs.to_dict()
    assert ours.to_dict(flat=False) == theirs.to_dict(flat=False)
    assert ("a" in ours) and ("f" in ours) and ("zzz" not in ours)
    assert state(ours.copy()) == state(theirs.copy())
    assert list(ours.listvalues()) == [["1", "2", "3"], ["x"], ["y"], ["nan"]]
    with pytest.raises(KeyError):
        ours["zzz"]


def test_combined_empty_and_read_only() -> None:
    combined: CombinedMultiDict[str, str] = CombinedMultiDict()
    assert len(combined) == 0
    assert combined.get("x") is None
    with pytest.raises(KeyError):
        combined["x"]
    assert not hasattr(combined, "add")
    with pytest.raises(TypeError):
        combined["x"] = "1"  # type: ignore[index]


# -- FileStorage -----------------------------------------------------------------------


def make_storage(data: bytes = b"hello\r\nworld") -> FileStorage:
    return FileStorage(
        io.BytesIO(data),
        filename="a.txt",
        name="upload",
        content_type="Text/Plain; charset=UTF-8",
        content_length=len(data),
    )


def test_filestorage_metadata_matches_werkzeug() -> None:
    ours = make_storage()
    theirs = WFileStorage(
        io.BytesIO(b"x"),
        filename="a.txt",
        name="upload",
        content_type="Text/Plain; charset=UTF-8",
        content_length=12,
    )
    for attribute in (
        "filename",
        "name",
        "content_type",
        "content_length",
        "mimetype",
        "mimetype_params",
    ):
        assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
    assert list(ours.headers) == list(theirs.headers)
    assert repr(ours) == repr(theirs) == "<FileStorage: 'a.txt' ('Text/Plain; charset=UTF-8')>"
    assert ours.mimetype == "text/plain"
    assert ours.mimetype_params == {"charset": "UTF-8"}
    assert isinstance(ours.headers, Headers)


def test_filestorage_defaults() -> None:
    empty = FileStorage()
    assert not empty
    assert empty.read() == b""
    assert empty.filename is None
    assert empty.content_type is None
    assert empty.content_length == 0
    assert empty.mimetype == ""
    assert empty.mimetype_params == {}
    assert repr(empty) == repr(WFileStorage()) == "<FileStorage: None (None)>"
    assert not FileStorage(io.BytesIO(b"x"), filename="")
    bad_length = FileStorage(headers=Headers([("Content-Length", "abc")]))
    assert bad_length.content_length == 0


def test_filestorage_filename_from_stream(tmp_path: Path) -> None:
    target = tmp_path / "named.bin"
    target.write_bytes(b"abc")
    with target.open("rb") as handle:
        assert FileStorage(handle).filename == str(target)
    assert FileStorage(io.BytesIO(), filename=Path("p/q.txt")).filename == str(Path("p/q.txt"))
    special = io.BytesIO()
    special.name = "<stdin>"  # type: ignore[attr-defined]
    assert FileStorage(special).filename is None


def test_filestorage_delegates_to_stream() -> None:
    storage = make_storage(b"line1\nline2\n")
    assert storage.readline() == b"line1\n"
    assert storage.tell() == 6
    storage.seek(0)
    assert list(storage) == [b"line1\n", b"line2\n"]
    storage.seek(0)
    assert storage.read(3) == b"lin"
    with pytest.raises(AttributeError):
        storage.no_such_attribute


def test_filestorage_save_to_path_and_file(tmp_path: Path) -> None:
    data = bytes(range(256)) * 100
    storage = make_storage(data)
    destination = tmp_path / "out.bin"
    storage.save(destination, buffer_size=1000)
    assert destination.read_bytes() == data
    storage.seek(0)
    storage.save(str(tmp_path / "out2.bin"))
    assert (tmp_path / "out2.bin").read_bytes() == data
    storage.seek(0)
    buffer = io.BytesIO()
    storage.save(buffer)
    assert not buffer.closed
    assert buffer.getvalue() == data


def test_filestorage_close_and_spooled_file() -> None:
    with tempfile.SpooledTemporaryFile(max_size=10) as spool:
        spool.write(b"x" * 100)
        spool.seek(0)
        storage = FileStorage(spool, filename="s.bin")
        assert storage.read() == b"x" * 100
        assert storage.readable()
        storage.close()
        assert spool.closed
        storage.close()  # closing twice is fine


def test_filestorage_unpickle_does_not_recurse() -> None:
    storage = FileStorage.__new__(FileStorage)
    with pytest.raises(AttributeError):
        storage.read

"""Tagged JSON, as Flask's ``flask.json.tag``: JSON that keeps a few types plain JSON
would lose (tuples, bytes, Markup, UUIDs, datetimes), for the session cookie.

A value of such a type goes out as a one-key object whose key is the type's tag
(``{" t": [1, 2]}`` for ``(1, 2)``), and comes back as that type. The tags and the
layout are Flask's, so a session cookie written by Flask loads in Carafe and back.

Add a type by subclassing :class:`JSONTag` and registering it::

    class TagOrderedDict(JSONTag):
        key = " od"

        def check(self, value):
            return isinstance(value, OrderedDict)

        def to_json(self, value):
            return [[k, self.serializer.tag(v)] for k, v in value.items()]

        def to_python(self, value):
            return OrderedDict(value)

    app.session_interface.serializer.register(TagOrderedDict, index=0)
"""

from __future__ import annotations

from base64 import b64decode, b64encode
from datetime import datetime
from typing import Any
from uuid import UUID

from carafe.http.dates import http_date, parse_http_date
from carafe.json import dumps, loads

__all__ = ["JSONTag", "TaggedJSONSerializer"]


class JSONTag:
    """One tagged type: how to recognise a value of it, and how it goes to JSON and
    back. ``key`` is the tag; an empty key marks a tag that only transforms values
    inside a container (dicts, lists) and adds no marker of its own."""

    __slots__ = ("serializer",)

    #: The tag's key in the tagged object; empty for a pass-through tag.
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        #: The serializer this tag belongs to (for tagging nested values).
        self.serializer = serializer

    def check(self, value: Any) -> bool:
        """True if this tag handles ``value``."""
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        """``value`` as plain JSON values (nested values tagged)."""
        raise NotImplementedError

    def to_python(self, value: Any) -> Any:
        """The Python value for the JSON ``value`` found under this tag."""
        raise NotImplementedError

    def tag(self, value: Any) -> Any:
        """``value`` as JSON, inside a one-key object named by :attr:`key`."""
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A one-key dict whose key looks like a tag: the key gets a ``__`` suffix, so the
    dict is not read back as a tagged value."""

    __slots__ = ()
    key = " di"

    def check(self, value: Any) -> bool:
        if not isinstance(value, dict) or len(value) != 1:
            return False
        return next(iter(value)) in self.serializer.tags

    def to_json(self, value: Any) -> Any:
        key = next(iter(value))
        return {f"{key}__": self.serializer.tag(value[key])}

    def to_python(self, value: Any) -> Any:
        key = next(iter(value))
        return {key[:-2]: value[key]}


class PassDict(JSONTag):
    """Any other dict: its values tagged, itself plain."""

    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return {key: tag(item) for key, item in value.items()}

    tag = to_json


class TagTuple(JSONTag):
    __slots__ = ()
    key = " t"

    def check(self, value: Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]

    def to_python(self, value: Any) -> Any:
        return tuple(value)


class PassList(JSONTag):
    """A list: its items tagged, itself plain."""

    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]

    tag = to_json


class TagBytes(JSONTag):
    __slots__ = ()
    key = " b"

    def check(self, value: Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: Any) -> Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: Any) -> Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    """Anything with an ``__html__`` method (MarkupSafe's ``Markup`` and the like),
    read back as ``Markup``."""

    __slots__ = ()
    key = " m"

    def check(self, value: Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: Any) -> Any:
        return str(value.__html__())

    def to_python(self, value: Any) -> Any:
        from markupsafe import Markup  # Start-up: loads when a Markup value is read.

        # (The value was markup when it was signed into the cookie.)
        return Markup(value)  # noqa: S704


class TagUUID(JSONTag):
    __slots__ = ()
    key = " u"

    def check(self, value: Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: Any) -> Any:
        return value.hex

    def to_python(self, value: Any) -> Any:
        return UUID(value)


class TagDateTime(JSONTag):
    """A datetime, as an HTTP date (whole seconds, UTC), read back as an aware UTC one
    (None when the text is not a date)."""

    __slots__ = ()
    key = " d"

    def check(self, value: Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: Any) -> Any:
        return http_date(value)

    def to_python(self, value: Any) -> Any:
        # (None for a value that is not a date, as Flask reads it.)
        return parse_http_date(value)


class TaggedJSONSerializer:
    """Serializes values to tagged JSON and back, with :attr:`default_tags` in that
    order (the first whose ``check`` accepts a value tags it)."""

    __slots__ = ("order", "tags")

    #: The tag classes every serializer starts with, in checking order.
    default_tags: list[type[JSONTag]] = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
    ]

    def __init__(self) -> None:
        #: The tags with a key, by key (for reading back).
        self.tags: dict[str, JSONTag] = {}
        #: Every tag, in checking order.
        self.order: list[JSONTag] = []
        for tag_class in self.default_tags:
            self.register(tag_class)

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        """Add ``tag_class``: last in the checking order, or at ``index``.

        :raises KeyError: its key is taken and ``force`` is not set.
        """
        tag = tag_class(self)
        key = tag.key
        if key:
            if not force and key in self.tags:
                raise KeyError(f"Tag '{key}' is already registered.")
            self.tags[key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)

    def tag(self, value: Any) -> Any:
        """``value`` as plain JSON values, tagged where its type needs it."""
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, Any]) -> Any:
        """The Python value of a tagged one-key object; any other object as it is."""
        if len(value) != 1:
            return value
        tag = self.tags.get(next(iter(value)))
        if tag is None:
            return value
        return tag.to_python(next(iter(value.values())))

    def _untag_scan(self, value: Any) -> Any:
        # Innermost first: a tag's to_python sees its nested values already read back.
        if isinstance(value, dict):
            return self.untag({key: self._untag_scan(item) for key, item in value.items()})
        if isinstance(value, list):
            return [self._untag_scan(item) for item in value]
        return value

    def dumps(self, value: Any) -> str:
        """``value`` as compact tagged JSON."""
        return dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> Any:
        """The value of tagged JSON ``value``."""
        return self._untag_scan(loads(value))

"""URL converters: how a placeholder of a rule (``<int:id>``) matches, converts and
builds its part of a URL, as Werkzeug's ``werkzeug.routing.converters``; and how a
rule's placeholders and converter arguments are read."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from carafe.http._compiled import mypyc_attr

if TYPE_CHECKING:
    import uuid

    from carafe.routing import Map


@mypyc_attr(allow_interpreted_subclasses=True)
class ValidationError(ValueError):
    """Raised by a converter's ``to_python`` when a URL part does not fit; the
    matcher then tries the next rule."""


# ---------------------------------------------------------------------------
# Converters


@mypyc_attr(native_class=False)
class BaseConverter:
    """Base class of URL converters; subclass it and register the class in
    ``app.url_map.converters`` under the name used in rules.

    Converters stay regular classes in a compiled build (mypyc): subclasses set
    ``regex``, ``weight`` and ``part_isolating`` as class attributes, and an instance
    may set its own ``regex``.
    """

    regex = "[^/]+"
    weight = 100
    part_isolating = True

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        self.map = map

    def to_python(self, value: str) -> Any:
        """Convert the matched URL part to the view argument."""
        return value

    def to_url(self, value: Any) -> str:
        """Convert a value to its quoted URL part."""
        from urllib.parse import quote  # Start-up: urllib.parse loads on first use.

        return quote(str(value), safe="!$&'()*+,/:;=@")


@mypyc_attr(native_class=False)
class UnicodeConverter(BaseConverter):
    """``string`` (the default): one path segment, optionally length-bounded."""

    def __init__(
        self,
        map: Map,
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map)
        if length is not None:
            bounds = f"{{{int(length)}}}"
        else:
            upper = "" if maxlength is None else str(int(maxlength))
            bounds = f"{{{int(minlength)},{upper}}}"
        self.regex = f"[^/]{bounds}"


@mypyc_attr(native_class=False)
class PathConverter(BaseConverter):
    """``path``: like ``string`` but slashes are allowed."""

    regex = "[^/].*?"
    weight = 200
    part_isolating = False


@mypyc_attr(native_class=False)
class AnyConverter(BaseConverter):
    """``any(a, b, c)``: one of the listed words."""

    def __init__(self, map: Map, *items: str) -> None:
        super().__init__(map)
        self.items = items
        self.regex = "(?:" + "|".join(re.escape(item) for item in items) + ")"


@mypyc_attr(native_class=False)
class NumberConverter(BaseConverter):
    """Shared logic of ``int`` and ``float``."""

    weight = 50
    num_convert: Callable[[str], int | float] = int

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map)
        if signed:
            self.regex = self.signed_regex
        self.fixed_digits = fixed_digits
        self.min = min
        self.max = max
        self.signed = signed

    signed_regex = ""

    def to_python(self, value: str) -> Any:
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        number = type(self).num_convert(value)
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        text = str(type(self).num_convert(value))
        if self.fixed_digits:
            text = text.zfill(self.fixed_digits)
        return text


@mypyc_attr(native_class=False)
class IntegerConverter(NumberConverter):
    """``int``: non-negative integers (``signed=True`` allows a minus sign)."""

    regex = r"\d+"
    signed_regex = r"-?\d+"


@mypyc_attr(native_class=False)
class FloatConverter(NumberConverter):
    """``float``: numbers with a decimal point."""

    regex = r"\d+\.\d+"
    signed_regex = r"-?\d+\.\d+"
    num_convert = float

    def __init__(
        self,
        map: Map,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, min=min, max=max, signed=signed)


@mypyc_attr(native_class=False)
class UUIDConverter(BaseConverter):
    """``uuid``: a UUID in its canonical hex-with-dashes form."""

    regex = r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"

    def to_python(self, value: str) -> uuid.UUID:
        # Start-up: uuid loads when a uuid route first matches.
        import uuid

        return uuid.UUID(value)

    def to_url(self, value: Any) -> str:
        return str(value)


DEFAULT_CONVERTERS: dict[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "any": AnyConverter,
    "path": PathConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "uuid": UUIDConverter,
}

_PLACEHOLDER = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<args>.*?)\))?:)?"
    r"(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>"
)
_ARGUMENT = re.compile(
    r"""\s*(?:(?P<key>[a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*)?"""
    r"""(?P<value>"[^"]*"|'[^']*'|[^,]*?)\s*(?:,|$)"""
)


def _literal(text: str) -> Any:
    """Read one converter argument: a number, True/False/None, or a string."""
    if text[:1] in "\"'" and text[-1:] == text[:1] and len(text) >= 2:
        return text[1:-1]
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        pass
    return {"True": True, "False": False, "None": None}.get(text, text)


def parse_converter_args(text: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Parse ``"a, b, length=2"`` into positional and keyword arguments."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    position = 0
    while position < len(text):
        found = _ARGUMENT.match(text, position)
        if found is None or found.end() == position:
            raise ValueError(f"Cannot parse converter arguments {text!r}.")
        position = found.end()
        value = _literal(found["value"])
        if found["key"]:
            kwargs[found["key"]] = value
        else:
            args.append(value)
    return tuple(args), kwargs

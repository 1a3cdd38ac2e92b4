"""JSON providers, as Flask's ``flask.json.provider``, with orjson as an exact
accelerator.

:class:`DefaultJSONProvider` writes what Flask's provider writes, byte for
byte. When orjson is installed it serializes the values whose output it is
known to reproduce exactly (plain JSON data under Flask's settings); anything
else goes through the standard library, so the result never depends on
whether orjson is present.
"""

from __future__ import annotations

import sys

# Start-up: the C weak proxy itself, without the weakref module.
from _weakref import proxy as weak_proxy
from datetime import date
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any, AnyStr

from carafe.http._compiled import speedups

if TYPE_CHECKING:
    from carafe.response import Response

_NOT_LOADED = ModuleType("orjson_not_loaded")
_orjson: ModuleType | None = _NOT_LOADED
_DUMPS_KWARGS = frozenset({"default", "ensure_ascii", "sort_keys", "separators", "indent"})
_COMPACT = (",", ":")
_INDENTED = (",", ": ")
# orjson reads integers outside the 64-bit range as floats where the stdlib
# keeps them exact. Such an integer has at least 19 digits; texts with a run
# of 19 digits anywhere (digits mapped to "0" first) are left to the stdlib.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGIT_RUN = b"0" * 19


_ORJSON_OPTIONS: dict[tuple[bool, bool], int] = {}


def _get_orjson() -> ModuleType | None:
    """orjson, imported on first use; ``None`` when it is not installed."""
    global _orjson
    if _orjson is _NOT_LOADED:
        # PERF: importing orjson costs ~14 ms (it pulls in datetime, uuid,
        # enum...); apps that never touch JSON do not pay it.
        try:
            import orjson
        except ImportError:
            _orjson = None
        else:
            _orjson = orjson
            base = (
                orjson.OPT_PASSTHROUGH_SUBCLASS
                | orjson.OPT_PASSTHROUGH_DATETIME
                | orjson.OPT_PASSTHROUGH_DATACLASS
            )
            # PERF: the option word for each (sort_keys, indent) pair, built once.
            for sort_keys in (False, True):
                for indent in (False, True):
                    _ORJSON_OPTIONS[sort_keys, indent] = (
                        base
                        | (orjson.OPT_SORT_KEYS if sort_keys else 0)
                        | (orjson.OPT_INDENT_2 if indent else 0)
                    )
    return _orjson


def _is_plain(obj: Any) -> bool:
    """Whether orjson writes ``obj`` exactly as :func:`json.dumps` does.

    That holds for exact ``dict`` (``str`` keys), ``list``, ``tuple``,
    ``str``, ``int``, ``bool`` and ``None``, and for finite floats that
    ``repr`` writes without an exponent. Subclasses, enums, UUIDs and other
    objects orjson knows natively would bypass :attr:`DefaultJSONProvider.default`,
    and exponent floats are formatted differently, so they are refused.
    Only called after orjson succeeded, so ``obj`` is acyclic and shallow
    enough to recurse on.
    """
    kind = type(obj)
    if kind is str or kind is int or kind is bool or obj is None:
        return True
    if kind is float:
        return bool(0.0001 <= abs(obj) < 1e16 or obj == 0.0)
    if kind is dict:
        values: Any = obj.values()
    elif kind is list or kind is tuple:
        values = obj
    else:
        return False
    for value in values:
        # PERF: the common scalars are settled inline, without a call.
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            continue
        if not _is_plain(value):
            return False
    return True


# PERF: the same check compiled (carafe/http/_speedups.c), one C call for the whole value.
_plain = speedups.json_plain if speedups is not None else _is_plain


def _fast_dumps(obj: Any, ensure_ascii: bool, sort_keys: bool, indent: bool) -> bytes | None:
    """Serialize with orjson when the result equals :func:`json.dumps`'s, else ``None``.

    ``indent`` selects ``indent=2`` with ``(",", ": ")`` separators; otherwise
    the separators are ``(",", ":")``.
    """
    orjson = _orjson if _orjson is not _NOT_LOADED else _get_orjson()
    if orjson is None:
        return None
    option = _ORJSON_OPTIONS[bool(sort_keys), bool(indent)]
    try:
        # orjson fails on what it cannot do exactly the stdlib's way: non-str
        # keys, ints beyond 64 bits, lone surrogates, cycles, deep nesting,
        # and (with the passthrough options and no ``default``) subclasses,
        # dates and dataclasses.
        data: bytes = orjson.dumps(obj, option=option)
    except orjson.JSONEncodeError:
        return None
    # With ensure_ascii the stdlib escapes everything outside " " to "~".
    if ensure_ascii and (not data.isascii() or b"\x7f" in data):
        return None
    if not _plain(obj):
        return None
    return data


def _fast_dumps_kwargs(obj: Any, kwargs: dict[str, Any]) -> bytes | None:
    """:func:`_fast_dumps` for :func:`json.dumps` keyword arguments, if they allow it."""
    if not _DUMPS_KWARGS.issuperset(kwargs):
        return None
    separators = kwargs.get("separators")
    indent = kwargs.get("indent")
    if indent is None:
        if separators != _COMPACT:
            return None
    elif indent != 2 or type(indent) is not int or separators not in (None, _INDENTED):
        return None
    return _fast_dumps(
        obj, bool(kwargs.get("ensure_ascii", True)), bool(kwargs.get("sort_keys")), indent == 2
    )


def _fast_loads(text: str | bytes) -> tuple[bool, Any]:
    """Parse with orjson when the result equals :func:`json.loads`'s.

    :return: ``(True, value)``, or ``(False, None)`` to use the stdlib.
    """
    orjson = _get_orjson()
    if orjson is None:
        return False, None
    if isinstance(text, str):
        try:
            data: bytes | bytearray = text.encode()
        except UnicodeEncodeError:
            return False, None
    else:
        data = text
    # PERF: a C-speed scan instead of walking the parsed result.
    if data.translate(_DIGITS_TO_ZERO).find(_LONG_DIGIT_RUN) != -1:
        return False, None
    try:
        return True, orjson.loads(data)
    except orjson.JSONDecodeError:
        # NaN and Infinity, floats that overflow, a UTF-8 BOM, UTF-16/32 bytes
        # and lone surrogates: the stdlib decides, with its own result or error.
        return False, None


def _default(o: Any) -> Any:
    """Serialize the types Flask adds to JSON; raise :exc:`TypeError` for others."""
    if isinstance(o, date):
        from carafe.http.dates import http_date

        return http_date(o)
    # Start-up: decimal, uuid and dataclasses are not imported with carafe. An
    # object of one of their types means its module is loaded already.
    decimal = sys.modules.get("decimal")
    uuid = sys.modules.get("uuid")
    if (decimal is not None and isinstance(o, decimal.Decimal)) or (
        uuid is not None and isinstance(o, uuid.UUID)
    ):
        return str(o)
    if hasattr(type(o), "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


class JSONProvider:
    """JSON operations for an app; subclass to use another JSON library.

    Mirrors Flask's ``JSONProvider``: implement at least :meth:`dumps` and
    :meth:`loads`.

    :param app: the application; held through a weak proxy where possible.
    """

    def __init__(self, app: Any) -> None:
        try:
            self._app: Any = weak_proxy(app)
        except TypeError:
            self._app = app

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize ``obj`` to a JSON string."""
        raise NotImplementedError

    def dump(self, obj: Any, fp: IO[str], **kwargs: Any) -> None:
        """Serialize ``obj`` as JSON into the text file ``fp``."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Deserialize JSON text or UTF-8 bytes."""
        raise NotImplementedError

    def load(self, fp: IO[AnyStr], **kwargs: Any) -> Any:
        """Deserialize JSON read from the file ``fp``."""
        return self.loads(fp.read(), **kwargs)

    @staticmethod
    def _prepare_response_obj(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Apply ``jsonify``'s argument rules: one value, a list, a dict, or ``None``."""
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def _response_class(self) -> type[Response]:
        response_class: type[Response] | None = getattr(self._app, "response_class", None)
        if response_class is None:
            from carafe.response import Response

            return Response
        return response_class

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """Serialize the arguments as JSON into an ``application/json`` response.

        One positional argument is serialized as it is, several as a list,
        keyword arguments as a dict; no arguments give ``null``.
        """
        obj = self._prepare_response_obj(args, kwargs)
        return self._response_class()(self.dumps(obj), mimetype="application/json")


class DefaultJSONProvider(JSONProvider):
    """Flask's default JSON provider, with the same output byte for byte.

    Beyond plain JSON it writes dates and datetimes as HTTP dates, ``Decimal``
    and ``UUID`` as strings, dataclasses as dicts, and objects with
    ``__html__`` as their HTML.
    """

    #: Called for objects JSON cannot represent; returns a serializable
    #: value or raises :exc:`TypeError`.
    default = staticmethod(_default)
    #: Escape non-ASCII characters.
    ensure_ascii = True
    #: Sort the keys of every dict (keys must then be strings).
    sort_keys = True
    #: ``True`` for compact :meth:`response` output, ``False`` for indented,
    #: ``None`` for indented in debug mode only.
    compact: bool | None = None
    #: The mimetype of :meth:`response`.
    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        """Serialize ``obj``; ``kwargs`` go to :func:`json.dumps`.

        :attr:`default`, :attr:`ensure_ascii` and :attr:`sort_keys` fill in
        the arguments not given.
        """
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        if "separators" in kwargs or "indent" in kwargs:
            # PERF: only compact or 2-space output can match orjson's.
            data = _fast_dumps_kwargs(obj, kwargs)
            if data is not None:
                return data.decode()
        import json as _json  # Start-up: loads on first use.

        return _json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Deserialize ``s``; ``kwargs`` go to :func:`json.loads`."""
        if not kwargs and type(s) in (str, bytes, bytearray):
            parsed, value = _fast_loads(s)
            if parsed:
                return value
        import json as _json  # Start-up: loads on first use.

        return _json.loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """Serialize the arguments into a response, as Flask's ``jsonify``.

        The output is indented when :attr:`compact` is ``False``, or ``None``
        in debug mode; it always ends with a newline.
        """
        # PERF: ``jsonify(value)``, the usual call, skips the argument rules.
        if len(args) == 1 and not kwargs:
            obj = args[0]
        else:
            obj = self._prepare_response_obj(args, kwargs)
        compact = self.compact
        indent = compact is False or (compact is None and bool(self._app.debug))
        body: str | bytes | None = None
        if type(self).dumps is DefaultJSONProvider.dumps:
            # PERF: unless dumps is overridden, go straight to bytes; the
            # response then needs no encoding step.
            data = _fast_dumps(obj, self.ensure_ascii, self.sort_keys, indent)
            if data is not None:
                body = data + b"\n"
        if body is None:
            if indent:
                body = f"{self.dumps(obj, indent=2)}\n"
            else:
                body = f"{self.dumps(obj, separators=_COMPACT)}\n"
        return self._response_class()(body, mimetype=self.mimetype)

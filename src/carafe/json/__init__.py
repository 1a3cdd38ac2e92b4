"""JSON, as Flask's ``flask.json``: the current app's provider behind ``dumps``,
``loads``, ``dump``, ``load`` and ``jsonify`` (the providers themselves:
:mod:`carafe.json.provider`)."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any, AnyStr

from carafe.ctx import get_current_app_or_none
from carafe.json.provider import DefaultJSONProvider, JSONProvider, _default

if TYPE_CHECKING:
    from carafe.response import Response

__all__ = ["DefaultJSONProvider", "JSONProvider", "dump", "dumps", "jsonify", "load", "loads"]


def _current_provider() -> JSONProvider | None:
    """The active app's provider, or ``None`` outside an app context."""
    app = get_current_app_or_none()
    return None if app is None else app.json


def dumps(obj: Any, **kwargs: Any) -> str:
    """Serialize ``obj`` with the current app's provider, as ``flask.json.dumps``.

    Outside an app context this is :func:`json.dumps` with Flask's
    :func:`default` types (keys unsorted, as in Flask).
    """
    provider = _current_provider()
    if provider is not None:
        return provider.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    import json as _json  # Start-up: loads on first use.

    return _json.dumps(obj, **kwargs)


def dump(obj: Any, fp: IO[str], **kwargs: Any) -> None:
    """Serialize ``obj`` into the text file ``fp``, as ``flask.json.dump``."""
    provider = _current_provider()
    if provider is not None:
        provider.dump(obj, fp, **kwargs)
        return
    kwargs.setdefault("default", _default)
    import json as _json  # Start-up: loads on first use.

    _json.dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: Any) -> Any:
    """Deserialize ``s`` with the current app's provider, as ``flask.json.loads``."""
    provider = _current_provider()
    if provider is not None:
        return provider.loads(s, **kwargs)
    import json as _json  # Start-up: loads on first use.

    return _json.loads(s, **kwargs)


def load(fp: IO[AnyStr], **kwargs: Any) -> Any:
    """Deserialize JSON from the file ``fp``, as ``flask.json.load``."""
    provider = _current_provider()
    if provider is not None:
        return provider.load(fp, **kwargs)
    import json as _json  # Start-up: loads on first use.

    return _json.load(fp, **kwargs)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """Return a JSON response from the current app's provider, as ``flask.jsonify``.

    :raises RuntimeError: outside an app context.
    """
    provider = _current_provider()
    if provider is None:
        raise RuntimeError("Working outside of application context.")
    return provider.response(*args, **kwargs)

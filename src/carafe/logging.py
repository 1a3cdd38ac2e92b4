"""The app's logger, as Flask's ``flask.logging``: ``app.logger`` is the ``logging``
logger named after the app, with :data:`default_handler` added when nothing would
otherwise show its records.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, TextIO

from carafe.ctx import get_request_context

if TYPE_CHECKING:
    from carafe.app import Flask


class _ErrorsStream:
    """The request's ``wsgi.errors`` stream inside a request, ``sys.stderr`` outside."""

    def _stream(self) -> TextIO:
        ctx = get_request_context()
        if ctx is not None:
            stream = ctx.request.environ.get("wsgi.errors")
            if stream is not None:
                return stream  # type: ignore[no-any-return]
        return sys.stderr

    def write(self, text: str) -> int:
        return self._stream().write(text)

    def flush(self) -> None:
        self._stream().flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream(), name)


#: Where :data:`default_handler` writes: the server's error stream during a request,
#: standard error otherwise.
wsgi_errors_stream: TextIO = _ErrorsStream()  # type: ignore[assignment]

#: The handler ``app.logger`` gets when no handler would show its records.
default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def has_level_handler(logger: logging.Logger) -> bool:
    """True if a handler of ``logger`` or of a logger above it (as propagation reaches
    them) shows records of ``logger``'s effective level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


def create_logger(app: Flask) -> logging.Logger:
    """The logger named after ``app``: DEBUG level in debug mode when no level is set,
    and :data:`default_handler` when no handler would show its records."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger


__all__ = ["create_logger", "default_handler", "has_level_handler", "wsgi_errors_stream"]

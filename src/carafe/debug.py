"""The debug error page: a readable traceback for an exception that escapes the app.

In debug mode an unhandled exception propagates out of the app (as in Flask, where
``PROPAGATE_EXCEPTIONS`` follows ``debug``). ``carafe run --debug`` wraps the app in
:class:`DebugMiddleware` (WSGI) or :class:`ASGIDebugMiddleware` (ASGI), which answer such an
exception with a 500 page showing the exception and its traceback frames.

SECURITY: the page only shows text. Unlike Werkzeug's debugger there is no interactive
console and no way to run code from the browser, so a debug server reached by someone
else leaks source lines and paths, but never gives code execution. Everything taken from
the exception is HTML-escaped. Still: never serve debug mode in production.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterable, MutableMapping
from typing import Any

from carafe.http.html import escape_html as escape
from carafe.typing import (
    ASGIApplication,
    ASGIReceive,
    ASGIScope,
    ASGISend,
    StartResponse,
    WSGIApplication,
    WSGIEnvironment,
)

__all__ = [
    "ASGIDebugMiddleware",
    "DebugMiddleware",
    "prefers_plain_text",
    "render_traceback_page",
    "render_traceback_text",
]


_STATUS = "500 INTERNAL SERVER ERROR"
_HTML_TYPE = "text/html; charset=utf-8"
_TEXT_TYPE = "text/plain; charset=utf-8"

_CAUSE_NOTE = "The above exception was the direct cause of the following exception:"
_CONTEXT_NOTE = "During handling of the above exception, another exception occurred:"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: .2em; }
.message { font-family: ui-monospace, monospace; white-space: pre-wrap; font-size: 1.1em;
  background: #fdecea; border-left: 4px solid #c62828; padding: .6em .8em; }
.note { color: #666; font-style: italic; }
ol.frames { list-style: none; padding: 0; }
.frame { margin: .6em 0; border: 1px solid #ddd; border-radius: 4px; }
.frame .where { background: #f4f4f4; padding: .3em .6em; font-size: .9em; }
.frame .where .function { font-weight: bold; }
.frame pre { margin: 0; padding: .4em .6em; white-space: pre-wrap; }
footer { margin-top: 2em; color: #666; font-size: .85em; }
"""


def _chain(exc: BaseException) -> list[tuple[traceback.TracebackException, str | None]]:
    """The exception and the ones it was raised from, oldest first, as Python prints them.

    Each item carries the note printed before it (how it relates to the one before), or
    ``None`` for the first.
    """
    chain: list[tuple[traceback.TracebackException, str | None]] = []
    current: traceback.TracebackException | None = traceback.TracebackException.from_exception(exc)
    while current is not None:
        older: traceback.TracebackException | None = None
        note: str | None = None
        if current.__cause__ is not None:
            older, note = current.__cause__, _CAUSE_NOTE
        elif current.__context__ is not None and not current.__suppress_context__:
            older, note = current.__context__, _CONTEXT_NOTE
        chain.append((current, note))
        current = older
    chain.reverse()
    return chain


def _exception_title(link: traceback.TracebackException) -> str:
    """``module.Type: message`` as the last line of a Python traceback shows it."""
    return "".join(link.format_exception_only()).strip()


def _render_frames(link: traceback.TracebackException) -> str:
    items = []
    for frame in link.stack:
        source = (frame.line or "").strip()
        items.append(
            '<li class="frame"><div class="where">'
            f'File <span class="file">{escape(frame.filename)}</span>,'
            f' line <span class="line">{frame.lineno}</span>,'
            f' in <span class="function">{escape(frame.name)}</span></div>'
            + (f'<pre class="source">{escape(source)}</pre>' if source else "")
            + "</li>"
        )
    return '<ol class="frames">' + "".join(items) + "</ol>"


def render_traceback_page(exc: BaseException) -> bytes:
    """Render the debug page for ``exc`` as UTF-8 HTML.

    The page shows the exception type and message, then the traceback frames (file, line,
    function, source line), innermost last, with chained causes before it as Python prints
    them. Every piece of text is HTML-escaped. ASGI adapters can call this directly.
    """
    title = _exception_title(traceback.TracebackException.from_exception(exc))
    sections = []
    for link, note in _chain(exc):
        if note is not None:
            sections.append(f'<p class="note">{escape(note)}</p>')
        sections.append(
            f'<p class="message">{escape(_exception_title(link))}</p>'
            "<h2>Traceback <small>(most recent call last)</small></h2>" + _render_frames(link)
        )
    page = (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} // Carafe debug mode</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{escape(type(exc).__name__)}</h1>" + "".join(sections) + "<footer>This page is"
        " shown because the app runs in debug mode. It never offers a console; still, do"
        " not run debug mode in production.</footer></body></html>\n"
    )
    return page.encode("utf-8", "replace")


def render_traceback_text(exc: BaseException) -> bytes:
    """Render ``exc`` and its traceback as Python prints it, as UTF-8 plain text."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return text.encode("utf-8", "replace")


def _media_quality(accept: str, media_type: str) -> float:
    """The quality ``accept`` gives ``media_type``, from its most specific matching range."""
    main_type = media_type.partition("/")[0]
    best_specificity, quality = -1, 0.0
    for item in accept.split(","):
        media_range, *params = (part.strip() for part in item.split(";"))
        media_range = media_range.lower()
        if media_range == media_type:
            specificity = 2
        elif media_range == f"{main_type}/*":
            specificity = 1
        elif media_range == "*/*":
            specificity = 0
        else:
            continue
        if specificity <= best_specificity:
            continue
        item_quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    item_quality = float(value)
                except ValueError:
                    item_quality = 0.0
        best_specificity, quality = specificity, item_quality
    return quality


def prefers_plain_text(accept: str | None, requested_with: str | None = None) -> bool:
    """Tell whether a client would rather read the traceback as plain text than HTML.

    True when ``Accept`` rates ``text/plain`` above ``text/html``, or for an
    ``X-Requested-With: XMLHttpRequest`` script, which Werkzeug's debugger also answers
    in plain text. Without an ``Accept`` header, HTML wins.
    """
    if requested_with is not None and requested_with.lower() == "xmlhttprequest":
        return True
    if not accept:
        return False
    return _media_quality(accept, "text/plain") > _media_quality(accept, "text/html")


def _error_answer(exc: BaseException, plain: bool) -> tuple[bytes, list[tuple[str, str]]]:
    body = render_traceback_text(exc) if plain else render_traceback_page(exc)
    headers = [
        ("Content-Type", _TEXT_TYPE if plain else _HTML_TYPE),
        ("Content-Length", str(len(body))),
        # SECURITY: the page holds source lines; no cache may keep it.
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    return body, headers


def _log(stream: Any, exc: BaseException) -> None:
    """Print the traceback on the server's error stream, as an unhandled error would be."""
    try:
        stream.write(render_traceback_text(exc).decode("utf-8"))
        stream.flush()
    except (AttributeError, OSError, ValueError):
        pass


class DebugMiddleware:
    """WSGI middleware answering an exception that escapes ``app`` with the debug page.

    Only an exception raised by the call ``app(environ, start_response)`` is answered: a
    body iterable that fails while being sent has already started its response (servers
    such as Granian commit the status when the app returns), so that error propagates to
    the server unchanged.

    :param app: the WSGI application to wrap, usually ``app.wsgi_app`` or the app itself.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Call the app; answer an exception it raises with a 500 traceback page."""
        try:
            return self.app(environ, start_response)
        except Exception as exc:
            _log(environ.get("wsgi.errors", sys.stderr), exc)
            plain = prefers_plain_text(
                environ.get("HTTP_ACCEPT"), environ.get("HTTP_X_REQUESTED_WITH")
            )
            body, headers = _error_answer(exc, plain)
            # With exc_info, a server that already sent headers re-raises the error, as
            # PEP 3333 requires; otherwise it replaces any status the app had set.
            start_response(_STATUS, headers, (type(exc), exc, exc.__traceback__))
            return [body]


class ASGIDebugMiddleware:
    """ASGI middleware answering an exception that escapes ``app`` with the debug page.

    If the app had already sent ``http.response.start``, the exception propagates to the
    server unchanged: a response cannot be restarted.

    :param app: the ASGI 3 application to wrap, usually ``app.asgi``.
    """

    def __init__(self, app: ASGIApplication) -> None:
        self.app = app

    async def __call__(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        """Call the app; answer an exception it raises before responding with a 500 page."""
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_track(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_track)
        except Exception as exc:
            if started:
                raise
            _log(sys.stderr, exc)
            request_headers = {
                bytes(name).lower(): bytes(value) for name, value in scope.get("headers", ())
            }
            accept = request_headers.get(b"accept")
            requested_with = request_headers.get(b"x-requested-with")
            plain = prefers_plain_text(
                accept.decode("latin-1") if accept is not None else None,
                requested_with.decode("latin-1") if requested_with is not None else None,
            )
            body, headers = _error_answer(exc, plain)
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (name.lower().encode("latin-1"), value.encode("latin-1"))
                        for name, value in headers
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body, "more_body": False})

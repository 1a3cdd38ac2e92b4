"""An app for the file-serving tests (``tests/e2e/test_files_e2e.py``): the static route,
``send_from_directory`` and ``send_file`` over a folder the test lays out.

The folder is ``CARAFE_FILES_ROOT`` (set by the test for the server): ``static/`` is the
app's static folder, beside files that must never be served from it (``app.py``,
``static1.txt``, ``static1/``). Views:

- ``/static/<path:filename>``: the static route;
- ``/files/<path:name>``: ``send_from_directory(ROOT / "static", name)``;
- ``/bp/static/<path:filename>``: a blueprint's static folder (``ROOT / "bp_static"``);
- ``/debug/open-files``: the paths under the root this worker process holds open (read
  from ``/proc/self/fd``: the app's files and the server's own, so a file the server
  sends by its path counts too);
- ``/debug/sent``: what this worker sent for each path, over ASGI: the types of the
  messages after ``http.response.start`` (a pass-through middleware records them) and
  whether the server offered ``http.response.pathsend``; over WSGI, whether the environ
  had a ``wsgi.file_wrapper``.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from carafe import Blueprint, Flask, send_from_directory

ROOT = Path(os.environ["CARAFE_FILES_ROOT"]).resolve()

app = Flask(__name__, root_path=str(ROOT))
blueprint = Blueprint(
    "bp", __name__, root_path=str(ROOT), static_folder="bp_static", static_url_path="/static"
)
app.register_blueprint(blueprint, url_prefix="/bp")

#: What went out for the latest requests: ``(path, what)`` pairs, newest last.
SENT: deque[tuple[str, str]] = deque(maxlen=200)


@app.route("/files/<path:name>")
def files(name: str) -> Any:
    return send_from_directory(ROOT / "static", name)


@app.route("/debug/open-files")
def open_files() -> dict[str, list[str]]:
    found = []
    for entry in os.scandir("/proc/self/fd"):
        try:
            target = os.readlink(entry.path)
        except OSError:
            continue  # closed meanwhile (the scandir's own descriptor)
        if target.startswith(str(ROOT) + os.sep):
            found.append(target)
    return {"open": sorted(found)}


@app.route("/debug/sent")
def sent() -> dict[str, list[list[str]]]:
    return {"sent": [[path, what] for path, what in SENT]}


# -- the recorders -------------------------------------------------------------------

Send = Callable[[dict[str, Any]], Awaitable[None]]


def _record_asgi(inner: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    async def recording(scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/debug/"):
            await inner(scope, receive, send)
            return
        path = scope["path"]
        offered = "http.response.pathsend" in (scope.get("extensions") or {})
        SENT.append((path, f"pathsend offered: {offered}"))

        async def spy(message: dict[str, Any]) -> None:
            SENT.append((path, message["type"]))
            await send(message)

        await inner(scope, receive, spy)

    return recording


def _record_wsgi(inner: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    def recording(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/debug/"):
            SENT.append((path, f"file_wrapper offered: {'wsgi.file_wrapper' in environ}"))
        return inner(environ, start_response)

    return recording


app.asgi = _record_asgi(app.asgi)
app.wsgi_app = _record_wsgi(app.wsgi_app)  # type: ignore[method-assign]

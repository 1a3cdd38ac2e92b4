"""Static files, ``send_file`` and ``send_from_directory`` (issue 14, item 4), through the
test client on WSGI and ASGI, side by side with Flask wherever Flask has the feature.

The files served are in ``tests/files_fixtures`` (``static/``: text, CSS, JavaScript, a
PNG, a ``.tar.gz``, a unicode-named file and a subfolder; ``secret.txt`` beside it, never
reachable; ``blueprint/static/`` for a blueprint). What the traversal tests need
(symbolic links, files named like Windows devices, a FIFO) is laid out in ``tmp_path``.

Answers are compared with Flask's on status, headers (``Date`` left out; ``Expires``
within a few seconds, as both add ``max_age`` to the clock) and body. Deliberate
differences, each tested as such:

- several ranges in one ``Range`` get one ``multipart/byteranges`` answer (Werkzeug: 416);
  more than Carafe answers one by one (thousands) get the whole file (Werkzeug: 416).
  Ranges out of order or overlapping are a 416 in both (Carafe parses as Werkzeug does);
- names Windows would read as devices (``NUL``, ``CON.txt``, ``nul.txt``), backslashes and
  ``:`` are refused on every platform (Werkzeug refuses them on Windows only), and a
  symbolic link inside the folder pointing out of it is not followed (Werkzeug follows it).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import os
import stat
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.parser import BytesParser
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any

import flask
import pytest

import carafe
from carafe.exceptions import NotFound

FIXTURES = Path(__file__).parent / "files_fixtures"
STATIC = FIXTURES / "static"
HELLO = (STATIC / "hello.txt").read_bytes()
PIXEL = (STATIC / "pixel.png").read_bytes()
UNICODE_NAME = "naïve café.txt"
DATA = bytes(range(256)) * 4
MOMENT = datetime(2020, 2, 29, 12, 30, tzinfo=timezone.utc)
#: A ``Range`` of thousands of ranges (one byte each): answered with the whole file.
MANY_RANGES = "bytes=" + ",".join(f"{n}-{n}" for n in range(5000))
HAS_PROC_FD = Path("/proc/self/fd").is_dir()


def _last_modified(path: Path) -> str:
    return formatdate(path.stat().st_mtime, usegmt=True)


def _both(
    setup: Callable[[Any], Any], path: str = "/", method: str = "GET", **kwargs: Any
) -> tuple[Any, Any]:
    """The answers of the app ``setup(framework)`` makes, on Flask and on Carafe."""
    answers = []
    for framework in (flask, carafe):
        app = setup(framework)
        # Buffered: Werkzeug's client then closes the body (the file) once it is read.
        answers.append(app.test_client().open(path, method=method, buffered=True, **kwargs))
    return answers[0], answers[1]


def _same(theirs: Any, ours: Any) -> None:
    """The same status, headers and body (``Date`` aside; ``Expires`` nearly the same)."""

    def headers(answer: Any) -> list[tuple[str, str]]:
        return sorted(
            (name.lower(), value)
            for name, value in answer.headers
            if name.lower() not in ("date", "expires")
        )

    assert ours.status == theirs.status
    assert headers(ours) == headers(theirs)
    assert ours.data == theirs.data
    assert ("Expires" in ours.headers) == ("Expires" in theirs.headers)
    if "Expires" in ours.headers:
        ours_expires = parsedate_to_datetime(ours.headers["Expires"])
        theirs_expires = parsedate_to_datetime(theirs.headers["Expires"])
        assert abs((ours_expires - theirs_expires).total_seconds()) <= 2


def _view_app(
    framework: Any, view: Callable[[Any], Any], config: dict[str, Any] | None = None
) -> Any:
    """An app rooted at the fixtures whose ``/`` answers ``view(framework)``."""
    app = framework.Flask("files_app", root_path=str(FIXTURES))
    app.config.update(TESTING=True, **(config or {}))
    app.add_url_rule("/", "index", lambda: view(framework), methods=["GET", "HEAD", "POST"])
    return app


def _parts(answer: Any) -> list[tuple[str, str | None, bytes]]:
    """The parts of a ``multipart/byteranges`` answer: (Content-Range, Content-Type, bytes)."""
    message = BytesParser().parsebytes(
        f"Content-Type: {answer.headers['Content-Type']}\r\n\r\n".encode() + answer.data
    )
    return [
        (part["Content-Range"], part["Content-Type"], part.get_payload(decode=True))
        for part in message.get_payload()
    ]


def _open_files(under: Path) -> list[str]:
    """The files under ``under`` this process holds open (from ``/proc/self/fd``)."""
    prefix = str(under.resolve()) + os.sep
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue  # the listing's own descriptor, closed meanwhile
        if target.startswith(prefix):
            found.append(target)
    return found


# -- send_file, as Flask --------------------------------------------------------------


def _text_file(framework: Any) -> Any:
    with open(STATIC / "hello.txt") as text:  # text mode: refused
        return framework.send_file(text, download_name="hello.txt")


SEND_FILE_CASES = [
    pytest.param(lambda fw: fw.send_file("static/hello.txt"), {}, {}, id="relative-path"),
    pytest.param(lambda fw: fw.send_file(str(STATIC / "style.css")), {}, {}, id="absolute"),
    pytest.param(lambda fw: fw.send_file(STATIC / "app.js"), {}, {}, id="pathlib"),
    pytest.param(lambda fw: fw.send_file(Path("static/pixel.png")), {}, {}, id="pathlib-rel"),
    pytest.param(lambda fw: fw.send_file("static/sub/nested.txt"), {}, {}, id="subfolder"),
    pytest.param(lambda fw: fw.send_file("static/archive.tar.gz"), {}, {}, id="tar.gz-inline"),
    pytest.param(
        lambda fw: fw.send_file("static/archive.tar.gz", as_attachment=True),
        {},
        {},
        id="tar.gz-attachment",
    ),
    pytest.param(lambda fw: fw.send_file(f"static/{UNICODE_NAME}"), {}, {}, id="unicode"),
    pytest.param(
        lambda fw: fw.send_file(f"static/{UNICODE_NAME}", as_attachment=True),
        {},
        {},
        id="unicode-attachment",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", download_name="Résumé «final».txt"),
        {},
        {},
        id="non-ascii-download-name",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", download_name='a "quoted";name.txt'),
        {},
        {},
        id="quoted-download-name",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", download_name="report.csv"),
        {},
        {},
        id="download-name-sets-type",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", mimetype="application/x-custom"),
        {},
        {},
        id="mimetype",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", mimetype="text/x-custom"),
        {},
        {},
        id="text-mimetype-gets-charset",
    ),
    pytest.param(
        lambda fw: fw.send_file(io.BytesIO(DATA), download_name="data.bin"),
        {},
        {},
        id="bytesio",
    ),
    pytest.param(
        lambda fw: fw.send_file(io.BytesIO(DATA), mimetype="application/x-data"),
        {},
        {},
        id="bytesio-mimetype-only",
    ),
    pytest.param(
        lambda fw: fw.send_file(io.BytesIO(DATA), download_name="README"),
        {},
        {},
        id="bytesio-unknown-type",
    ),
    pytest.param(
        lambda fw: fw.send_file(io.BytesIO(DATA), download_name="data.bin"),
        {"Range": "bytes=10-19"},
        {},
        id="bytesio-range",
    ),
    pytest.param(
        lambda fw: fw.send_file(io.BytesIO(b""), download_name="empty.txt"),
        {"Range": "bytes=0-0"},
        {},
        id="empty-file-range",
    ),
    pytest.param(
        lambda fw: fw.send_file(open(STATIC / "pixel.png", "rb"), download_name="pixel.png"),  # noqa: SIM115
        {},
        {},
        id="open-binary-file",
    ),
    pytest.param(
        lambda fw: fw.send_file(open(STATIC / "pixel.png", "rb"), mimetype="image/png"),  # noqa: SIM115
        {},
        {},
        id="open-binary-file-mimetype",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", etag=False),
        {"If-None-Match": "*"},
        {},
        id="etag-false",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", etag="custom"), {}, {}, id="etag-custom"
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", etag="custom"),
        {"If-None-Match": '"custom"'},
        {},
        id="etag-custom-304",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", last_modified=MOMENT),
        {},
        {},
        id="last-modified-datetime",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", last_modified=1_500_000_000, etag=False),
        {"If-Modified-Since": "Fri, 14 Jul 2017 02:40:00 GMT"},
        {},
        id="last-modified-int-304",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", last_modified=1_500_000_000.75),
        {},
        {},
        id="last-modified-float",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", max_age=60), {}, {}, id="max-age-int"
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", max_age=0), {}, {}, id="max-age-zero"
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", max_age=lambda path: 120),
        {},
        {},
        id="max-age-callable",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", max_age=lambda path: None),
        {},
        {},
        id="max-age-callable-none",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", conditional=False),
        {"Range": "bytes=0-4", "If-None-Match": "*"},
        {},
        id="conditional-false",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt"),
        {},
        {"SEND_FILE_MAX_AGE_DEFAULT": 3600},
        id="config-max-age-int",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt"),
        {},
        {"SEND_FILE_MAX_AGE_DEFAULT": timedelta(hours=2)},
        id="config-max-age-timedelta",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt", max_age=5),
        {},
        {"SEND_FILE_MAX_AGE_DEFAULT": 3600},
        id="max-age-over-config",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt"),
        {},
        {"USE_X_SENDFILE": True},
        id="x-sendfile",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt"),
        {"If-None-Match": "*"},
        {"USE_X_SENDFILE": True},
        id="x-sendfile-304-drops-it",
    ),
    pytest.param(
        lambda fw: fw.send_file("static/hello.txt"),
        {"Range": "bytes=2-5"},
        {"USE_X_SENDFILE": True},
        id="x-sendfile-range",
    ),
    pytest.param(
        lambda fw: fw.send_file(io.BytesIO(DATA), download_name="data.bin"),
        {},
        {"USE_X_SENDFILE": True},
        id="x-sendfile-needs-a-path",
    ),
]


@pytest.mark.parametrize(("view", "headers", "config"), SEND_FILE_CASES)
def test_send_file_answers_as_flask(view, headers, config):
    theirs, ours = _both(lambda fw: _view_app(fw, view, config), headers=headers)
    _same(theirs, ours)


CONDITIONAL_HEADERS = [
    pytest.param({"If-None-Match": "*"}, id="if-none-match-any"),
    pytest.param({"If-None-Match": '"other"'}, id="if-none-match-other"),
    pytest.param({"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}, id="modified-since"),
    pytest.param({"If-Match": "*"}, id="if-match-any"),
    pytest.param({"If-Match": '"nope"'}, id="if-match-fails-412"),
    pytest.param({"Range": "bytes=0-4"}, id="range"),
    pytest.param({"Range": "bytes=7-"}, id="range-open-ended"),
    pytest.param({"Range": "bytes=-6"}, id="range-suffix"),
    pytest.param({"Range": "bytes=-1000"}, id="range-suffix-longer-than-the-file"),
    pytest.param({"Range": "bytes=3-1000"}, id="range-past-the-end"),
    pytest.param({"Range": "bytes=1000-"}, id="range-unsatisfiable-416"),
    pytest.param({"Range": "bytes=5-4"}, id="range-malformed-416"),
    pytest.param({"Range": "bytes=abc"}, id="range-garbage-416"),
    pytest.param({"Range": "lines=0-1"}, id="range-other-unit"),
    pytest.param({"Range": "bytes=0-4", "If-Range": '"stale"'}, id="if-range-stale"),
    pytest.param({"Range": "bytes=0-4", "If-None-Match": "*"}, id="range-and-304"),
]


@pytest.mark.parametrize("headers", CONDITIONAL_HEADERS)
def test_conditional_and_range_answers_as_flask(headers):
    for method in ("GET", "HEAD", "POST"):
        theirs, ours = _both(
            lambda fw: _view_app(fw, lambda fw: fw.send_file("static/hello.txt")),
            method=method,
            headers=headers,
        )
        _same(theirs, ours)


def test_the_files_own_validators_answer_as_flask():
    headers = {
        "If-Modified-Since": _last_modified(STATIC / "hello.txt"),
        "If-Range": _last_modified(STATIC / "hello.txt"),
    }
    for method, extra in itertools.product(("GET", "HEAD"), ({}, {"Range": "bytes=0-4"})):
        theirs, ours = _both(
            lambda fw: _view_app(fw, lambda fw: fw.send_file("static/hello.txt")),
            method=method,
            headers={**headers, **extra},
        )
        _same(theirs, ours)


def test_a_304_for_the_etag_the_file_was_sent_with(app, client):
    app.root_path = str(FIXTURES)

    @app.route("/")
    def index():
        return carafe.send_file("static/pixel.png")

    first = client.get("/")
    assert (first.status_code, first.data) == (200, PIXEL)
    assert first.headers["Content-Type"] == "image/png"
    etag = first.headers["ETag"]
    again = client.get("/", headers={"If-None-Match": etag})
    assert (again.status_code, again.data) == (304, b"")
    assert again.headers["ETag"] == etag
    assert "Content-Length" not in again.headers
    matched = client.get("/", headers={"Range": "bytes=1-3", "If-Range": etag})
    assert (matched.status_code, matched.data) == (206, PIXEL[1:4])
    assert matched.headers["Content-Range"] == f"bytes 1-3/{len(PIXEL)}"
    assert client.get("/", headers={"If-Match": etag}).status_code == 200


def _raises_as_flask(view: Callable[[Any], Any]) -> tuple[BaseException, BaseException]:
    errors = []
    for framework in (flask, carafe):
        app = _view_app(framework, view)
        with pytest.raises(Exception) as caught:
            app.test_client().get("/")
        errors.append(caught.value)
    return errors[0], errors[1]


@pytest.mark.parametrize(
    ("view", "error"),
    [
        pytest.param(_text_file, ValueError, id="text-mode-file"),
        pytest.param(
            lambda fw: fw.send_file(io.StringIO("text"), download_name="a.txt"),
            ValueError,
            id="string-io",
        ),
        pytest.param(lambda fw: fw.send_file(io.BytesIO(DATA)), TypeError, id="no-name-no-type"),
        pytest.param(
            lambda fw: fw.send_file(io.BytesIO(DATA), mimetype="x/y", as_attachment=True),
            TypeError,
            id="attachment-without-a-name",
        ),
        pytest.param(
            lambda fw: fw.send_file("static/missing.txt"), FileNotFoundError, id="missing"
        ),
        pytest.param(lambda fw: fw.send_file("static/sub"), IsADirectoryError, id="directory"),
    ],
)
def test_send_file_refuses_what_flask_refuses(view, error):
    theirs, ours = _raises_as_flask(view)
    assert type(theirs) is error
    assert type(ours) is error
    if error is TypeError:
        # The same first sentence (Werkzeug's goes on to say what to do).
        assert str(theirs).startswith(str(ours).split(".")[0])


def test_send_file_needs_a_request():
    app = carafe.Flask("files_app", root_path=str(FIXTURES))
    with app.app_context(), pytest.raises(RuntimeError):
        carafe.send_file("static/hello.txt")
    with pytest.raises(RuntimeError):
        carafe.send_from_directory("static", "hello.txt")


def test_get_send_file_max_age_overridden_as_flask():
    seen: dict[str, list[Any]] = {}

    def setup(framework):
        calls = seen.setdefault(framework.__name__, [])

        class App(framework.Flask):
            def get_send_file_max_age(self, filename):
                relative = filename and os.path.isabs(filename)
                calls.append(os.path.relpath(filename, FIXTURES) if relative else filename)
                return 10 if filename and filename.endswith(".css") else None

        app = App("files_app", root_path=str(FIXTURES))
        app.add_url_rule("/css", "css", lambda: framework.send_file("static/style.css"))
        app.add_url_rule("/txt", "txt", lambda: framework.send_file(STATIC / "hello.txt"))
        app.add_url_rule(
            "/mem",
            "mem",
            lambda: framework.send_file(io.BytesIO(DATA), download_name="a.bin"),
        )
        return app

    for path in ("/css", "/txt", "/mem", "/static/style.css", "/static/sub/nested.txt"):
        theirs, ours = _both(setup, path)
        _same(theirs, ours)
    assert seen["carafe"] == seen["flask"]
    assert seen["carafe"] == [
        "static/style.css",
        "static/hello.txt",
        None,
        # The static route asks with the name from the URL, as Flask does.
        "style.css",
        # None for this one: send_file then asks again with the path, as in Flask.
        "sub/nested.txt",
        "static/sub/nested.txt",
    ]


# -- the static route -----------------------------------------------------------------


STATIC_OPTIONS = [
    pytest.param({}, ["/static/hello.txt", "/static/sub/nested.txt"], id="default"),
    pytest.param({}, ["/static/na%C3%AFve%20caf%C3%A9.txt"], id="unicode-name"),
    pytest.param({}, ["/static/archive.tar.gz", "/static/pixel.png"], id="binary"),
    pytest.param({}, ["/static/missing.txt", "/static/sub", "/static/"], id="not-files"),
    pytest.param({}, ["/static/../secret.txt", "/static/%2e%2e/secret.txt"], id="outside"),
    pytest.param({"static_url_path": "/assets"}, ["/assets/app.js"], id="url-path"),
    pytest.param({"static_url_path": "/assets/"}, ["/assets/app.js"], id="slash"),
    pytest.param({"static_url_path": ""}, ["/style.css", "/static/style.css"], id="empty"),
    pytest.param({"static_folder": Path("static")}, ["/static/hello.txt"], id="pathlib"),
    pytest.param({"static_folder": str(STATIC)}, ["/static/hello.txt"], id="absolute"),
    pytest.param({"static_folder": "static/"}, ["/static/hello.txt"], id="folder-slash"),
    pytest.param({"static_folder": "static/sub"}, ["/sub/nested.txt"], id="nested-folder"),
    pytest.param({"static_folder": None}, ["/static/hello.txt"], id="no-folder"),
]


@pytest.mark.parametrize(("options", "paths"), STATIC_OPTIONS)
def test_static_route_as_flask(options, paths):
    def setup(framework):
        app = framework.Flask("files_app", root_path=str(FIXTURES), **options)
        app.config["TESTING"] = True
        return app

    for method, path in itertools.product(("GET", "HEAD"), paths):
        theirs, ours = _both(setup, path, method=method)
        _same(theirs, ours)
    rules = [
        sorted((rule.rule, rule.endpoint) for rule in setup(framework).url_map.iter_rules())
        for framework in (flask, carafe)
    ]
    assert rules[1] == rules[0]


def test_a_head_request_has_the_headers_and_no_body(app, client):
    app.root_path = str(FIXTURES)
    get = client.get("/static/style.css")
    head = client.head("/static/style.css")
    assert (head.status_code, head.data) == (200, b"")
    assert head.headers["Content-Length"] == str(len(get.data))
    assert [(k, v) for k, v in head.headers if k.lower() != "date"] == [
        (k, v) for k, v in get.headers if k.lower() != "date"
    ]


def _with_blueprint(framework: Any, bp_options: dict[str, Any], register: dict[str, Any]) -> Any:
    app = framework.Flask("files_app", root_path=str(FIXTURES))
    app.config["TESTING"] = True
    blueprint = framework.Blueprint(
        "bp", "files_app", root_path=str(FIXTURES / "blueprint"), **bp_options
    )
    app.register_blueprint(blueprint, **register)
    return app


BLUEPRINT_CASES = [
    # Without a url_prefix the blueprint's /static rule comes after the app's, which
    # wins (Flask's documented behaviour): the blueprint's own file is not found.
    pytest.param(
        {"static_folder": "static"}, {}, ["/static/only.txt", "/static/hello.txt"], id="shadowed"
    ),
    pytest.param(
        {"static_folder": "static"},
        {"url_prefix": "/bp"},
        ["/bp/static/only.txt", "/bp/static/hello.txt"],
        id="url-prefix",
    ),
    pytest.param(
        {"static_folder": "static", "url_prefix": "/own"}, {}, ["/own/static/only.txt"], id="own"
    ),
    pytest.param(
        {"static_folder": "static", "static_url_path": "/bp-files"},
        {},
        ["/bp-files/only.txt"],
        id="url-path",
    ),
    pytest.param(
        {"static_folder": "static", "static_url_path": "/files"},
        {"url_prefix": "/bp"},
        ["/bp/files/only.txt", "/bp/static/only.txt"],
        id="url-path-and-prefix",
    ),
    pytest.param(
        {"static_folder": FIXTURES / "blueprint" / "static"},
        {"url_prefix": "/bp"},
        ["/bp/static/only.txt"],
        id="pathlib-absolute",
    ),
    pytest.param({}, {"url_prefix": "/bp"}, ["/bp/static/only.txt"], id="no-folder"),
]


@pytest.mark.parametrize(("bp_options", "register", "paths"), BLUEPRINT_CASES)
def test_blueprint_static_folders_as_flask(bp_options, register, paths):
    for path in paths:
        theirs, ours = _both(lambda fw: _with_blueprint(fw, bp_options, register), path)
        _same(theirs, ours)
    urls = []
    for framework in (flask, carafe):
        app = _with_blueprint(framework, bp_options, register)
        with app.test_request_context():
            built = [framework.url_for("static", filename="sub/nested.txt")]
            try:
                built.append(framework.url_for("bp.static", filename=UNICODE_NAME))
            except Exception as exc:  # no blueprint static route: both refuse
                built.append(type(exc).__name__)
        urls.append(built)
    assert urls[1] == urls[0]


def test_url_for_static_as_flask():
    built = []
    for framework in (flask, carafe):
        app = framework.Flask("files_app", root_path=str(FIXTURES), static_url_path="/s")
        with app.test_request_context():
            built.append(
                [
                    framework.url_for("static", filename="hello.txt"),
                    framework.url_for("static", filename=UNICODE_NAME),
                    framework.url_for("static", filename="sub/nested.txt", v="3"),
                    framework.url_for("static", filename="a b?c#d.txt", _external=True),
                ]
            )
    assert built[1] == built[0]
    assert built[1][1] == "/s/na%C3%AFve%20caf%C3%A9.txt"


@pytest.mark.parametrize("host", ["static.example", "other.example"])
def test_static_host_with_host_matching_as_flask(host):
    def setup(framework):
        app = framework.Flask(
            "files_app",
            root_path=str(FIXTURES),
            host_matching=True,
            static_host="static.example",
        )
        app.config["TESTING"] = True
        return app

    theirs, ours = _both(setup, "/static/hello.txt", base_url=f"http://{host}/")
    _same(theirs, ours)
    assert ours.status_code == (200 if host == "static.example" else 404)
    built = []
    for framework in (flask, carafe):
        with setup(framework).test_request_context(base_url="http://www.example/"):
            built.append(framework.url_for("static", filename="hello.txt"))
    assert built[1] == built[0] == "http://static.example/static/hello.txt"


@pytest.mark.parametrize(
    "options", [{"static_host": "static.example"}, {"host_matching": True, "static_host": None}]
)
def test_static_host_needs_host_matching_as_flask(options):
    if options.get("host_matching"):
        # host_matching without a static_host is fine only without a static folder.
        options = {**options, "static_folder": "static"}
    for framework in (flask, carafe):
        with pytest.raises(AssertionError):
            framework.Flask("files_app", root_path=str(FIXTURES), **options)


def test_send_static_file_without_a_folder_is_a_runtime_error_as_flask():
    for framework in (flask, carafe):
        app = framework.Flask("files_app", root_path=str(FIXTURES), static_folder=None)
        blueprint = framework.Blueprint("bp", "files_app", root_path=str(FIXTURES))
        with app.test_request_context():
            with pytest.raises(RuntimeError, match="static_folder"):
                app.send_static_file("hello.txt")
            with pytest.raises(RuntimeError, match="static_folder"):
                blueprint.send_static_file("only.txt")


@pytest.mark.parametrize(
    "config", [{}, {"SEND_FILE_MAX_AGE_DEFAULT": 300}, {"SEND_FILE_MAX_AGE_DEFAULT": 0}]
)
def test_static_max_age_from_the_config_and_blueprint_override_as_flask(config):
    def setup(framework):
        class Shelf(framework.Blueprint):
            def get_send_file_max_age(self, filename):
                return 7

        app = framework.Flask("files_app", root_path=str(FIXTURES))
        app.config.update(TESTING=True, **config)
        app.register_blueprint(
            Shelf(
                "bp", "files_app", root_path=str(FIXTURES / "blueprint"), static_folder="static"
            ),
            url_prefix="/bp",
        )
        return app

    for path in ("/static/hello.txt", "/bp/static/only.txt"):
        theirs, ours = _both(setup, path)
        _same(theirs, ours)


# -- ranges beyond Flask --------------------------------------------------------------


def test_several_ranges_are_one_multipart_answer(app, client):
    app.root_path = str(FIXTURES)

    @app.route("/<name>")
    def file(name):
        return carafe.send_from_directory("static", name)

    answer = client.get("/pixel.png", headers={"Range": "bytes=0-7,20-29,-4"})
    assert answer.status_code == 206
    assert answer.mimetype == "multipart/byteranges"
    assert "Content-Range" not in answer.headers
    assert int(answer.headers["Content-Length"]) == len(answer.data)
    size = len(PIXEL)
    assert _parts(answer) == [
        (f"bytes 0-7/{size}", "image/png", PIXEL[0:8]),
        (f"bytes 20-29/{size}", "image/png", PIXEL[20:30]),
        (f"bytes {size - 4}-{size - 1}/{size}", "image/png", PIXEL[-4:]),
    ]
    # Adjacent ranges are merged; unsatisfiable ones among others dropped.
    merged = client.get("/hello.txt", headers={"Range": "bytes=0-4,5-9,500-600"})
    assert merged.status_code == 206
    assert _parts(merged) == [(f"bytes 0-9/{len(HELLO)}", "text/plain; charset=utf-8", HELLO[:10])]
    # Sixteen ranges are answered one by one (seventeen get the whole file, below).
    sixteen = client.get(
        "/pixel.png", headers={"Range": "bytes=" + ",".join(f"{n}-{n}" for n in range(0, 32, 2))}
    )
    assert [data for _, _, data in _parts(sixteen)] == [PIXEL[n : n + 1] for n in range(0, 32, 2)]
    head = client.head("/pixel.png", headers={"Range": "bytes=0-7,20-29"})
    assert (head.status_code, head.data) == (206, b"")
    assert head.mimetype == "multipart/byteranges"
    assert int(head.headers["Content-Length"]) > 18


def test_several_ranges_flask_refuses(app, client):
    theirs, ours = _both(
        lambda fw: _view_app(fw, lambda fw: fw.send_file("static/hello.txt")),
        headers={"Range": "bytes=0-1,4-5"},
    )
    # Deliberate: Werkzeug answers any Range of several ranges with a 416.
    assert (theirs.status_code, ours.status_code) == (416, 206)


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(MANY_RANGES, id="thousands"),
        pytest.param("bytes=" + ",".join(f"{n}-{n}" for n in range(17)), id="seventeen"),
    ],
)
def test_a_range_asking_too_much_gets_the_whole_file_cheaply(app, client, header):
    reads: list[tuple[str, int]] = []

    class CountingBytes(io.BytesIO):
        def read(self, size=-1):
            reads.append(("read", size))
            return super().read(size)

        def seek(self, offset, whence=0):
            reads.append(("seek", offset))
            return super().seek(offset, whence)

    @app.route("/")
    def index():
        return carafe.send_file(CountingBytes(DATA), download_name="data.bin")

    answer = client.get("/", headers={"Range": header})
    assert (answer.status_code, answer.data) == (200, DATA)
    assert answer.headers["Content-Length"] == str(len(DATA))
    # One pass over the file, as for no Range at all: no seek per range.
    assert [kind for kind, _ in reads].count("seek") == 0
    assert len(reads) <= 2


def test_a_malformed_range_costs_nothing(app, client):
    reads: list[int] = []

    class CountingBytes(io.BytesIO):
        def read(self, size=-1):
            reads.append(size)
            return super().read(size)

    @app.route("/")
    def index():
        return carafe.send_file(CountingBytes(DATA), download_name="data.bin")

    # Werkzeug's parser, which Carafe follows, refuses ranges out of order or
    # overlapping (RFC 9110 section 14.2 lets a server reject them): the
    # "sixteen times the whole file" request is a 416 before anything is read.
    refused = (
        "bytes=5-4",
        "bytes=2000-",
        "bytes=" + ",".join(["5-4"] * 5000),
        "bytes=" + ",".join(["0-"] * 16),
        "bytes=" + ",".join(["0-1023"] * 5000),
        "bytes=10-19,0-9",
        "bytes=-5,0-9",
    )
    for header in refused:
        answer = client.get("/", headers={"Range": header})
        assert answer.status_code == 416
        assert answer.headers["Content-Range"] == f"bytes */{len(DATA)}"
    assert reads == []


# -- traversal ------------------------------------------------------------------------

SECRET = b"SECRET: app.py, outside the static folder"
SIBLING = b"SIBLING: beside the static folder"


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An app root: ``static/`` with files, links and traps; secrets around it (made
    once: the tests only read it)."""
    tmp_path = tmp_path_factory.mktemp("layout")
    (tmp_path / "app.py").write_bytes(SECRET)
    (tmp_path / "static1.txt").write_bytes(SIBLING)
    (tmp_path / "static1").mkdir()
    (tmp_path / "static1" / "secret.txt").write_bytes(SIBLING)
    static = tmp_path / "static"
    (static / "sub").mkdir(parents=True)
    (static / "hello.txt").write_bytes(HELLO)
    (static / "sub" / "nested.txt").write_bytes(b"nested")
    # Files named as Windows devices, or with a trailing dot Windows would drop, exist
    # here: they are refused by their names.
    for name in ("NUL", "CON.txt", "nul.txt", "con", "COM1", "aux.tar.gz", "NUL.", "notes."):
        (static / name).write_bytes(b"device-named")
    (static / "sub" / "AUX.log").write_bytes(b"device-named")
    (static / "C:").mkdir()
    (static / "C:" / "x").write_bytes(b"colon-named")
    (static / "..\\app.py").write_bytes(b"backslash-named")
    (static / "link-out").symlink_to(tmp_path / "app.py")
    (static / "link-out-relative").symlink_to(Path("..") / "app.py")
    (static / "link-dir-out").symlink_to(tmp_path / "static1", target_is_directory=True)
    (static / "link-in").symlink_to("hello.txt")
    (static / "link-dir-in").symlink_to("sub", target_is_directory=True)
    (static / "loop").symlink_to("loop")
    (static / "dangling").symlink_to("missing.txt")
    os.mkfifo(static / "fifo")
    (tmp_path / "static-link").symlink_to("static", target_is_directory=True)
    return tmp_path


def _file_app(framework: Any, root: Path, static_folder: str = "static") -> Any:
    app = framework.Flask(
        "files_app", root_path=str(root), static_folder=static_folder, static_url_path="/static"
    )
    app.config["TESTING"] = True

    @app.route("/files/<path:name>")
    def files(name):
        return framework.send_from_directory(root / "static", name)

    @app.route("/relative/<path:name>")
    def relative(name):
        return framework.send_from_directory("static", name)

    return app


TRAVERSALS = [
    "/static/../app.py",
    "/static/%2e%2e/app.py",
    "/static/%2E%2E/app.py",
    "/static/%2e%2e%2fapp.py",
    "/static/..%2fapp.py",
    "/static/.%2e/app.py",
    "/static/sub/../../app.py",
    "/static/sub/%2e%2e/%2e%2e/app.py",
    "/static/./../app.py",
    "/static/../static1.txt",
    "/static/../static1/secret.txt",
    "/static/%2e%2e/static1.txt",
    "//etc/passwd",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/%2f..%2fapp.py",
    "/static/..%5capp.py",
    "/static/..\\app.py",
    "/static/sub%5c..%5c..%5capp.py",
    "/static/hello.txt%00",
    "/static/hello.txt%00.png",
    "/static/%00../app.py",
    "/static/NUL",
    "/static/CON.txt",
    "/static/nul.txt",
    "/static/con",
    "/static/COM1",
    "/static/aux.tar.gz",
    "/static/NUL.",
    "/static/notes.",
    "/static/sub/AUX.log",
    "/static/C:/x",
    "/static/C%3a/x",
    "/static/hello.txt:stream",
    "/static/link-out",
    "/static/link-out-relative",
    "/static/link-dir-out/secret.txt",
    "/static/loop",
    "/static/dangling",
    "/static/fifo",
    "/static/sub",
    "/static/sub/",
    "/static/",
    "/static/link-dir-in",
    "/static/%252e%252e/app.py",
    "/static/%C0%AE%C0%AE/app.py",
    "/static/" + "a" * 300,
    "/static/" + "a/" * 3000 + "b",
]


def _as_view_paths(path: str) -> list[str]:
    """``path`` on the static route, the ``send_from_directory`` views, and the linked root."""
    if not path.startswith("/static/"):
        return [path]
    rest = path.removeprefix("/static/")
    return [path, f"/files/{rest}", f"/relative/{rest}"]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_every_traversal_attempt_is_a_404(layout, path):
    for static_folder in ("static", "static-link"):
        client = _file_app(carafe, layout, static_folder).test_client()
        for attempt in _as_view_paths(path):
            # (A "//" is first redirected to the merged path, as in Flask: followed.)
            answer = client.get(attempt, follow_redirects=True)
            assert answer.status_code == 404, attempt
            assert SECRET not in answer.data
            assert SIBLING not in answer.data
            assert b"-named" not in answer.data


@pytest.mark.parametrize(
    "path",
    [
        "/static/hello.txt",
        "/static/link-in",
        "/static/link-dir-in/nested.txt",
        "/static/sub/../hello.txt",
    ],
)
def test_links_and_dots_that_stay_inside_are_served(layout, path):
    # The real path is checked against the real folder: a link inside is followed.
    for static_folder in ("static", "static-link"):
        client = _file_app(carafe, layout, static_folder).test_client()
        for attempt in _as_view_paths(path):
            answer = client.get(attempt)
            assert answer.status_code == 200, attempt
            assert answer.data in (HELLO, b"nested")


@pytest.mark.parametrize(
    "path",
    [
        "/static/NUL",
        "/static/CON.txt",
        "/static/nul.txt",
        "/static/C:/x",
        "/static/..%5capp.py",
        "/static/notes.",
        "/static/link-out",
        "/static/link-dir-out/secret.txt",
    ],
)
def test_names_flask_serves_on_posix_are_refused(layout, path):
    theirs, ours = _both(lambda fw: _file_app(fw, layout), path)
    # Deliberate: refused on every platform (Werkzeug refuses device names and
    # backslashes on Windows only, and follows links out of the folder).
    assert (theirs.status_code, ours.status_code) == (200, 404)


@pytest.mark.parametrize(
    "path",
    # (Not the backslashes: on POSIX, Werkzeug serves the file named "..\\app.py".)
    [path for path in TRAVERSALS[:22] if "\\" not in path and "%5c" not in path],
)
def test_flask_refuses_these_too(layout, path):
    theirs, ours = _both(lambda fw: _file_app(fw, layout), path)
    # Both redirect "//" inside a path to the merged path (308), which is a 404 too.
    assert theirs.status_code in (404, 308)
    assert ours.status_code == theirs.status_code


@pytest.mark.parametrize(
    "name",
    [
        "../app.py",
        Path("../app.py"),
        "sub/../../app.py",
        "/etc/passwd",
        str(Path("/") / "etc" / "passwd"),
        "..\\app.py",
        "\\etc\\passwd",
        "C:\\Windows\\win.ini",
        "C:/Windows/win.ini",
        "hello.txt\0.png",
        "NUL",
        "sub/CON.txt",
        "link-out",
        "sub",
        "",
        ".",
    ],
)
def test_send_from_directory_never_leaves_its_directory(layout, name):
    app = carafe.Flask("files_app", root_path=str(layout))
    with app.test_request_context(), pytest.raises(NotFound):
        carafe.send_from_directory("static", name)


def test_send_from_directory_passes_its_options_on(layout):
    app = _file_app(carafe, layout)
    with app.test_request_context():
        response = carafe.send_from_directory(
            layout / "static", Path("sub") / "nested.txt", as_attachment=True, max_age=9
        )
        response.close()
    assert response.headers["Content-Disposition"] == "attachment; filename=nested.txt"
    assert response.headers["Cache-Control"] == "public, max-age=9"


# -- bodies: the server's file sending, the event loop, closing -----------------------


class _FileWrapper:
    """A server's ``wsgi.file_wrapper``: records what it wraps."""

    wrapped: list[Any]

    def __init__(self, file: Any, block_size: int = 8192) -> None:
        self.file = file
        self.block_size = block_size
        type(self).wrapped.append(file)

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self.file.read(self.block_size), b"")

    def close(self) -> None:
        self.file.close()


def _wrapper_class() -> type[_FileWrapper]:
    return type("FileWrapper", (_FileWrapper,), {"wrapped": []})


def test_flask_hands_a_whole_file_to_the_wsgi_file_wrapper(interface):
    if interface == "asgi":
        pytest.skip("wsgi.file_wrapper is WSGI's")
    wrapper = _wrapper_class()
    app = _view_app(flask, lambda fw: fw.send_file("static/hello.txt"))
    answer = app.test_client().get("/", environ_base={"wsgi.file_wrapper": wrapper}, buffered=True)
    assert (answer.status_code, answer.data) == (200, HELLO)
    assert len(wrapper.wrapped) == 1


def test_a_whole_file_goes_to_the_wsgi_file_wrapper(interface):
    if interface == "asgi":
        pytest.skip("wsgi.file_wrapper is WSGI's")
    wrapper = _wrapper_class()
    app = _view_app(carafe, lambda fw: fw.send_file("static/hello.txt"))
    answer = app.test_client().get("/", environ_base={"wsgi.file_wrapper": wrapper})
    assert (answer.status_code, answer.data) == (200, HELLO)
    assert len(wrapper.wrapped) == 1
    assert wrapper.wrapped[0].name == str(STATIC / "hello.txt")


@pytest.mark.parametrize(
    "headers", [{"Range": "bytes=2-6"}, {"Range": "bytes=0-1,4-5"}, {"If-None-Match": "*"}]
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_part_of_a_file_is_not_handed_to_the_wsgi_file_wrapper(interface, headers, method):
    if interface == "asgi":
        pytest.skip("wsgi.file_wrapper is WSGI's")
    wrapper = _wrapper_class()
    app = _view_app(carafe, lambda fw: fw.send_file("static/hello.txt"))
    answer = app.test_client().open(
        "/", method=method, headers=headers, environ_base={"wsgi.file_wrapper": wrapper}
    )
    assert answer.status_code in (206, 304)
    assert wrapper.wrapped == []


class _Exchange:
    """One ASGI exchange driven by hand, with the server's extensions in the scope."""

    def __init__(self, disconnect_after: int | None = None, send_raises: bool = False) -> None:
        self.sent: list[dict[str, Any]] = []
        self.disconnect_after = disconnect_after
        #: After the client left, ``send`` raises OSError (as the ASGI spec asks of a
        #: server since 2.4) instead of dropping the message (as uvicorn does).
        self.send_raises = send_raises
        self.gone: asyncio.Event | None = None

    def run(self, app: Any, path: str, method: str = "GET", **options: Any) -> _Exchange:
        headers = [(b"host", b"localhost")] + [
            (name.lower().encode(), value.encode())
            for name, value in options.get("headers", {}).items()
        ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "server": ("localhost", 80),
            "extensions": options.get("extensions", {"http.response.pathsend": {}}),
        }
        asyncio.run(self._exchange(app, scope))
        return self

    async def _exchange(self, app: Any, scope: dict[str, Any]) -> None:
        self.gone = asyncio.Event()
        started = False

        async def receive() -> dict[str, Any]:
            nonlocal started
            if not started:
                started = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await self.gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if self.gone.is_set():
                if self.send_raises:
                    raise OSError("the client is gone")
                return
            self.sent.append(message)
            bodies = sum(1 for sent in self.sent if sent["type"] == "http.response.body")
            if self.disconnect_after is not None and bodies >= self.disconnect_after:
                self.gone.set()
            if message["type"] != "http.response.start" and not message.get("more_body"):
                self.gone.set()

        await app(scope, receive, send)

    @property
    def types(self) -> list[str]:
        return [message["type"] for message in self.sent]

    @property
    def body(self) -> bytes:
        return b"".join(message.get("body", b"") for message in self.sent[1:])


def _asgi_only(interface: str) -> None:
    if interface == "wsgi":
        pytest.skip("drives app.asgi by hand: once is enough")


def _pathsend_app(root: Path, on_close: bool = False) -> carafe.Flask:
    app = carafe.Flask("files_app", root_path=str(root))
    app.config["TESTING"] = True

    @app.route("/memory")
    def memory():
        return carafe.send_file(io.BytesIO(DATA), download_name="data.bin")

    if on_close:

        @app.after_request
        def closing(response):
            response.call_on_close(lambda: None)
            return response

    return app


@pytest.mark.skipif(not HAS_PROC_FD, reason="reads /proc/self/fd")
def test_a_whole_file_goes_out_by_its_path_over_asgi(interface):
    _asgi_only(interface)
    app = _pathsend_app(FIXTURES)
    exchange = _Exchange().run(app.asgi, "/static/pixel.png")
    assert exchange.types == ["http.response.start", "http.response.pathsend"]
    assert exchange.sent[0]["status"] == 200
    assert (b"content-length", str(len(PIXEL)).encode()) in exchange.sent[0]["headers"]
    sent_path = exchange.sent[1]["path"]
    assert os.path.isabs(sent_path)
    assert Path(sent_path).read_bytes() == PIXEL
    # The app's own copy is closed: the server opens the file itself.
    assert _open_files(FIXTURES) == []


@pytest.mark.parametrize(
    ("path", "method", "headers", "extensions", "on_close", "status", "body"),
    [
        pytest.param(
            "/static/pixel.png",
            "GET",
            {"Range": "bytes=1-4"},
            None,
            False,
            206,
            PIXEL[1:5],
            id="range",
        ),
        pytest.param(
            "/static/pixel.png",
            "GET",
            {"Range": "bytes=1-4,8-9"},
            None,
            False,
            206,
            None,
            id="ranges",
        ),
        pytest.param("/static/pixel.png", "HEAD", {}, None, False, 200, b"", id="head"),
        pytest.param(
            "/static/pixel.png", "GET", {"If-None-Match": "*"}, None, False, 304, b"", id="304"
        ),
        pytest.param(
            "/static/pixel.png", "GET", {"Range": "bytes=99-"}, None, False, 416, None, id="416"
        ),
        pytest.param("/memory", "GET", {}, None, False, 200, DATA, id="file-object"),
        pytest.param(
            "/static/pixel.png", "GET", {}, {}, False, 200, PIXEL, id="server-without-it"
        ),
        pytest.param("/static/pixel.png", "GET", {}, None, True, 200, PIXEL, id="call-on-close"),
    ],
)
def test_what_does_not_go_out_by_its_path(
    interface, path, method, headers, extensions, on_close, status, body
):
    _asgi_only(interface)
    app = _pathsend_app(FIXTURES, on_close=on_close)
    options: dict[str, Any] = {"headers": headers}
    if extensions is not None:
        options["extensions"] = extensions
    exchange = _Exchange().run(app.asgi, path, method, **options)
    assert "http.response.pathsend" not in exchange.types
    assert exchange.types[-1] == "http.response.body"
    assert exchange.sent[0]["status"] == status
    if body is not None:
        assert exchange.body == body
    elif status == 206:
        assert PIXEL[1:5] in exchange.body and PIXEL[8:10] in exchange.body


def test_the_path_sent_is_absolute_with_a_relative_root_path(interface, monkeypatch):
    _asgi_only(interface)
    monkeypatch.chdir(FIXTURES.parent)
    app = carafe.Flask("files_app", root_path=FIXTURES.name)

    @app.route("/")
    def index():
        return carafe.send_file("static/hello.txt")

    exchange = _Exchange().run(app.asgi, "/")
    assert exchange.types == ["http.response.start", "http.response.pathsend"]
    assert os.path.isabs(exchange.sent[1]["path"])


@pytest.mark.parametrize(
    "headers", [{}, {"Range": "bytes=100-199"}, {"Range": "bytes=0-9,500-509"}]
)
@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_file_is_never_read_on_the_event_loop(app, client, interface, headers, asynchronous):
    reads_on_loop: list[bool] = []

    class WatchedBytes(io.BytesIO):
        def read(self, size=-1):
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                reads_on_loop.append(False)
            else:
                reads_on_loop.append(True)
            return super().read(size)

    def send():
        return carafe.send_file(WatchedBytes(DATA), download_name="data.bin")

    if asynchronous:

        @app.route("/")
        async def index():
            return send()

    else:
        app.add_url_rule("/", "index", send)

    answer = client.get("/", headers=headers)
    assert answer.status_code in (200, 206)
    assert reads_on_loop
    assert not any(reads_on_loop)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1 MiB file, more blocks than a stream holds ahead."""
    path = tmp_path_factory.mktemp("big") / "static" / "big.bin"
    path.parent.mkdir()
    path.write_bytes(os.urandom(1024 * 1024))
    return path


@pytest.mark.skipif(not HAS_PROC_FD, reason="reads /proc/self/fd")
@pytest.mark.parametrize(
    "headers", [{}, {"Range": "bytes=10-900000"}, {"Range": "bytes=0-9,-900000"}]
)
@pytest.mark.parametrize("send_raises", [False, True])
def test_a_client_leaving_mid_download_closes_the_file(interface, big_file, headers, send_raises):
    _asgi_only(interface)
    app = _pathsend_app(big_file.parent.parent)
    exchange = _Exchange(disconnect_after=2, send_raises=send_raises)
    # The OSError of a send after the client left may come out of the app (when a
    # chunk was already on its way): the server raised it.
    with contextlib.suppress(OSError):
        exchange.run(app.asgi, "/static/big.bin", headers=headers, extensions={})
    assert exchange.types[0] == "http.response.start"
    assert len(exchange.body) < big_file.stat().st_size
    assert _open_files(big_file.parent) == []


CLOSING_CASES = [
    pytest.param("GET", {}, 200, id="200"),
    pytest.param("HEAD", {}, 200, id="head"),
    pytest.param("GET", {"If-None-Match": '"v1"'}, 304, id="304"),
    pytest.param("GET", {"If-Modified-Since": "Sat, 29 Feb 2020 12:30:00 GMT"}, 304, id="ims"),
    pytest.param("GET", {"If-Match": '"v2"'}, 412, id="412"),
    pytest.param("GET", {"Range": "bytes=1-3"}, 206, id="206"),
    pytest.param("HEAD", {"Range": "bytes=1-3"}, 206, id="head-206"),
    pytest.param("GET", {"Range": "bytes=1-3,6-8"}, 206, id="multipart"),
    pytest.param("HEAD", {"Range": "bytes=1-3,6-8"}, 206, id="head-multipart"),
    pytest.param("GET", {"Range": "bytes=500-"}, 416, id="416"),
    pytest.param("GET", {"Range": "bytes=5-4"}, 416, id="416-malformed"),
    pytest.param("GET", {"Range": MANY_RANGES}, 200, id="thousands"),
    pytest.param("POST", {"Range": "bytes=1-3"}, 200, id="post"),
]


@pytest.mark.parametrize(("method", "headers", "status"), CLOSING_CASES)
@pytest.mark.parametrize("kind", ["open-file", "bytesio"])
def test_a_file_the_view_opened_is_closed_after_the_response(
    app, client, method, headers, status, kind
):
    opened: list[Any] = []

    @app.route("/", methods=["GET", "HEAD", "POST"])
    def index():
        if kind == "bytesio":
            file = io.BytesIO(HELLO)
        else:
            file = open(STATIC / "hello.txt", "rb")  # noqa: SIM115 (the response closes it)
        opened.append(file)
        return carafe.send_file(file, download_name="hello.txt", etag="v1", last_modified=MOMENT)

    answer = client.open("/", method=method, headers=headers)
    if kind == "open-file" and "Range" in headers:
        # A file object's length is unknown (only a BytesIO's is): no range answered.
        status = 200
    assert answer.status_code == status
    assert len(opened) == 1
    assert opened[0].closed


@pytest.mark.skipif(not HAS_PROC_FD, reason="reads /proc/self/fd")
@pytest.mark.parametrize(("method", "headers", "status"), CLOSING_CASES)
def test_a_file_sent_by_path_is_closed_after_the_response(client, app, method, headers, status):
    app.root_path = str(FIXTURES)
    app.add_url_rule(
        "/",
        "index",
        lambda: carafe.send_file("static/hello.txt", etag="v1", last_modified=MOMENT),
        methods=["GET", "HEAD", "POST"],
    )
    answer = client.open("/", method=method, headers=headers)
    assert answer.status_code == status
    assert _open_files(FIXTURES) == []


@pytest.mark.skipif(not HAS_PROC_FD, reason="reads /proc/self/fd")
@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"max_age": lambda path: 1 // 0}, id="max-age-raises"),
        pytest.param({"etag": 'not"valid'}, id="invalid-etag"),
    ],
)
def test_a_send_file_that_fails_closes_what_it_opened(app, client, options):
    app.root_path = str(FIXTURES)
    app.add_url_rule("/", "index", lambda: carafe.send_file("static/hello.txt", **options))
    with pytest.raises((ZeroDivisionError, ValueError)):
        client.get("/")
    assert _open_files(FIXTURES) == []


@pytest.mark.skipif(not HAS_PROC_FD, reason="reads /proc/self/fd")
def test_a_file_in_a_response_never_sent_is_closed_by_close(app):
    app.root_path = str(FIXTURES)
    with app.test_request_context():
        response = carafe.send_file("static/hello.txt")
        assert len(_open_files(FIXTURES)) == 1
        response.close()
    assert _open_files(FIXTURES) == []


def test_fixture_files_are_what_the_tests_expect():
    # The comparisons above need files of each kind; a checkout that mangled them
    # (line endings, a unicode name normalised away) fails here first.
    assert PIXEL.startswith(b"\x89PNG\r\n\x1a\n")
    assert (STATIC / "archive.tar.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (STATIC / UNICODE_NAME).is_file()
    assert stat.S_ISDIR((STATIC / "sub").stat().st_mode)
    assert (FIXTURES / "blueprint" / "static" / "only.txt").is_file()

"""The floor: a hand-written WSGI callable doing the least each scenario needs.

No framework, no request or response objects: one dict lookup to route, the body read and
parsed only where a form is expected, JSON serialized per request, ``Content-Length`` always
set. Anything a framework does beyond this is the framework's cost. The upload is parsed with the
``multipart`` package (Carafe's own dependency): multipart is not hand-written, even here.
``routes_app`` is the 50-route app: a split path and a dict lookup. No ``async def`` views.
"""

import json
from email.utils import formatdate
from time import time
from urllib.parse import parse_qsl

import multipart

# Where the form handlers put what they read (a real app would use a database).
USERS: dict[str | None, tuple[str | None, str]] = {}
SIGNUPS: dict[str | None, str | None] = {}

HTML = "text/html; charset=utf-8"
_dumps = json.JSONEncoder(separators=(",", ":")).encode


def _text(start_response, status, body, content_type=HTML, extra=()):
    data = body.encode()
    start_response(
        status,
        [("Content-Type", content_type), ("Content-Length", str(len(data))), *extra],
    )
    return [data]


def _json(start_response, status, obj):
    data = _dumps(obj).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def _form(environ):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    return dict(parse_qsl(body.decode("latin-1")))


def index(environ, start_response):
    return _text(start_response, "200 OK", "Hello, World!")


def custom_header(environ, start_response):
    return _text(
        start_response,
        "200 OK",
        "Content with custom header",
        "text/plain",
        [("Custom-Header", "Special-Value")],
    )


def set_cookie(environ, start_response):
    expires = formatdate(time() + 3600, usegmt=True)
    cookie = f"user_id=12345; Expires={expires}; Max-Age=3600; Path=/"
    return _text(start_response, "200 OK", "Cookie has been set!", HTML, [("Set-Cookie", cookie)])


def get_data(environ, start_response):
    return _json(start_response, "200 OK", {"name": "John", "age": 30})


def user_details(environ, start_response):
    form = _form(environ)
    lastname = form.get("lastname")
    if lastname is None:
        return _text(start_response, "400 BAD REQUEST", "Bad Request")
    USERS[form.get("username")] = (form.get("firstname"), lastname)
    return _text(start_response, "201 CREATED", "Success")


def user_details_get(environ, start_response):
    return _text(start_response, "200 OK", "Send the form with POST")


def user_sign_up(environ, start_response):
    form = _form(environ)
    SIGNUPS[form.get("username")] = form.get("password")
    return _text(start_response, "200 OK", "Success", HTML, [("Access-Control-Allow-Origin", "*")])


def get_user(environ, start_response, user_id):
    return _json(start_response, "200 OK", {"id": user_id, "name": "John"})


def search(environ, start_response):
    args = dict(parse_qsl(environ.get("QUERY_STRING", "")))
    page = args.get("page", "1")
    return _json(
        start_response, "200 OK", {"q": args.get("q"), "page": int(page) if page.isdigit() else 1}
    )


def read_cookie(environ, start_response):
    user_id = None
    for pair in environ.get("HTTP_COOKIE", "").split(";"):
        name, _, value = pair.strip().partition("=")
        if name == "user_id":
            user_id = value
            break
    return _text(start_response, "200 OK", f"user_id={user_id}")


def upload(environ, start_response):
    _forms, files = multipart.parse_form_data(environ)
    file = files.get("file")
    if file is None:
        return _text(start_response, "400 BAD REQUEST", "Bad Request")
    try:
        size = len(file.raw)
    finally:
        for part in files.values():
            part.close()
    return _json(start_response, "200 OK", {"filename": file.filename, "size": size})


CHUNK = b"x" * 65536
STREAM_HEADERS = [
    ("Content-Type", "application/octet-stream"),
    ("Content-Length", str(len(CHUNK) * 160)),
]


def stream(environ, start_response):
    start_response("200 OK", STREAM_HEADERS)
    return (CHUNK for _ in range(160))


def not_found(environ, start_response):
    return _json(start_response, "404 NOT FOUND", {"error": "Resource not found"})


ROUTES = {
    ("GET", "/"): index,
    ("GET", "/custom-header"): custom_header,
    ("GET", "/set-cookie"): set_cookie,
    ("GET", "/api/data"): get_data,
    ("GET", "/userDetails"): user_details_get,
    ("POST", "/userDetails"): user_details,
    ("POST", "/userSignUp"): user_sign_up,
    ("GET", "/search"): search,
    ("GET", "/read-cookie"): read_cookie,
    ("POST", "/upload"): upload,
    ("GET", "/stream"): stream,
}


def app(environ, start_response):
    path = environ.get("PATH_INFO") or "/"
    handler = ROUTES.get((environ["REQUEST_METHOD"], path))
    if handler is not None:
        return handler(environ, start_response)
    if path.startswith("/users/") and environ["REQUEST_METHOD"] == "GET":
        tail = path[7:]
        if tail.isascii() and tail.isdigit():
            return get_user(environ, start_response, int(tail))
    return not_found(environ, start_response)


COLLECTIONS = frozenset(f"items{number}" for number in range(25))


def routes_app(environ, start_response):
    """The 50-route app: ``/api/itemsN`` and ``/api/itemsN/<int:item_id>``, N < 25."""
    parts = (environ.get("PATH_INFO") or "/").split("/")
    if environ["REQUEST_METHOD"] == "GET" and parts[1:2] == ["api"] and len(parts) in (3, 4):
        name = parts[2]
        if name in COLLECTIONS:
            if len(parts) == 3:
                return _json(start_response, "200 OK", {"collection": name})
            tail = parts[3]
            if tail.isascii() and tail.isdigit():
                return _json(start_response, "200 OK", {"collection": name, "id": int(tail)})
    return not_found(environ, start_response)

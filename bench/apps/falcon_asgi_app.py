"""The seed scenarios and the extra ones, written the Falcon ASGI way: ``falcon.asgi.App``,
``async def`` responders, ``await req.get_media()``, an async generator to stream.

The same resources and static route as falcon_app.py (and the same Flask defaults spelled
out: HTML content type for text bodies, a plain cookie with ``Path=/`` and ``Expires``,
``charset=utf-8`` on a static text file); on ASGI every responder is a coroutine, so the
async-view scenario is the hello one under another path. ``routes_app`` is the 50-route
app; no session app (Falcon has no sessions).
"""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import falcon
import falcon.asgi

ONE_HOUR = timedelta(hours=1)

# Where the form resources put what they read (a real app would use a database).
USERS: dict[str | None, tuple[str | None, str]] = {}
SIGNUPS: dict[str | None, str | None] = {}


class Index:
    async def on_get(self, req, resp):
        resp.status = falcon.HTTP_200
        resp.content_type = falcon.MEDIA_HTML
        resp.text = "Hello, World!"


class CustomHeader:
    async def on_get(self, req, resp):
        resp.set_header("Custom-Header", "Special-Value")
        resp.content_type = "text/plain"
        resp.text = "Content with custom header"


class SetCookie:
    async def on_get(self, req, resp):
        resp.set_cookie(
            "user_id",
            "12345",
            expires=datetime.now(timezone.utc) + ONE_HOUR,
            max_age=3600,
            path="/",
            secure=False,
            http_only=False,
        )
        resp.content_type = falcon.MEDIA_HTML
        resp.text = "Cookie has been set!"


class Data:
    async def on_get(self, req, resp):
        resp.media = {"name": "John", "age": 30}


class UserDetails:
    async def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_HTML
        resp.text = "Send the form with POST"

    async def on_post(self, req, resp):
        form = await req.get_media()
        USERS[form.get("username")] = (form.get("firstname"), form["lastname"])
        resp.status = falcon.HTTP_201
        resp.content_type = falcon.MEDIA_HTML
        resp.text = "Success"


class User:
    async def on_get(self, req, resp, user_id):
        resp.media = {"id": user_id, "name": "John"}


class UserSignUp:
    async def on_post(self, req, resp):
        form = await req.get_media()
        SIGNUPS[form.get("username")] = form.get("password")
        resp.set_header("Access-Control-Allow-Origin", "*")
        resp.content_type = falcon.MEDIA_HTML
        resp.text = "Success"


async def not_found(req, resp, ex, params):
    resp.status = falcon.HTTP_404
    resp.media = {"error": "Resource not found"}


app = falcon.asgi.App()
app.add_route("/", Index())
app.add_route("/custom-header", CustomHeader())
app.add_route("/set-cookie", SetCookie())
app.add_route("/api/data", Data())
app.add_route("/userDetails", UserDetails())
app.add_route("/users/{user_id:int}", User())
app.add_route("/userSignUp", UserSignUp())
app.add_error_handler(falcon.HTTPNotFound, not_found)


# ----------------------------------------------------------------------------- extras


class Search:
    async def on_get(self, req, resp):
        resp.media = {"q": req.get_param("q"), "page": req.get_param_as_int("page", default=1)}


class ReadCookie:
    async def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_HTML
        resp.text = f"user_id={req.cookies.get('user_id')}"


class Upload:
    async def on_post(self, req, resp):
        form = await req.get_media()
        async for part in form:
            if part.name == "file":
                data = await part.stream.read()
                resp.media = {"filename": part.filename, "size": len(data)}
                return
        raise falcon.HTTPBadRequest(title="no file")


CHUNK = b"x" * 65536


async def chunks():
    for _ in range(160):
        yield CHUNK


class Stream:
    async def on_get(self, req, resp):
        resp.content_type = "application/octet-stream"
        resp.stream = chunks()


app.add_route("/search", Search())
app.add_route("/read-cookie", ReadCookie())
app.add_route("/async", Index())
app.add_route("/upload", Upload())
app.add_route("/stream", Stream())
# Static files: ``static/`` beside this module, typed text/plain with Flask's charset.
app.add_static_route("/static", str(Path(__file__).resolve().parent / "static"))
app.resp_options.static_media_types[".txt"] = "text/plain; charset=utf-8"


class Collection:
    """One collection of the 50-route app: ``/api/NAME`` and ``/api/NAME/{item_id:int}``."""

    def __init__(self, name):
        self.name = name

    async def on_get(self, req, resp):
        resp.media = {"collection": self.name}

    async def on_get_item(self, req, resp, item_id):
        resp.media = {"collection": self.name, "id": item_id}


routes_app = falcon.asgi.App()
for number in range(25):
    resource = Collection(f"items{number}")
    routes_app.add_route(f"/api/items{number}", resource)
    routes_app.add_route(f"/api/items{number}/{{item_id:int}}", resource, suffix="item")

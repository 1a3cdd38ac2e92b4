"""The seed scenarios and the extra ones, written the Bottle way: decorated functions, the
thread-local ``request``/``response``, dicts returned as JSON, ``@app.error(404)``.
``static_file`` serves ``static/`` beside this module. ``routes_app`` is the 50-route app.
Bottle has no ``async def`` views, and no sessions."""

import json
from pathlib import Path
from time import time

from bottle import Bottle, request, response, static_file

app = Bottle()

# Where the form views put what they read (a real app would use a database).
USERS: dict[str | None, tuple[str | None, str]] = {}
SIGNUPS: dict[str | None, str | None] = {}


@app.get("/")
def index():
    response.status = 200
    return "Hello, World!"


@app.get("/custom-header")
def custom_header():
    response.set_header("Custom-Header", "Special-Value")
    response.content_type = "text/plain"
    return "Content with custom header"


@app.get("/set-cookie")
def set_cookie():
    # Flask derives Expires from max_age; Bottle needs both spelled out.
    response.set_cookie("user_id", "12345", max_age=3600, expires=time() + 3600, path="/")
    return "Cookie has been set!"


@app.get("/api/data")
def get_data():
    return {"name": "John", "age": 30}


@app.route("/userDetails", method=["GET", "POST"])
def user_details():
    if request.method == "POST":
        form = request.forms
        USERS[form.get("username")] = (form.get("firstname"), form["lastname"])
        response.status = 201
        return "Success"
    return "Send the form with POST"


@app.get("/users/<user_id:int>")
def get_user(user_id):
    return {"id": user_id, "name": "John"}


@app.post("/userSignUp")
def user_sign_up():
    form = request.forms
    SIGNUPS[form.get("username")] = form.get("password")
    response.set_header("Access-Control-Allow-Origin", "*")
    return "Success"


@app.error(404)
def not_found(error):
    response.content_type = "application/json"
    return json.dumps({"error": "Resource not found"})


# ----------------------------------------------------------------------------- extras


@app.get("/search")
def search():
    return {"q": request.query.q, "page": int(request.query.page or 1)}


@app.get("/read-cookie")
def read_cookie():
    return f"user_id={request.get_cookie('user_id')}"


@app.post("/upload")
def upload():
    file = request.files.get("file")
    return {"filename": file.raw_filename, "size": len(file.file.read())}


CHUNK = b"x" * 65536


@app.get("/stream")
def stream():
    response.content_type = "application/octet-stream"
    return (CHUNK for _ in range(160))


STATIC = str(Path(__file__).resolve().parent / "static")


@app.get("/static/<filename:path>")
def static(filename):
    return static_file(filename, root=STATIC)


# A 50-route app: 25 collections, each with a static and a dynamic route.
routes_app = Bottle()


def register_collection(name):
    @routes_app.get(f"/api/{name}")
    def collection():
        return {"collection": name}

    @routes_app.get(f"/api/{name}/<item_id:int>")
    def item(item_id):
        return {"collection": name, "id": item_id}


for number in range(25):
    register_collection(f"items{number}")

"""The seed scenarios and the extra ones on Carafe ASGI, written the way an ASGI app is.

carafe_app.py is the Flask app ported as it is (plain ``def`` views, which Carafe ASGI runs
in its thread pool); this is the same app written for ASGI: every view ``async def``, as a
view that does I/O (a database, another service) would be, so each request runs on the
event loop. Carafe keeps Flask's API there: ``make_response``, ``request.form`` and
``request.files`` are plain calls and attributes, not awaited (an async view's request body
is read before the view runs). The stream is an async generator, which Carafe iterates on the
event loop (as Quart and Starlette do; a plain generator would be stepped in the thread pool,
since it may block). The routes and
endpoints are carafe_app.py's; ``bench/run.py`` checks that they match. The static
scenarios go through Carafe's own static route (``static/`` beside this module), a plain
function that reads the file, so Carafe runs it in the thread pool as it does any blocking
view. ``routes_app`` is the 50-route app and ``session_app`` the session one.
"""

from carafe import Flask, Response, jsonify, make_response, render_template, request, session

app = Flask(__name__)

# Where the form views put what they read (a real app would use a database).
USERS: dict[str | None, tuple[str | None, str]] = {}
SIGNUPS: dict[str | None, str | None] = {}


@app.route("/")
async def index():
    response = make_response("Hello, World!")
    response.status_code = 200
    return response


@app.route("/custom-header")
async def custom_header():
    response = make_response("Content with custom header")
    response.headers["Custom-Header"] = "Special-Value"
    response.headers["Content-Type"] = "text/plain"
    return response


@app.route("/set-cookie")
async def set_cookie():
    response = make_response("Cookie has been set!")
    response.set_cookie("user_id", "12345", max_age=3600)
    return response


@app.route("/api/data")
async def get_data():
    response = make_response(jsonify({"name": "John", "age": 30}))
    response.headers["Content-Type"] = "application/json"
    return response


@app.route("/userDetails", methods=["GET", "POST"])
async def user_details():
    if request.method == "POST":
        username = request.form.get("username")
        firstname = request.form.get("firstname")
        lastname = request.form["lastname"]
        USERS[username] = (firstname, lastname)
        return "Success", 201
    return "Send the form with POST"


@app.route("/users/<int:user_id>")
async def get_user(user_id):
    return {"id": user_id, "name": "John"}


@app.route("/userSignUp", methods=["POST"])
async def user_sign_up():
    username = request.form.get("username")
    password = request.form.get("password")
    SIGNUPS[username] = password
    return "Success", 200, {"Access-Control-Allow-Origin": "*"}


@app.errorhandler(404)
async def not_found(error):
    return make_response(jsonify({"error": "Resource not found"}), 404)


# ----------------------------------------------------------------------------- extras


@app.route("/search")
async def search():
    return {"q": request.args.get("q"), "page": request.args.get("page", 1, type=int)}


@app.route("/read-cookie")
async def read_cookie():
    return f"user_id={request.cookies.get('user_id')}"


@app.route("/async")
async def async_index():
    response = make_response("Hello, World!")
    response.status_code = 200
    return response


@app.route("/upload", methods=["POST"])
async def upload():
    file = request.files["file"]
    return {"filename": file.filename, "size": len(file.read())}


CHUNK = b"x" * 65536


@app.route("/stream")
async def stream():
    async def generate():
        for _ in range(160):
            yield CHUNK

    return Response(generate(), mimetype="application/octet-stream")


ITEMS = [{"id": n, "name": f"Item {n}", "price": f"{n * 1.5:.2f}"} for n in range(20)]


@app.route("/template")
async def template():
    return render_template("items.html", title="Items & prices", items=ITEMS)


# A 50-route app: 25 collections, each with a static and a dynamic route.
routes_app = Flask(__name__)


def register_collection(name):
    async def collection():
        return {"collection": name}

    async def item(item_id):
        return {"collection": name, "id": item_id}

    routes_app.add_url_rule(f"/api/{name}", f"{name}_collection", collection)
    routes_app.add_url_rule(f"/api/{name}/<int:item_id>", f"{name}_item", item)


for number in range(25):
    register_collection(f"items{number}")


# Sessions: an app of their own, with a secret key (``app`` has none, so the other scenarios
# do no session work). bench/scenarios.py signs the request's cookie with the same key.
session_app = Flask(__name__)
session_app.secret_key = "carafe-bench-secret-key"


@session_app.route("/session")
async def count_visits():
    session["visits"] = session.get("visits", 0) + 1
    return f"visits={session['visits']}"

"""The seed scenarios and the extra ones, written the Flask way.

flask_app.py and carafe_app.py are the same source; only the import line differs.
``app`` serves every scenario but two, the static ones through Flask's own static route
(``static/`` beside this module); ``routes_app`` is the 50-route app and ``session_app`` the
session one.
"""

from flask import Flask, Response, jsonify, make_response, render_template, request, session

app = Flask(__name__)

# Where the form views put what they read (a real app would use a database).
USERS: dict[str | None, tuple[str | None, str]] = {}
SIGNUPS: dict[str | None, str | None] = {}


@app.route("/")
def index():
    response = make_response("Hello, World!")
    response.status_code = 200
    return response


@app.route("/custom-header")
def custom_header():
    response = make_response("Content with custom header")
    response.headers["Custom-Header"] = "Special-Value"
    response.headers["Content-Type"] = "text/plain"
    return response


@app.route("/set-cookie")
def set_cookie():
    response = make_response("Cookie has been set!")
    response.set_cookie("user_id", "12345", max_age=3600)
    return response


@app.route("/api/data")
def get_data():
    response = make_response(jsonify({"name": "John", "age": 30}))
    response.headers["Content-Type"] = "application/json"
    return response


@app.route("/userDetails", methods=["GET", "POST"])
def user_details():
    if request.method == "POST":
        username = request.form.get("username")
        firstname = request.form.get("firstname")
        lastname = request.form["lastname"]
        USERS[username] = (firstname, lastname)
        return "Success", 201
    return "Send the form with POST"


@app.route("/users/<int:user_id>")
def get_user(user_id):
    return {"id": user_id, "name": "John"}


@app.route("/userSignUp", methods=["POST"])
def user_sign_up():
    username = request.form.get("username")
    password = request.form.get("password")
    SIGNUPS[username] = password
    return "Success", 200, {"Access-Control-Allow-Origin": "*"}


@app.errorhandler(404)
def not_found(error):
    return make_response(jsonify({"error": "Resource not found"}), 404)


# ----------------------------------------------------------------------------- extras


@app.route("/search")
def search():
    return {"q": request.args.get("q"), "page": request.args.get("page", 1, type=int)}


@app.route("/read-cookie")
def read_cookie():
    return f"user_id={request.cookies.get('user_id')}"


@app.route("/async")
async def async_index():
    response = make_response("Hello, World!")
    response.status_code = 200
    return response


@app.route("/upload", methods=["POST"])
def upload():
    file = request.files["file"]
    return {"filename": file.filename, "size": len(file.read())}


CHUNK = b"x" * 65536


@app.route("/stream")
def stream():
    def generate():
        for _ in range(160):
            yield CHUNK

    return Response(generate(), mimetype="application/octet-stream")


ITEMS = [{"id": n, "name": f"Item {n}", "price": f"{n * 1.5:.2f}"} for n in range(20)]


@app.route("/template")
def template():
    return render_template("items.html", title="Items & prices", items=ITEMS)


# A 50-route app: 25 collections, each with a static and a dynamic route.
routes_app = Flask(__name__)


def register_collection(name):
    def collection():
        return {"collection": name}

    def item(item_id):
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
def count_visits():
    session["visits"] = session.get("visits", 0) + 1
    return f"visits={session['visits']}"

"""The seed app: two Flask response tutorials, ported by changing one import line.

Tutorial A shows :func:`make_response` for custom bodies, statuses, headers, cookies,
JSON, redirects and a JSON 404 handler. Tutorial B (variant 1) returns status codes and
headers from tuples. Serve it with::

    carafe --app examples.seeds.app run
"""

from __future__ import annotations

import logging

from carafe import Flask, jsonify, make_response, redirect, request

app = Flask(__name__)
logger = logging.getLogger(__name__)


# Tutorial A: make_response for custom responses.


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


@app.route("/not-found")
def not_found():
    return make_response("Resource not found", 404)


@app.route("/api/data")
def api_data():
    response = make_response(jsonify({"name": "John", "age": 30}))
    response.headers["Content-Type"] = "application/json"
    return response


@app.route("/redirect")
def redirect_home():
    # Wrapping the redirect lets the view add headers and cookies to the 302.
    response = make_response(redirect("/"))
    response.headers["X-Redirected-From"] = "/redirect"
    response.set_cookie("redirected", "yes")
    return response


@app.errorhandler(404)
def resource_not_found(error):
    return make_response(jsonify({"error": "Resource not found"}), 404)


# Tutorial B, variant 1: status codes and headers from tuples.


@app.route("/userDetails", methods=["GET", "POST"])
def user_details():
    if request.method == "POST":
        username = request.form.get("username")
        firstname = request.form.get("firstname")
        # Indexing (not .get) makes a missing field a 400 Bad Request.
        lastname = request.form["lastname"]
        logger.info("user details: %s %s %s", username, firstname, lastname)
    return "Success", 201


@app.route("/userSignUp", methods=["POST"])
def user_sign_up():
    username = request.form.get("username")
    password = request.form.get("password")
    logger.info("sign up: %s (password given: %s)", username, password is not None)
    return "Success", 200, {"Access-Control-Allow-Origin": "*"}

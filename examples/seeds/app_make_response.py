"""Tutorial B, variant 2: the same form routes, statuses set with :func:`make_response`.

Serve it with::

    carafe --app examples.seeds.app_make_response run
"""

from __future__ import annotations

import logging

from carafe import Flask, make_response, request

app = Flask(__name__)
logger = logging.getLogger(__name__)


@app.route("/userDetails", methods=["GET", "POST"])
def user_details():
    if request.method == "POST":
        username = request.form.get("username")
        firstname = request.form.get("firstname")
        # Indexing (not .get) makes a missing field a 400 Bad Request.
        lastname = request.form["lastname"]
        logger.info("user details: %s %s %s", username, firstname, lastname)
    return make_response("<h1>Success</h1>", 201)


@app.route("/userSignUp", methods=["POST"])
def user_sign_up():
    username = request.form.get("username")
    password = request.form.get("password")
    logger.info("sign up: %s (password given: %s)", username, password is not None)
    response = make_response("<h1>Success</h1>")
    response.status_code = 200
    return response

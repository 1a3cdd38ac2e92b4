"""A small app for the ``carafe run`` lifecycle tests: slow requests, errors, settings.

Served from its file path (``tests/e2e/apps/lifecycle.py:app``), so it imports as the
top-level module ``lifecycle``.
"""

from __future__ import annotations

import os
import time

from carafe import Flask, request

app = Flask(__name__)


@app.route("/")
def index():
    return "lifecycle"


@app.route("/slow")
def slow():
    # Long enough for the test to signal the server while this request is in flight.
    time.sleep(float(request.args.get("seconds", "1.5")))
    return "slow done"


@app.route("/pid")
def pid():
    return str(os.getpid())


@app.route("/boom")
def boom():
    raise ValueError("<script>alert('boom')</script>")


@app.route("/settings")
def settings():
    return {
        "debug": app.debug,
        "greeting": os.environ.get("CARAFE_E2E_GREETING"),
    }

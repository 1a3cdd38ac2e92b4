"""An app for the serving-limit and fault tests: its worker's pid, body lengths, the host."""

from __future__ import annotations

import os

from carafe import Flask, request

app = Flask(__name__)


@app.route("/pid")
def pid() -> str:
    return str(os.getpid())


@app.route("/length", methods=["POST"])
def length() -> str:
    return str(len(request.get_data()))


@app.route("/host")
def host() -> str:
    return request.host


@app.route("/headers")
def headers() -> str:
    return str(len(request.headers))


@app.route("/async-pid")
async def async_pid() -> str:
    return str(os.getpid())

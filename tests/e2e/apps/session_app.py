"""An app for the session e2e tests (``tests/e2e/test_sessions_e2e.py``): logging in
puts the user in a permanent signed-cookie session and flashes a welcome, ``/me``
reports the session and the flashed messages, logging out empties the session.

``/me`` has an ``async def`` twin (``/async/me``): over ASGI it runs on the event loop,
the sync one in the thread pool.
"""

from __future__ import annotations

import asyncio
from typing import Any

from carafe import Flask, flash, get_flashed_messages, redirect, request, session

app = Flask(__name__)
#: Known to the tests, which sign cookies with it (and tamper with them).
SECRET_KEY = "e2e session secret, not for production"
app.secret_key = SECRET_KEY


@app.post("/login")
def login() -> Any:
    session["user"] = request.form["user"]
    session.permanent = True
    flash(f"welcome {request.form['user']}", "info")
    return redirect("/me")


@app.get("/me")
def me() -> dict[str, Any]:
    return {
        "user": session.get("user"),
        "keys": sorted(session),
        "flashes": get_flashed_messages(with_categories=True),
    }


@app.get("/async/me")
async def async_me() -> dict[str, Any]:
    await asyncio.sleep(0)
    return {
        "user": session.get("user"),
        "keys": sorted(session),
        "flashes": get_flashed_messages(with_categories=True),
    }


@app.post("/logout")
def logout() -> tuple[str, int]:
    session.clear()
    return "", 204


@app.get("/health")
def health() -> str:
    return "ok"

"""Views, hooks and handlers as a typed Flask app writes them: mypy --strict accepts
them (``make typecheck``). Nothing here runs in the test suite."""

from __future__ import annotations

from carafe import Flask, Response
from carafe.typing import ResponseReturnValue

app = Flask(__name__)


@app.after_request
def after_sync(response: Response) -> Response:
    return Response()


@app.after_request
async def after_async(response: Response) -> Response:
    return Response()


@app.before_request
def before_sync() -> None: ...


@app.before_request
async def before_async() -> None: ...


@app.teardown_appcontext
def teardown_sync(exc: BaseException | None) -> None: ...


@app.teardown_appcontext
async def teardown_async(exc: BaseException | None) -> None: ...


@app.route("/")
def index() -> ResponseReturnValue:
    return "Hello"


@app.route("/async")
async def async_index() -> ResponseReturnValue:
    return "Hello"

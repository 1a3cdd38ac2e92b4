"""Templates as a typed Flask app writes them: rendering, filters, tests, globals and
context processors keep their types under mypy --strict (``make typecheck``). Nothing
here runs in the test suite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from carafe import (
    Blueprint,
    Flask,
    get_template_attribute,
    render_template,
    render_template_string,
    stream_template,
    stream_template_string,
)
from carafe.templating import Environment

app = Flask(__name__)
blueprint = Blueprint("pages", __name__, template_folder="templates")


@app.template_filter("reverse")
def reverse(value: str) -> str:
    return value[::-1]


@app.template_test()
def short(value: str) -> bool:
    return len(value) < 3


@app.template_global()
def answer() -> int:
    return 42


@blueprint.app_template_filter()
def shout(value: str) -> str:
    return value.upper()


@app.context_processor
def site() -> dict[str, Any]:
    return {"site": "example"}


@app.context_processor
async def user() -> dict[str, Any]:
    return {"user": None}


@app.route("/")
def index() -> str:
    page: str = render_template("index.html", title="Home")
    return page + render_template(["a.html", "b.html"]) + render_template_string("{{ 1 }}")


@app.route("/stream")
def stream() -> Iterator[str]:
    yield from stream_template("index.html")
    yield from stream_template_string("{{ 1 }}")


reversed_text: str = reverse("abc")
is_short: bool = short("ab")
env: Environment = app.jinja_env
app.add_template_filter(reverse, "backwards")
blueprint.add_app_template_global(answer)
macro: Any = get_template_attribute("macros.html", "hello")

"""Return values, blueprints and class-based views as a typed app writes them
(mypy --strict; not run)."""

from __future__ import annotations

import typing as t
from http import HTTPStatus

from carafe import Blueprint, Flask, jsonify
from carafe.typing import ResponseReturnValue
from carafe.views import MethodView, View

app = Flask(__name__)
bp = Blueprint("bp", __name__, url_prefix="/bp")


@app.route("/str")
def hello_str() -> str:
    return "<p>Hello, World!</p>"


@app.route("/bytes")
def hello_bytes() -> bytes:
    return b"<p>Hello, World!</p>"


@app.route("/json")
def hello_json() -> t.Any:
    return jsonify("Hello, World!")


@app.route("/json/dict")
def hello_json_dict() -> dict[str, t.Any]:
    return {"response": "Hello, World!"}


@app.route("/json/list")
def hello_json_list() -> list[t.Any]:
    return [{"message": "Hello"}, {"message": "World"}]


@app.route("/status")
@app.route("/status/<int:code>")
def tuple_status(code: int = 200) -> tuple[str, int]:
    return "hello", code


@app.route("/status-enum")
def tuple_status_enum() -> tuple[str, int]:
    return "hello", HTTPStatus.OK


@app.route("/headers")
def tuple_headers() -> tuple[str, dict[str, str]]:
    return "Hello, World!", {"Content-Type": "text/plain"}


@bp.get("/item/<int:item>")
def item(item: int) -> ResponseReturnValue:
    return {"item": item}


class RenderTemplateView(View):
    def __init__(self, template_name: str) -> None:
        self.template_name = template_name

    def dispatch_request(self, **kwargs: t.Any) -> str:
        return self.template_name


class Items(MethodView):
    def get(self) -> list[int]:
        return [1, 2]

    async def post(self) -> tuple[str, int]:
        return "created", 201


app.add_url_rule("/about", view_func=RenderTemplateView.as_view("about_page", "about.html"))
app.add_url_rule("/items", view_func=Items.as_view("items"))
app.register_blueprint(bp)

"""Subdomain and host matching, as Flask 3.1 routes them: rules with ``subdomain=`` (or
``host=`` under ``host_matching``), blueprints with a subdomain, and ``url_for`` giving
an external URL for a rule of another subdomain or host. Each case runs on Carafe and on
Flask and must answer the same, over WSGI and ASGI.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

import carafe

flask = pytest.importorskip("flask")


def answers(app: Any, requests: list[tuple[str, str]]) -> list[tuple[int, str]]:
    client = app.test_client()
    out = []
    for path, base_url in requests:
        response = client.get(path, base_url)
        body = response.get_data(as_text=True)
        out.append((response.status_code, body if response.status_code == 200 else ""))
    return out


def both(build: Any, requests: list[tuple[str, str]]) -> list[tuple[int, str]]:
    ours = answers(build(carafe), requests)
    with pytest.warns(UserWarning) if any("other" in url for _, url in requests) else _none():
        theirs = answers(build(flask), requests)
    assert ours == theirs
    return ours


class _none:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def subdomain_app(module: ModuleType) -> Any:
    app = module.Flask(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"

    @app.route("/")
    def index() -> str:
        return "index " + module.url_for("test_index")

    @app.route("/", subdomain="test")
    def test_index() -> str:
        return "test " + module.url_for("index") + " " + module.url_for("test_index")

    @app.route("/u", subdomain="<user>")
    def user(user: str) -> str:
        return f"user {user} " + module.url_for("user", user="bob")

    bp = module.Blueprint("api", __name__, subdomain="api")

    @bp.route("/ping")
    def ping() -> str:
        return "pong " + module.url_for(".ping")

    app.register_blueprint(bp)
    return app


def test_subdomains_route_and_build_as_in_flask() -> None:
    assert both(
        subdomain_app,
        [
            ("/", "http://example.test/"),
            ("/", "http://test.example.test/"),
            ("/u", "http://alice.example.test/"),
            ("/ping", "http://api.example.test/"),
            ("/ping", "http://example.test/"),
            ("/u", "http://example.test/"),
        ],
    ) == [
        (200, "index http://test.example.test/"),
        (200, "test http://example.test/ /"),
        (200, "user alice http://bob.example.test/u"),
        (200, "pong /ping"),
        (404, ""),
        (404, ""),
    ]


def test_a_host_outside_server_name_matches_nothing() -> None:
    assert both(subdomain_app, [("/", "http://other.example.com/")]) == [(404, "")]


def test_without_subdomain_matching_every_request_is_on_the_default_subdomain() -> None:
    def build(module: ModuleType) -> Any:
        app = module.Flask(__name__)
        app.config["SERVER_NAME"] = "example.test"
        app.add_url_rule("/", "plain", lambda: "plain")
        app.add_url_rule("/", "sub", lambda: "sub", subdomain="x")
        return app

    assert both(build, [("/", "http://x.example.test/"), ("/", "http://example.test/")]) == [
        (200, "plain"),
        (200, "plain"),
    ]


def test_host_matching_routes_by_host() -> None:
    def build(module: ModuleType) -> Any:
        app = module.Flask(__name__, host_matching=True, static_host="static.test")
        app.add_url_rule("/", "a", lambda: "a " + module.url_for("b"), host="a.test")
        app.add_url_rule("/", "b", lambda: "b", host="b.test")
        app.add_url_rule(
            "/<name>", "named", lambda name, sub: f"named {sub} {name}", host="<sub>.c.test"
        )
        return app

    assert both(
        build,
        [
            ("/", "http://a.test/"),
            ("/", "http://b.test/"),
            ("/", "http://c.test/"),
            ("/x", "http://y.c.test/"),
        ],
    ) == [(200, "a http://b.test/"), (200, "b"), (404, ""), (200, "named y x")]


def test_nested_blueprint_subdomains_join_as_in_flask() -> None:
    def build(module: ModuleType) -> Any:
        app = module.Flask(__name__, subdomain_matching=True)
        app.config["SERVER_NAME"] = "example.test"
        parent = module.Blueprint("parent", __name__, subdomain="parent")
        child = module.Blueprint("child", __name__, subdomain="child")
        child.add_url_rule("/", "index", lambda: "child")
        parent.register_blueprint(child)
        app.register_blueprint(parent)
        return app

    assert both(build, [("/", "http://child.parent.example.test/")]) == [(200, "child")]


def test_url_for_outside_a_request_names_the_subdomain() -> None:
    for module in (carafe, flask):
        app = subdomain_app(module)
        with app.app_context():
            assert module.url_for("user", user="zed") == "http://zed.example.test/u"
            assert module.url_for("index") == "http://example.test/"


def test_apps_without_subdomain_rules_route_as_before() -> None:
    app = carafe.Flask(__name__)
    app.add_url_rule("/", "index", lambda: "index")
    assert app.url_map.domain_rules is False
    assert app.test_client().get("/", "http://any.host.test/").data == b"index"

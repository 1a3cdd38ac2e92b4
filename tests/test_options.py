"""carafe.options: what a request needs of its app, as plain values kept in step with
the app's config."""

from __future__ import annotations

import io
import json

import pytest

from carafe import Flask
from carafe.asgi_request import ASGIRequest
from carafe.config import DEFAULT_CONFIG
from carafe.exceptions import BadRequest, RequestEntityTooLarge, SecurityError
from carafe.options import CONFIG_DEFAULTS, DEFAULT_OPTIONS, RequestOptions
from carafe.request import Request


def test_defaults_are_the_default_config() -> None:
    options = RequestOptions()
    for key in CONFIG_DEFAULTS:
        assert getattr(options, key.lower()) == DEFAULT_CONFIG[key], key
    assert options.debug is False
    assert options.json_loads(b'{"a": [1]}') == {"a": [1]}


def test_update_takes_the_config_and_the_loader() -> None:
    options = RequestOptions()

    def loads(data: bytes) -> str:
        return "loaded"

    options.update({"MAX_CONTENT_LENGTH": 5, "TRUSTED_HOSTS": ["a.example"], "DEBUG": 1}, loads)
    assert options.max_content_length == 5
    assert options.trusted_hosts == ["a.example"]
    assert options.debug is True
    assert options.json_loads is loads
    # A key missing from the config goes back to the default.
    options.update({}, json.loads)
    assert options.max_content_length == DEFAULT_OPTIONS.max_content_length
    assert options.trusted_hosts is None
    assert "max_content_length=16777216" in repr(options)


def test_the_app_makes_one_and_passes_it_to_every_request() -> None:
    app = Flask(__name__)
    seen = []

    @app.route("/")
    def index() -> str:
        from carafe import request

        seen.append(request.options)
        return "ok"

    client = app.test_client()
    client.get("/")
    client.get("/")
    assert seen == [app.request_options, app.request_options]
    assert app.request_options.json_loads == app.json.loads


@pytest.mark.parametrize(
    "change",
    [
        lambda config: config.__setitem__("MAX_JSON_SIZE", 3),
        lambda config: config.update(MAX_JSON_SIZE=3),
        lambda config: config.update({"MAX_JSON_SIZE": 3}),
        lambda config: config.setdefault("MAX_JSON_SIZE", 3) if config.pop("MAX_JSON_SIZE") else 0,
        lambda config: config.__ior__({"MAX_JSON_SIZE": 3}),
        lambda config: config.from_mapping(MAX_JSON_SIZE=3),
    ],
)
def test_every_config_write_updates_the_options(change) -> None:  # type: ignore[no-untyped-def]
    app = Flask(__name__)

    @app.post("/")
    def index() -> object:
        from carafe import request

        return {"got": request.get_json()}

    client = app.test_client()
    assert client.post("/", json=[1, 2]).status_code == 200
    change(app.config)
    assert app.request_options.max_json_size == 3
    assert client.post("/", json=[1, 2]).status_code == 413


def test_clear_and_popitem_fall_back_to_the_defaults() -> None:
    app = Flask(__name__)
    app.config["MAX_URL_LENGTH"] = 10
    assert app.request_options.max_url_length == 10
    app.config.clear()
    assert app.request_options.max_url_length == DEFAULT_OPTIONS.max_url_length
    app.config["MAX_URL_LENGTH"] = 10
    app.config.popitem()
    assert app.request_options.max_url_length == DEFAULT_OPTIONS.max_url_length


def test_a_replaced_json_provider_is_used_from_the_first_request() -> None:
    app = Flask(__name__)

    class Provider(type(app.json)):  # type: ignore[misc]
        def loads(self, s: str | bytes, **kwargs: object) -> object:
            return "custom"

    app.json = Provider(app)

    @app.post("/")
    def index() -> object:
        from carafe import request

        return {"got": request.get_json()}

    assert app.test_client().post("/", json=[1]).get_json() == {"got": "custom"}


def test_options_reach_the_wsgi_and_the_asgi_request() -> None:
    options = RequestOptions()
    options.max_content_length = 4
    options.trusted_hosts = ["good.example"]
    options.debug = True
    options.json_loads = json.loads

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_LENGTH": "5",
        "CONTENT_TYPE": "application/json",
        "HTTP_HOST": "bad.example",
        "wsgi.input": io.BytesIO(b"12345"),
    }
    request = Request(environ, options)
    assert request.options is options
    with pytest.raises(RequestEntityTooLarge):
        request.get_data()
    with pytest.raises(SecurityError):
        request.host

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"{", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    asgi_request = ASGIRequest(scope, receive, options)
    assert asgi_request.options is options
    assert asgi_request.max_content_length == 4
    assert ASGIRequest(scope, receive).options is DEFAULT_OPTIONS


def test_debug_says_why_json_failed() -> None:
    options = RequestOptions()
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": "1",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(b"{"),
    }
    with pytest.raises(BadRequest) as quiet:
        Request(dict(environ), options).json
    environ["wsgi.input"] = io.BytesIO(b"{")
    assert "Failed to decode" not in str(quiet.value.description)
    options.debug = True
    with pytest.raises(BadRequest) as loud:
        Request(environ, options).json
    assert "Failed to decode JSON object" in str(loud.value.description)

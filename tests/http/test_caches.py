"""The bounded caches (carafe.http.caches) and the caches built on them: none grows
past its limit, whatever clients send, and a value past the limit is still right."""

from __future__ import annotations

import importlib

from carafe import Flask
from carafe.http.caches import remember
from carafe.http.headers import Headers


def test_remember_keeps_values_up_to_the_limit_and_returns_each() -> None:
    cache: dict[str, int] = {}
    assert [remember(cache, f"k{i}", i, 3) for i in range(5)] == [0, 1, 2, 3, 4]
    assert cache == {"k0": 0, "k1": 1, "k2": 2}


def test_remember_replaces_nothing_once_full() -> None:
    cache = {"a": 1}
    assert remember(cache, "a", 2, 1) == 2
    assert cache == {"a": 1}


def test_header_caches_stop_growing_under_a_flood_of_names_and_values() -> None:
    headers_module = importlib.import_module("carafe.http.headers")
    for i in range(3000):
        Headers([(f"X-Flood-{i}", f"value-{i}")])
    assert len(headers_module.KNOWN_NAMES) <= headers_module._KNOWN_NAMES_MAX
    assert len(headers_module._VALID_VALUES) <= headers_module._VALID_VALUES_MAX
    # Past the limit a name is still checked and kept as given.
    assert Headers([("X-After-3000", "v")])["x-after-3000"] == "v"


def test_the_valid_host_cache_stops_growing_under_a_flood_of_hosts() -> None:
    request_module = importlib.import_module("carafe.request_head")
    app = Flask(__name__)

    @app.route("/")
    def index() -> str:
        from carafe import request

        return request.host

    client = app.test_client()
    for i in range(400):
        response = client.get("/", headers={"Host": f"h{i}.example"})
        assert response.text == f"h{i}.example"
    assert len(request_module.VALID_HOST_HEADERS) <= request_module._VALID_HOST_HEADERS_MAX
    # A bad Host is still refused past the limit.
    assert client.get("/", headers={"Host": "bad host"}).status_code == 400


def test_the_length_cache_stops_growing_and_lengths_stay_right() -> None:
    response_module = importlib.import_module("carafe.response")
    limit = response_module._LENGTH_TEXTS_MAX
    for size in range(limit + 50):
        response = response_module.Response(b"x" * size)
        assert dict(response.wsgi_headers())["Content-Length"] == str(size)
    assert len(response_module._LENGTH_TEXTS) <= limit

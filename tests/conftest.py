"""Shared fixtures, shaped like Flask's: ``app``, ``client`` and a context leak detector."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import carafe
from carafe import ctx as carafe_ctx
from carafe.testing import FlaskClient

# Test modules that drive apps through the test client run twice: over WSGI and
# over ASGI (``app.asgi``), like Falcon's ``asgi`` fixture.
_BOTH_INTERFACES = (
    "test_app_",
    "test_testing_client",
    "test_security",
    "test_seeds_vs_flask",
    "test_behaviour_vs_flask",
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "interface" in metafunc.fixturenames and metafunc.definition.path.name.startswith(
        _BOTH_INTERFACES
    ):
        metafunc.parametrize("interface", ["wsgi", "asgi"], indirect=True)


@pytest.fixture(autouse=True)
def interface(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The interface test clients use in this test: ``wsgi``, or ``asgi`` where parametrised."""
    name: str = getattr(request, "param", "wsgi")
    monkeypatch.setattr(FlaskClient, "default_interface", name)
    return name


@pytest.fixture
def app() -> carafe.Flask:
    """A fresh app in testing mode, so view errors propagate to the test."""
    application = carafe.Flask("test_app")
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: carafe.Flask):  # type: ignore[no-untyped-def]
    """A test client for ``app``."""
    return app.test_client()


def _innermost_context() -> Any:
    """The innermost pushed context, whichever context variable holds it."""
    for name in ("_cv_request", "_cv_ctx", "_cv_app"):
        variable = getattr(carafe_ctx, name, None)
        if variable is not None:
            ctx = variable.get(None)
            if ctx is not None:
                return ctx
    return None


def _pop_leftovers() -> list[str]:
    """Pop every request and app context still pushed; say what was left."""
    leaked: list[str] = []
    for _ in range(100):
        if carafe_ctx.has_request_context():
            leaked.append("request context")
        elif carafe_ctx.has_app_context():
            leaked.append("app context")
        else:
            break
        ctx = _innermost_context()
        if ctx is None:
            break
        ctx.pop()
    return leaked


@pytest.fixture(autouse=True)
def leak_detector() -> Iterator[None]:
    """Fail a test that leaves a request or app context pushed (and clean up after it)."""
    yield
    leaked = _pop_leftovers()
    if leaked:
        pytest.fail(f"The test left contexts pushed: {', '.join(leaked)}")

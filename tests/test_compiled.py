"""The compiled build (``make compiled``: setup.py's MYPYC_MODULES compiled by mypyc).

``make test`` runs the whole suite a third time on it, with CARAFE_EXPECT_COMPILED
set; these tests make sure that pass really runs compiled code, and the others
really run the source.
"""

from __future__ import annotations

import ast
import importlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPECT_COMPILED = bool(os.environ.get("CARAFE_EXPECT_COMPILED"))


def compiled_modules() -> list[str]:
    """setup.py's MYPYC_MODULES, as module names."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MYPYC_MODULES":
            paths = ast.literal_eval(node.value)
            return ["carafe." + path.removesuffix(".py").replace("/", ".") for path in paths]
    raise AssertionError("setup.py has no MYPYC_MODULES")


@pytest.mark.parametrize("name", compiled_modules())
def test_the_request_path_runs_compiled_in_the_compiled_pass(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert module.__file__.endswith(".py") is not EXPECT_COMPILED, module.__file__


@pytest.mark.parametrize("name", ["carafe.app", "carafe.globals", "carafe.exceptions"])
def test_what_users_patch_or_subclass_freely_stays_python(name: str) -> None:
    # The app (wsgi_app and response_class are set on instances), the proxies
    # (__getattribute__) and the HTTP exceptions (``code`` set on subclasses).
    module = importlib.import_module(name)
    assert module.__file__ is not None and module.__file__.endswith(".py")


def test_the_public_classes_take_interpreted_subclasses() -> None:
    from carafe import Request, Response
    from carafe.http.headers import Headers

    class MyResponse(Response):
        default_mimetype = "text/plain"

        def extra(self) -> str:
            return "extra"

    class MyRequest(Request):
        @property
        def method_lower(self) -> str:
            return self.method.lower()

    class MyHeaders(Headers):
        pass

    response = MyResponse("body")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.extra() == "extra"
    request = MyRequest({"REQUEST_METHOD": "POST", "PATH_INFO": "/x"})
    assert request.method_lower == "post"
    assert MyHeaders([("A", "1")])["a"] == "1"

"""Generate ``src/carafe/_pipeline_sync.py`` from ``src/carafe/pipeline.py``.

The pipeline is written once, for callers on an event loop. Its synchronous twin
(WSGI, the ASGI thread pool, Flask's public methods) is the same code with the
coroutine machinery taken out, made by this script; ``make generate`` runs it and
``tests/test_pipeline.py`` fails when the generated file is stale. The rules:

- ``async def step(...)`` becomes ``def step(...)``;
- a call of a step Flask lets an app override (``preprocess(plan, ctx)``, ...)
  becomes a call through ``plan.sync_steps``, which holds the override when the
  app's class has one;
- ``await step(...)`` of the pipeline's own steps becomes the plain call;
- any other ``await value`` (a coroutine from user code) becomes
  ``settle(ctx, value)``, which runs it as the request context says.

Usage: ``python scripts/unasync_pipeline.py [--check]``.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "carafe" / "pipeline.py"
TARGET = ROOT / "src" / "carafe" / "_pipeline_sync.py"

sys.path.insert(0, str(ROOT / "src"))
from carafe.plan import STEP_METHODS  # noqa: E402

OVERRIDABLE = frozenset(STEP_METHODS.values())

HEADER = '''"""The request pipeline for synchronous callers: generated, do not edit.

Made from ``carafe/pipeline.py`` by ``scripts/unasync_pipeline.py`` (``make
generate``): the same steps, with ``await`` of user code as ``settle(ctx, ...)``
and the steps an app may override called through ``plan.sync_steps``.
"""
'''


class Unasync(ast.NodeTransformer):
    """The rules of the module docstring, over the source's syntax tree."""

    def __init__(self, own_coroutines: frozenset[str]) -> None:
        self.own_coroutines = own_coroutines

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.FunctionDef:
        self.generic_visit(node)
        fields = {name: getattr(node, name) for name in node._fields}
        return ast.copy_location(ast.FunctionDef(**fields), node)

    def visit_Call(self, node: ast.Call) -> ast.Call:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id in OVERRIDABLE:
            steps = ast.Attribute(ast.Name("plan", ast.Load()), "sync_steps", ast.Load())
            node.func = ast.Attribute(steps, func.id, ast.Load())
        return node

    def visit_Await(self, node: ast.Await) -> ast.expr:
        self.generic_visit(node)
        value = node.value
        if isinstance(value, ast.Call) and _calls_step(value, self.own_coroutines):
            return value
        settle = ast.Name("settle", ast.Load())
        return ast.copy_location(ast.Call(settle, [ast.Name("ctx", ast.Load()), value], []), node)


def _calls_step(call: ast.Call, own: frozenset[str]) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in own
    # A step already routed through plan.sync_steps.
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "sync_steps"
    )


def generate() -> str:
    """The synchronous module's source, formatted as ``ruff format`` leaves it."""
    tree = ast.parse(SOURCE.read_text())
    own = frozenset(node.name for node in tree.body if isinstance(node, ast.AsyncFunctionDef))
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the source's docstring: the header replaces it
    # The generated steps settle user coroutines with carafe.plan.settle: imported
    # beside the source's own imports (ruff sorts them below).
    imports = [i for i, node in enumerate(body) if isinstance(node, ast.ImportFrom)]
    settle_import = ast.ImportFrom("carafe.plan", [ast.alias("settle")], 0)
    tree.body = [*body[: imports[-1] + 1], settle_import, *body[imports[-1] + 1 :]]
    tree = ast.fix_missing_locations(Unasync(own).visit(tree))
    code = ast.unparse(tree)
    text = HEADER + "\n" + code + "\n"
    ruff = Path(sys.executable).with_name("ruff")
    for command in (
        [str(ruff), "check", "--fix-only", "--quiet", "--stdin-filename", str(TARGET), "-"],
        [str(ruff), "format", "--stdin-filename", str(TARGET), "-"],
    ):
        text = subprocess.run(  # noqa: S603 - our own ruff, on our own source
            command, input=text, capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args()
    text = generate()
    if args.check:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET.relative_to(ROOT)} is stale: run `make generate`.")
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

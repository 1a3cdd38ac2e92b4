"""The compiled speedups under AddressSanitizer and UndefinedBehaviorSanitizer.

``python fuzz/sanitized.py build`` compiles src/carafe/http/_speedups.c with
``-fsanitize=address,undefined`` into build/fuzz/sanitized/ (never into src/,
whose in-place build ``make test`` uses). ``python fuzz/sanitized.py run CMD...``
runs a command with that build in place of the usual one: the sanitizer runtime
preloaded (the interpreter itself is not built with it), Python's allocator off
so the sanitizer sees every allocation, and a ``sitecustomize`` (fuzz/sanitized_site/)
that makes ``import carafe.http._speedups`` load the sanitized file. Any memory error
or undefined behaviour aborts the command.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "carafe" / "http" / "_speedups.c"
BUILD = ROOT / "build" / "fuzz" / "sanitized"
EXTENSION = BUILD / ("_speedups" + sysconfig.get_config_var("EXT_SUFFIX"))
SITE = Path(__file__).resolve().parent / "sanitized_site"
COMPILER = os.environ.get("CC", "gcc")
FLAGS = [
    "-fsanitize=address,undefined",
    # Undefined behaviour stops the run instead of printing a warning and going on.
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
    "-g",
    "-O1",
    "-Wall",
    "-shared",
    "-fPIC",
]


def build() -> None:
    """Compile the sanitized extension (again only if its source or these flags changed)."""
    newest = max(SOURCE.stat().st_mtime, Path(__file__).stat().st_mtime)
    if EXTENSION.exists() and EXTENSION.stat().st_mtime >= newest:
        print(f"sanitized build up to date: {EXTENSION.relative_to(ROOT)}")
        return
    BUILD.mkdir(parents=True, exist_ok=True)
    includes = {sysconfig.get_paths()["include"], sysconfig.get_paths()["platinclude"]}
    command = [
        COMPILER,
        *FLAGS,
        *(f"-I{path}" for path in sorted(includes)),
        str(SOURCE),
        "-o",
        str(EXTENSION),
    ]
    print(shlex.join(command))
    subprocess.run(command, check=True)  # noqa: S603


def runtime_library() -> str:
    """The path of the compiler's AddressSanitizer runtime, to preload."""
    found = subprocess.run(  # noqa: S603
        [COMPILER, "-print-file-name=libasan.so"], check=True, capture_output=True, text=True
    ).stdout.strip()
    if not os.path.isabs(found):
        raise SystemExit(f"{COMPILER} has no AddressSanitizer runtime (libasan.so)")
    return found


def sanitized_environment() -> dict[str, str]:
    """The environment that runs Python with the sanitized extension."""
    if not EXTENSION.exists():
        raise SystemExit("no sanitized build: run `python fuzz/sanitized.py build` first")
    environment = dict(os.environ)
    path = [str(SITE), *filter(None, environment.get("PYTHONPATH", "").split(os.pathsep))]
    environment.update(
        LD_PRELOAD=runtime_library(),
        # CPython frees little at exit: leak reports would all be noise.
        ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1",
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
        # Every object from malloc, where the sanitizer checks it, not from pymalloc's pools.
        PYTHONMALLOC="malloc",
        PYTHONPATH=os.pathsep.join(path),
        CARAFE_SANITIZED_SPEEDUPS=str(EXTENSION),
    )
    return environment


def main(arguments: list[str]) -> int:
    if arguments[:1] == ["build"]:
        build()
        return 0
    if arguments[:1] == ["run"] and len(arguments) > 1:
        command = arguments[1:]
        print(f"with sanitized speedups: {shlex.join(command)}", flush=True)
        return subprocess.run(command, env=sanitized_environment()).returncode  # noqa: S603
    print(__doc__)
    print("usage: python fuzz/sanitized.py build | run COMMAND [ARGUMENT...]")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""What every harness shares: its corpus and crash folders, the time limit, then libFuzzer.

A harness is ``fuzz/fuzz_<target>.py``: it imports the code under test inside
:func:`instrumented` (so atheris sees its branches), defines ``test_one_input(data)``
and a few seed inputs, and ends with ``run(test_one_input, SEEDS)``. Run with no
input files it fuzzes for ``FUZZ_SECONDS`` (30 by default) from
``build/fuzz/corpus/<target>/`` and writes any crashing input to
``build/fuzz/crashes/<target>/``; run with input files it replays just those.
Other libFuzzer options (``-runs=``, ``-max_len=``, ...) are passed through and
win over the defaults here.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
#: Corpora, crashing inputs and logs: under build/, which git ignores and make clean removes.
WORK = ROOT / "build" / "fuzz"


@contextmanager
def instrumented(*packages: str) -> Iterator[None]:
    """Instrument ``carafe`` (and ``packages``) for coverage while importing in the block.

    The string-method hook also feeds the fuzzer the literals the code compares
    against, so it finds inputs that get past a ``startswith``. (Not the regex hook:
    its pattern proxy refuses ``pattern.match(text, pos)``, which the parsers use.)
    """
    atheris.enabled_hooks.add("str")
    with atheris.instrument_imports(include=["carafe", *packages]):
        yield


def _flag_name(argument: str) -> str:
    return argument.partition("=")[0]


def run(test_one_input: Callable[[bytes], None], seeds: Iterable[bytes], **options: int) -> None:
    """Fuzz ``test_one_input`` (or replay the input files named on the command line).

    :param seeds: inputs written into the corpus first, so a run starts from valid
        examples instead of rediscovering the format.
    :param options: libFuzzer defaults for this harness, such as ``max_len=8192``.
    """
    target = Path(sys.argv[0]).stem.removeprefix("fuzz_")
    given = sys.argv[1:]
    inputs = [argument for argument in given if not argument.startswith("-")]
    # libFuzzer runs argv[0] through the shell to minimise a crash (-minimize_crash=1):
    # name the interpreter too, as a harness is not an executable of its own.
    argv = [shlex.join([sys.executable, sys.argv[0]]), *given]
    if not inputs:
        corpus = WORK / "corpus" / target
        crashes = WORK / "crashes" / target
        corpus.mkdir(parents=True, exist_ok=True)
        crashes.mkdir(parents=True, exist_ok=True)
        for seed in seeds:
            (corpus / hashlib.sha1(seed).hexdigest()).write_bytes(seed)  # noqa: S324
        defaults = {
            "max_total_time": int(os.environ.get("FUZZ_SECONDS", "30")),
            # One input running this long is a hang (a regex gone quadratic, say).
            "timeout": 10,
            "rss_limit_mb": 4096,
            "print_final_stats": 1,
            **options,
        }
        named = {_flag_name(argument) for argument in given}
        argv[1:1] = [
            f"-{key}={value}" for key, value in defaults.items() if f"-{key}" not in named
        ]
        argv.insert(1, f"-artifact_prefix={crashes}/")
        argv.append(str(corpus))
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()

"""Run the harnesses one after another for FUZZ_SECONDS each, and sum up (``make fuzz``).

``python fuzz/run_all.py`` runs every ``fuzz/fuzz_*.py``; ``python fuzz/run_all.py
cookies json`` runs those. Each one's output goes to ``build/fuzz/logs/<target>.log``;
the table at the end gives its time, executions and outcome. The exit status is 1
if any harness crashed (its input is then in ``build/fuzz/crashes/<target>/``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOGS = HERE.parent / "build" / "fuzz" / "logs"
DONE = re.compile(r"^Done (\d+) runs in (\d+) second", re.MULTILINE)
ARTIFACT = re.compile(r"Test unit written to (\S+)")


def run_one(target: str) -> tuple[str, float, int | None, bool]:
    """Fuzz one target; its name, seconds taken, executions (if it finished) and success."""
    suffix = "-sanitized" if os.environ.get("CARAFE_SANITIZED_SPEEDUPS") else ""
    log = LOGS / f"{target}{suffix}.log"
    started = time.monotonic()
    print(f"fuzzing {target}{suffix} ({log.relative_to(HERE.parent)})", flush=True)
    with log.open("w") as output:
        done = subprocess.run(  # noqa: S603
            [sys.executable, str(HERE / f"fuzz_{target}.py")],
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = time.monotonic() - started
    text = log.read_text(errors="replace")
    found = DONE.search(text)
    runs = int(found.group(1)) if found else None
    if done.returncode != 0:
        # The harness's report: the traceback or sanitizer error, and the input's file.
        lines = text.splitlines()
        marks = ("Uncaught Python exception", "==ERROR", "runtime error:")
        start = next(
            (index for index, line in enumerate(lines) if any(m in line for m in marks)),
            max(len(lines) - 40, 0),
        )
        print("\n".join(lines[start : start + 60]), flush=True)
    return target + suffix, seconds, runs, done.returncode == 0


def main(targets: list[str]) -> int:
    if not targets:
        targets = sorted(path.stem.removeprefix("fuzz_") for path in HERE.glob("fuzz_*.py"))
    LOGS.mkdir(parents=True, exist_ok=True)
    results = [run_one(target) for target in targets]
    print(f"\n{'harness':<20} {'seconds':>8} {'executions':>12} {'per second':>11}  outcome")
    for name, seconds, runs, passed in results:
        rate = f"{runs / seconds:,.0f}" if runs else "-"
        count = f"{runs:,}" if runs is not None else "-"
        outcome = "ok" if passed else "CRASH"
        print(f"{name:<20} {seconds:>8.0f} {count:>12} {rate:>11}  {outcome}")
    crashed = [name for name, _, _, passed in results if not passed]
    if crashed:
        print(f"\ncrashed: {', '.join(crashed)}; see fuzz/README.md to minimise and replay")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

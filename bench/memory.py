"""Start-up time and memory: ``import X`` in a fresh interpreter, and the seed app's RSS over
200,000 requests.

    .venv/bin/python bench/memory.py                   # both parts (make bench runs it)
    .venv/bin/python bench/memory.py --quick           # 3 import runs, 20,000 requests
    .venv/bin/python bench/memory.py --frameworks carafe,flask --requests 50000
    .venv/bin/python bench/memory.py --markdown docs/benchmarks.md

Start-up: for bare Python and each module, ``python -c "import X"`` runs --runs times in a
fresh process (after one untimed run that also leaves the bytecode caches warm), the modules
interleaved, and the median wall time (spawn to exit) is reported. Beside each timed run, an
untimed one does the same import and then prints its own peak RSS (VmHWM from /proc: on
Linux, ``ru_maxrss`` of a child includes its parent's size at exec); the median is reported.

RSS: each framework's seed app runs in its own fresh process (bench/memory_child.py), which
imports the app first, with nothing else loaded: its RSS then is the idle RSS (python + the
app, after start-up). Then it imports the harness (bench/measure.py), checks each seed
response once (the start of the run), answers --requests requests in process, cycling the
eight seed scenarios (25 of each in turn), and reports its RSS at checkpoints. Growth is the
end RSS over the start-of-run RSS; growth after the first 1,000 requests (once every lazily
loaded module and cache is in) is shown beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from docs_section import append_section, insert_after, write_section

BENCH = Path(__file__).resolve().parent
MARK_START = "<!-- bench:memory:start -->"
MARK_END = "<!-- bench:memory:end -->"
IN_PROCESS_END = "<!-- bench:results:end -->"  # bench/run.py's section; ours goes after it

# "python": bare python. Starlette's package __init__ is empty: time what an app imports.
MODULES = ("python", "carafe", "flask", "falcon", "bottle", "starlette.applications")
RSS_FRAMEWORKS = ("carafe", "flask", "falcon", "carafe-asgi", "carafe-asgi-sync")
LAZY = ("jinja2", "itsdangerous", "click", "granian", "multipart", "werkzeug", "flask")
WARM = 1_000  # the checkpoint after which every lazy import and cache should be in
MIB = 1024 * 1024


# ----------------------------------------------------------------------------- start-up


@dataclass
class Startup:
    module: str
    ms: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def label(self) -> str:
        return "bare python" if self.module == "python" else f"import {self.module}"

    @property
    def median_ms(self) -> float:
        return statistics.median(self.ms)

    @property
    def median_mib(self) -> float:
        return statistics.median(self.peak_kib) * 1024 / MIB


def _argv(module: str) -> list[str]:
    return [sys.executable, "-c", "pass" if module == "python" else f"import {module}"]


# The child prints its own peak RSS after the import: VmHWM, the high-water mark of its own
# memory. (On Linux, ru_maxrss from wait4 or RUSAGE_CHILDREN is no good here: a child
# inherits the parent's high-water mark at exec, so it reports at least this process's size.)
_PEAK = """
import sys
try:
    with open("/proc/self/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    import resource
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kib = kib // 1024 if sys.platform == "darwin" else kib
sys.stdout.write(str(kib))
"""


def time_once(module: str) -> tuple[float, int]:
    """(wall ms, exit code) of one ``python -c "import module"``, spawn to exit."""
    argv = _argv(module)
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ)
    _pid, status = os.waitpid(pid, 0)
    return (time.perf_counter() - t0) * 1e3, os.waitstatus_to_exitcode(status)


def peak_once(module: str) -> int | None:
    """Peak RSS in KiB of a fresh interpreter that has done ``import module`` (untimed)."""
    code = ("" if module == "python" else f"import {module}\n") + _PEAK
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return int(done.stdout) if done.returncode == 0 and done.stdout.isdigit() else None


def measure_startup(modules: list[str], runs: int) -> list[Startup]:
    results = [Startup(m) for m in modules]
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as empty:
        os.chdir(empty)  # so that sys.path[0] (the cwd, for -c) holds nothing importable
        try:
            for round_no in range(runs + 1):  # round 0 warms the caches and is not kept
                shift = round_no % len(results)
                for result in results[shift:] + results[:shift]:
                    if result.error:
                        continue
                    ms, code = time_once(result.module)
                    kib = peak_once(result.module)
                    if code != 0 or kib is None:
                        result.error = f"exit status {code}"
                    elif round_no:
                        result.ms.append(ms)
                        result.peak_kib.append(kib)
        finally:
            os.chdir(here)
    return results


def lazy_check() -> list[str] | None:
    """The modules of LAZY that ``import carafe`` loads (they should load on first use)."""
    code = f"import sys, carafe; print(','.join(m for m in {LAZY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tempfile.gettempdir()
    )
    if done.returncode != 0:
        return None
    return [m for m in done.stdout.strip().split(",") if m]


# ----------------------------------------------------------------------------- RSS


@dataclass
class Memory:
    key: str
    title: str
    data: dict[str, Any]

    @property
    def error(self) -> str | None:
        return self.data.get("error")

    def rss_at(self, requests: int) -> int:
        """RSS at the first checkpoint at or after ``requests``."""
        for done, rss in self.data["checkpoints"]:
            if done >= requests:
                return int(rss)
        return int(self.data["checkpoints"][-1][1])

    @property
    def idle(self) -> int:
        """Bare python plus the app, after start-up (before the harness is imported)."""
        return int(self.data["idle"])

    @property
    def start(self) -> int:
        """At the start of the run: the harness imported, each seed response checked once."""
        return int(self.data["checkpoints"][0][1])

    @property
    def final(self) -> int:
        return int(self.data["checkpoints"][-1][1])

    @property
    def requests(self) -> int:
        return int(self.data["checkpoints"][-1][0])

    @property
    def growth(self) -> float:
        """Over the run, relative to the process's RSS at its start."""
        return (self.final - self.start) / self.start

    @property
    def warm_growth(self) -> float:
        warm = self.rss_at(WARM)
        return (self.final - warm) / warm


def measure_rss(keys: list[str], requests: int) -> list[Memory]:
    from measure import FRAMEWORKS

    results = []
    for key in keys:
        if key not in FRAMEWORKS:
            raise SystemExit(f"unknown framework {key!r}; known: {', '.join(FRAMEWORKS)}")
        f = FRAMEWORKS[key]
        command = [sys.executable, str(BENCH / "memory_child.py"), key, f.module, f.attribute]
        command.append(str(requests))
        print(f"RSS: {FRAMEWORKS[key].title}, {requests:,} requests ...", file=sys.stderr)
        done = subprocess.run(command, capture_output=True, text=True, cwd=BENCH)
        try:
            data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            data = {"error": f"exit status {done.returncode}: {tail}"}
        results.append(Memory(key, FRAMEWORKS[key].title, data))
    return results


# ----------------------------------------------------------------------------- reporting


def _mib(value: float) -> str:
    return f"{value / MIB:.1f}"


def startup_rows(startup: list[Startup]) -> tuple[list[str], list[list[str]]]:
    bare = next((s for s in startup if s.module == "python" and not s.error), None)
    header = ["start-up", "wall ms (median)", "minus bare python", "peak RSS MiB (median)"]
    rows = []
    for s in startup:
        if s.error:
            rows.append([s.label, f"FAIL ({s.error})", "-", "-"])
            continue
        extra = "-" if bare is None or s is bare else f"{s.median_ms - bare.median_ms:+.1f}"
        rows.append([s.label, f"{s.median_ms:.1f}", extra, f"{s.median_mib:.1f}"])
    return header, rows


def rss_rows(memory: list[Memory]) -> tuple[list[str], list[list[str]]]:
    header = [
        "seed app",
        "idle MiB (python + app)",
        "start of run MiB (+ harness)",
        f"after {WARM:,} MiB",
        "end MiB",
        "requests",
        "growth MiB",
        "growth",
        f"growth after {WARM:,}",
    ]
    rows = []
    for m in memory:
        if m.error:
            rows.append([m.title, f"FAIL ({m.error})", *["-"] * (len(header) - 2)])
            continue
        rows.append(
            [
                m.title,
                _mib(m.idle),
                _mib(m.start),
                _mib(m.rss_at(WARM)),
                _mib(m.final),
                f"{m.requests:,}",
                f"{(m.final - m.start) / MIB:+.2f}",
                f"{m.growth:+.2%}",
                f"{m.warm_growth:+.2%}",
            ]
        )
    return header, rows


def targets(startup: list[Startup], memory: list[Memory], lazy: list[str] | None) -> list[str]:
    lines = []
    by_module = {s.module: s for s in startup if not s.error and s.ms}
    carafe, bottle = by_module.get("carafe"), by_module.get("bottle")
    if carafe and bottle:
        ok = carafe.median_ms <= bottle.median_ms
        lines.append(
            f"`import carafe` {carafe.median_ms:.1f} ms vs `import bottle` {bottle.median_ms:.1f}"
            f" ms ({carafe.median_ms / bottle.median_ms:.2f}x; target no slower):"
            f" {'met' if ok else 'NOT met'}"
        )
        ok = carafe.median_mib <= bottle.median_mib
        lines.append(
            f"`import carafe` peak RSS {carafe.median_mib:.1f} MiB vs `import bottle`"
            f" {bottle.median_mib:.1f} MiB (target no larger): {'met' if ok else 'NOT met'}"
        )
    if lazy is not None:
        lines.append(
            "`import carafe` loads none of "
            + ", ".join(LAZY)
            + (": met" if not lazy else f": NOT met (loaded: {', '.join(lazy)})")
        )
    by_key = {m.key: m for m in memory if not m.error}
    flask = by_key.get("flask")
    for key in ("carafe", "carafe-asgi", "carafe-asgi-sync"):
        m = by_key.get(key)
        if m is None:
            continue
        if flask is not None:
            ok = m.idle <= flask.idle
            lines.append(
                f"{m.title} idle RSS {_mib(m.idle)} MiB vs Flask {_mib(flask.idle)} MiB"
                f" (target <= Flask's): {'met' if ok else 'NOT met'}"
            )
        lines.append(
            f"{m.title} RSS growth over {m.requests:,} requests {m.growth:+.2%}"
            f" (after the first {WARM:,}: {m.warm_growth:+.2%}; target < 2%):"
            f" {'met' if m.growth < 0.02 else 'NOT met'}"
        )
    return lines


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([fmt(header), "  ".join("-" * w for w in widths), *map(fmt, rows)])


def print_report(startup: list[Startup], memory: list[Memory], lazy: list[str] | None) -> None:
    from run import machine

    if startup:
        header, rows = startup_rows(startup)
        runs = max(len(s.ms) for s in startup)
        print(f"\nstart-up: python -c 'import X', median of {runs} runs")
        print(_text_table(header, rows))
    if memory:
        header, rows = rss_rows(memory)
        print("\nRSS of the seed app, each in its own process (MiB = 2^20 bytes)")
        print(_text_table(header, rows))
    print("\nissue 4 targets (start-up and memory):")
    for line in targets(startup, memory, lazy):
        print(f"  {line.replace('`', '')}")
    print(machine())


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def markdown_section(
    startup: list[Startup], memory: list[Memory], lazy: list[str] | None, argv: list[str]
) -> str:
    import shlex

    from run import machine

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = shlex.join([".venv/bin/python", "bench/memory.py", *argv])
    parts = [
        MARK_START,
        "<!-- Written by bench/memory.py --markdown; edits between the markers are replaced. -->",
        "",
        "## Start-up and memory",
        "",
        "`bench/memory.py` (run by `make bench` after `bench/run.py`). Start-up:"
        ' `python -c "import X"` in a fresh process, the modules interleaved, after one'
        " untimed run that warms the bytecode caches; the median wall time from spawn to exit,"
        " and the median peak RSS that a fresh interpreter reports for itself after the same"
        " import (VmHWM; `ru_maxrss` of a child counts its parent's size at exec on Linux)."
        " Memory: each seed app in its own fresh process, which imports the app first, with"
        " nothing else loaded (`idle`: python + the app, after start-up), then the harness,"
        " checks each seed response once (`start of run`), then answers the requests in"
        " process, cycling the eight seed scenarios, 25 of each in turn; RSS from"
        " `/proc/self/statm` after a `gc.collect()`. Growth is the end RSS over the start-of-run"
        f" RSS; growth after {WARM:,} requests (once lazy imports and caches are in) shows"
        " whether anything keeps growing.",
        "",
        f"Measured {stamp} with `{command}`. Machine: {machine()}.",
        "",
    ]
    if startup:
        header, rows = startup_rows(startup)
        parts += [_md_table(header, rows), ""]
    if memory:
        header, rows = rss_rows(memory)
        parts += ["RSS of the seed app (MiB = 2^20 bytes):", "", _md_table(header, rows), ""]
    parts += ["Issue 4 targets (start-up and memory):", ""]
    parts += [f"- {line}" for line in targets(startup, memory, lazy)]
    parts.append(MARK_END)
    return "\n".join(parts) + "\n"


def write_markdown(path: Path, section: str) -> None:
    """Replace our section; else put it after bench/run.py's, else at the end."""

    def fallback(text: str) -> str:
        return insert_after(text, IN_PROCESS_END, section) or append_section(text, section)

    write_section(path, MARK_START, MARK_END, section, fallback)


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 import runs, 20,000 requests")
    parser.add_argument("--runs", type=int, help="timed import runs per module (default 10)")
    parser.add_argument("--requests", type=int, help="requests per seed app (default 200,000)")
    parser.add_argument(
        "--modules",
        help=f"start-up: comma-separated modules, 'python' = bare (default: {','.join(MODULES)})",
    )
    parser.add_argument(
        "--frameworks",
        help="RSS: comma-separated keys of bench/measure.py's FRAMEWORKS"
        f" (default: {','.join(RSS_FRAMEWORKS)})",
    )
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up part")
    parser.add_argument("--no-rss", action="store_true", help="skip the RSS part")
    parser.add_argument("--markdown", type=Path, help="write the section into this Markdown file")
    parser.add_argument("--json", type=Path, help="write the results as JSON to this file")
    args = parser.parse_args(argv)

    runs = args.runs or (3 if args.quick else 10)
    requests = args.requests or (20_000 if args.quick else 200_000)
    if runs < 1 or requests < 1:
        parser.error("--runs and --requests must be positive")
    modules = [m.strip() for m in (args.modules or ",".join(MODULES)).split(",") if m.strip()]
    keys = [k.strip() for k in (args.frameworks or ",".join(RSS_FRAMEWORKS)).split(",")]
    keys = [k for k in keys if k]
    startup = [] if args.no_startup else measure_startup(modules, runs)
    lazy = None if args.no_startup or "carafe" not in modules else lazy_check()
    memory = [] if args.no_rss else measure_rss(keys, requests)

    print_report(startup, memory, lazy)
    if args.markdown:
        write_markdown(args.markdown, markdown_section(startup, memory, lazy, argv))
        print(f"results written to {args.markdown}")
    if args.json:
        data = {
            "startup": {
                s.module: {"ms": s.ms, "peak_kib": s.peak_kib, "error": s.error} for s in startup
            },
            "lazy_loaded_by_import_carafe": lazy,
            "rss": {m.key: m.data for m in memory},
            "targets": targets(startup, memory, lazy),
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n")
        print(f"results written to {args.json}")
    failed = [s for s in startup if s.error] + [m for m in memory if m.error]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""CPU instructions per request, counted with valgrind's callgrind: a repeatable measure
beside bench/run.py's times, on the same apps and through the same per-call harness.

    .venv/bin/python bench/instructions.py                   # 5 frameworks x all scenarios
    .venv/bin/python bench/instructions.py --seed-only       # the eight seed scenarios only
    .venv/bin/python bench/instructions.py --frameworks carafe,falcon --scenarios 1,json
    .venv/bin/python bench/instructions.py --seed-only --markdown docs/benchmarks.md

Every response is first checked in this process, as bench/run.py checks it; a framework that
answers a scenario wrongly is not counted on it (FAIL). Then, for each framework x scenario, a
child process (this file with ``--child``) loads the app, builds bench/run.py's runner
(``measure.make_runner``), makes 300 warm-up calls, then N more (``-n``, 2000). The child runs
under ``valgrind --tool=callgrind`` twice, with 0 and with N further calls; (instructions of
the second - instructions of the first) / N is what one request executes, start-up, imports,
the warm-up and exit cancelling out. Children run ``--jobs`` at a time (one pair takes ~20 s).
The harness's own instructions per call (null WSGI and ASGI apps, as bench/run.py's overhead)
are counted the same way and printed; every cell includes them.

Instruction counts are a proxy for time, not time: the same count of different instructions
(cache misses, branches, allocations) costs differently, so a ratio here can differ from
bench/run.py's. They repeat from run to run on a noisy machine, which times do not.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import shutil
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from measure import (
    FRAMEWORKS,
    ASGIRunner,
    Framework,
    Runner,
    close_event_loop,
    load,
    make_runner,
    null_app,
    null_asgi_app,
)
from scenarios import ALL, BY_NAME, NUMBERING, SCENARIOS, Scenario

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from run import Loaded, Results

# The child (``--child``) imports only what it runs (measure, scenarios, the app): valgrind
# runs its start-up too, ~50x slower than natively, and once per child. What only the parent
# needs (bench/run.py, which brings importlib.metadata along, subprocess, threads) is
# imported in the functions that use it.

MARK_START = "<!-- bench:instructions:start -->"
MARK_END = "<!-- bench:instructions:end -->"

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_FRAMEWORKS = ("carafe", "falcon", "raw", "carafe-asgi", "falcon-asgi")
WARMUP = 300  # calls before counting starts, in both children of a pair
REQUESTS = 2000  # counted calls (-n)
JOBS = 2  # children at a time (--jobs); the core count of the machine this was written on
CHILD_TIMEOUT = 3600  # seconds one child may run under valgrind
NULL_APPS = {"null-wsgi": "wsgi", "null-asgi": "asgi"}  # child keys of the harness counts
INTERFACES = tuple(NULL_APPS.values())
# The child's environment: a fixed hash seed, so that dict and set layouts, and with them
# the counts, repeat from run to run.
CHILD_ENV = {"PYTHONHASHSEED": "0"}
COLLECTED = re.compile(r"^==\d+== Collected : (\d+)\s*$", re.MULTILINE)

Cell = tuple[str, str]  # (framework key, scenario name)


@dataclass
class Counts:
    """One run: run.py's validation results (frameworks, scenarios, invalid and skipped
    cells) plus the instruction counts."""

    checked: Results
    requests: int
    command: str  # the command line that made it
    per_request: dict[Cell, float] = field(default_factory=dict)  # instructions / request
    raw: dict[Cell, tuple[int, int]] = field(default_factory=dict)  # (N = 0, N) totals
    errors: dict[Cell, str] = field(default_factory=dict)  # a child that failed
    harness: dict[str, float] = field(default_factory=dict)  # per interface, per call
    seconds: float = 0.0

    @property
    def frameworks(self) -> list[Framework]:
        return self.checked.frameworks

    @property
    def seed(self) -> list[Scenario]:
        return self.checked.seed

    @property
    def extras(self) -> list[Scenario]:
        return self.checked.extras

    def common(self, scenarios: list[Scenario]) -> list[Scenario]:
        """Of ``scenarios``, those counted on every framework (geometric means)."""
        return [
            s
            for s in scenarios
            if all((f.key, s.name) in self.per_request for f in self.frameworks)
        ]

    def geomean(self, framework: Framework, scenarios: list[Scenario] | None = None) -> float:
        chosen = self.common(self.seed if scenarios is None else scenarios)
        values = [self.per_request[framework.key, s.name] for s in chosen]
        logs = [math.log(v) for v in values]
        return math.exp(math.fsum(logs) / len(logs)) if logs else math.nan


# ----------------------------------------------------------------------------- the child


def child_runner(key: str, scenario: Scenario) -> Runner:
    """The runner the child counts: a framework's app, or a null app (the harness alone)."""
    interface = NULL_APPS.get(key)
    if interface is not None:
        plain = replace(scenario, status=200)
        return ASGIRunner(null_asgi_app, plain) if interface == "asgi" else Runner(null_app, plain)
    framework = FRAMEWORKS[key]
    return make_runner(framework, load(framework, scenario.app), scenario)


def child(key: str, name: str, requests: int) -> int:
    """Warm up, then make ``requests`` calls (none for the baseline run of a pair)."""
    runner = child_runner(key, BY_NAME[name])
    try:
        runner(WARMUP)
        if requests:
            runner(requests)
    finally:
        close_event_loop()
    return 0


# ----------------------------------------------------------------------------- counting


class ChildFailed(RuntimeError):
    """A child exited with an error, or valgrind reported no instruction count."""


def child_command(valgrind: str, key: str, name: str, requests: int) -> list[str]:
    return [
        valgrind,
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(BENCH_DIR / "instructions.py"),
        "--child",
        key,
        name,
        str(requests),
    ]


def collected(valgrind: str, key: str, name: str, requests: int) -> int:
    """Total instructions of one child under callgrind ("Collected : N" on its stderr)."""
    import subprocess

    try:
        done = subprocess.run(
            child_command(valgrind, key, name, requests),
            cwd=BENCH_DIR,
            env={**os.environ, **CHILD_ENV},
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ChildFailed(f"no answer within {CHILD_TIMEOUT} s")
    except OSError as exc:
        raise ChildFailed(f"cannot start valgrind: {exc}")
    match = COLLECTED.search(done.stderr)
    if done.returncode != 0 or match is None:
        lines = [line for line in done.stderr.splitlines() if not line.startswith("==")]
        tail = "\n".join(lines[-8:]) or done.stderr.strip()[-800:]
        raise ChildFailed(f"exit status {done.returncode}:\n{tail}")
    return int(match.group(1))


Pair = tuple["Future[int]", "Future[int]"]  # the N = 0 child and the N child


def submit_pair(pool: ThreadPoolExecutor, valgrind: str, key: str, name: str, n: int) -> Pair:
    return (
        pool.submit(collected, valgrind, key, name, 0),
        pool.submit(collected, valgrind, key, name, n),
    )


def harness_keys(counts: Counts) -> list[str]:
    """The null apps to count: one per interface in the run."""
    interfaces = {f.interface for f in counts.frameworks}
    return [key for key, interface in NULL_APPS.items() if interface in interfaces]


def cells_to_count(counts: Counts) -> list[Cell]:
    """Every framework x scenario that makes sense and was answered correctly."""
    checked = counts.checked
    return [
        (f.key, s.name)
        for s in checked.scenarios
        for f in checked.frameworks
        if (f.key, s.name) not in checked.invalid and (f.key, s.name) not in checked.skipped
    ]


def count_all(counts: Counts, valgrind: str, jobs: int) -> None:
    """Count the harness (null apps, on the first scenario's request), then every cell,
    ``jobs`` children at a time, reporting progress on stderr."""
    from concurrent.futures import ThreadPoolExecutor

    first = counts.checked.scenarios[0].name
    n = counts.requests
    cells = cells_to_count(counts)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        nulls = {key: submit_pair(pool, valgrind, key, first, n) for key in harness_keys(counts)}
        pairs = {cell: submit_pair(pool, valgrind, *cell, n) for cell in cells}
        try:
            for key, (base, full) in nulls.items():
                try:
                    counts.harness[NULL_APPS[key]] = (full.result() - base.result()) / n
                except ChildFailed as exc:
                    print(f"warning: harness count {key} failed: {exc}", file=sys.stderr)
            for done, (cell, (base, full)) in enumerate(pairs.items(), 1):
                note = record(counts, cell, base, full)
                elapsed = time.perf_counter() - started
                title = FRAMEWORKS[cell[0]].title
                print(
                    f"[{done}/{len(cells)}] {title} / {cell[1]}: {note} ({elapsed:.0f} s)",
                    file=sys.stderr,
                )
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def record(counts: Counts, cell: Cell, base: Future[int], full: Future[int]) -> str:
    """Store one pair's result (or its failure); a short note for the progress line."""
    try:
        zero, total = base.result(), full.result()
    except ChildFailed as exc:
        counts.errors[cell] = str(exc)
        return f"ERROR: {str(exc).splitlines()[-1]}"
    counts.raw[cell] = (zero, total)
    counts.per_request[cell] = (total - zero) / counts.requests
    return kilo(counts.per_request[cell])


# ----------------------------------------------------------------------------- reporting


def kilo(value: float) -> str:
    """Instructions in thousands: ``40.9k``, ``1,234k``."""
    k = value / 1e3
    return f"{k:.1f}k" if k < 1000 else f"{k:,.0f}k"


def ratio(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.3f}x"


def cell_text(counts: Counts, cell: Cell) -> str | None:
    """``n/a``, ``FAIL`` (wrong answer) or ``ERROR`` (the child failed); None if counted."""
    if cell in counts.checked.skipped:
        return "n/a"
    if cell in counts.checked.invalid:
        return "FAIL"
    if cell in counts.errors:
        return "ERROR"
    return None


def geo_text(value: float) -> str:
    return "-" if math.isnan(value) else kilo(value)


def tables(
    counts: Counts, scenarios: list[Scenario]
) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Header, the instruction rows and the ratio rows (each ending with the geometric
    mean), as strings, for ``scenarios``."""
    from run import scenario_number

    checked = counts.checked
    header = ["scenario"] + [f.title for f in counts.frameworks]
    count_rows, ratio_rows = [], []
    for s in scenarios:
        label = f"{scenario_number(s)}. {s.label}"
        row, ratios = [label], [label]
        for f in counts.frameworks:
            cell = (f.key, s.name)
            text = cell_text(counts, cell)
            value = counts.per_request.get(cell)
            base = counts.per_request.get((checked.reference(f).key, s.name))
            row.append(text or kilo(value or 0.0))
            ratios.append(text or ratio(value / base if value and base else None))
        count_rows.append(row)
        ratio_rows.append(ratios)
    common = counts.common(scenarios)
    geo_label = "geometric mean"
    if len(common) != len(scenarios):
        geo_label += f" ({len(common)} common scenarios)"
    geo = {f.key: counts.geomean(f, scenarios) for f in counts.frameworks}
    count_rows.append([geo_label] + [geo_text(geo[f.key]) for f in counts.frameworks])
    ratio_rows.append(
        [geo_label]
        + [ratio(geo[f.key] / geo[checked.reference(f).key]) for f in counts.frameworks]
    )
    return header, count_rows, ratio_rows


PROXY_NOTE = (
    "these are instruction counts, a repeatable proxy for time, not time: different"
    " instruction mixes (cache misses, branches, allocations) cost differently, so their"
    " ratios can differ from bench/run.py's"
)
RATIO_NOTE = (
    "framework instructions / Carafe's for WSGI frameworks, / Carafe ASGI's for ASGI ones;"
    " above 1 = more instructions"
)


def harness_line(counts: Counts) -> str:
    from run import scenario_number

    parts = [f"{i.upper()} {kilo(counts.harness[i])}" for i in INTERFACES if i in counts.harness]
    first = counts.checked.scenarios[0]
    return (
        f"Harness instructions per call (null app, scenario {scenario_number(first)}'s"
        f" request): {', '.join(parts) or 'not counted'}; included in every cell, subtract"
        " them to compare what the frameworks themselves execute"
    )


def method_line(counts: Counts) -> str:
    return (
        f"Each cell is (instructions of a child making {WARMUP} warm-up calls then"
        f" {counts.requests:,} more - those of one making the warm-up calls only)"
        f" / {counts.requests:,}, under `valgrind --tool=callgrind`,"
        f" PYTHONHASHSEED={CHILD_ENV['PYTHONHASHSEED']}"
    )


def one_liners(counts: Counts) -> list[str]:
    """Each framework against its reference (Carafe, or Carafe ASGI), seed geometric mean."""
    lines = []
    for f in counts.frameworks:
        base = counts.checked.reference(f)
        value = counts.geomean(f) / counts.geomean(base)
        if f is base or math.isnan(value):
            continue
        lines.append(
            f"{f.title} / {base.title}: {ratio(value)} the instructions per request"
            " (seed geometric mean)"
        )
    return lines


def problems(counts: Counts) -> list[str]:
    lines = [f"FAIL (wrong response, not counted): {k}/{n}" for k, n in counts.checked.invalid]
    lines += [
        f"ERROR (child failed): {k}/{n}: {why.splitlines()[-1]}"
        for (k, n), why in counts.errors.items()
    ]
    return sorted(lines)


def valgrind_version(valgrind: str) -> str:
    import subprocess

    try:
        done = subprocess.run(
            [valgrind, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "valgrind (version unknown)"
    return done.stdout.strip() or "valgrind (version unknown)"


def sections(counts: Counts) -> list[tuple[str, list[Scenario]]]:
    return [(t, s) for t, s in (("seed", counts.seed), ("extra", counts.extras)) if s]


def print_report(counts: Counts, valgrind: str) -> None:
    from run import machine, text_table, versions

    for title, scenarios in sections(counts):
        header, count_rows, ratio_rows = tables(counts, scenarios)
        print(f"\n{title} scenarios: CPU instructions per request (thousands; lower is fewer)")
        print(text_table(header, count_rows))
        print(f"\n{title} scenarios: instructions relative to Carafe ({RATIO_NOTE})")
        print(text_table(header, ratio_rows))
    print()
    for line in one_liners(counts):
        print(line)
    print(f"\nNote: {PROXY_NOTE}.")
    print(f"{harness_line(counts)}.")
    print(f"{method_line(counts)}; {counts.seconds:.0f} s")
    print("; ".join(filter(None, [machine(), versions(counts.checked), valgrind])))
    for line in problems(counts):
        print(line)


def command(argv: list[str]) -> str:
    return shlex.join([".venv/bin/python", "bench/instructions.py", *argv])


def markdown_section(counts: Counts, valgrind: str) -> str:
    from run import machine, markdown_table, versions

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        MARK_START,
        "<!-- Written by bench/instructions.py --markdown; edits between these markers are"
        " replaced. -->",
        "",
        "## Instructions per request (callgrind)",
        "",
        "`bench/instructions.py` (`make bench-instructions`) counts the CPU instructions one"
        " request executes, in process, on the same apps and through the same harness as"
        " `bench/run.py`, after the same validation. These are **instruction counts, not"
        " times**: a proxy for time that repeats from run to run, where times on a noisy"
        " machine do not, which makes them the measure for comparing two versions of"
        " Carafe. Different instruction mixes (cache misses, branches, allocations) cost"
        " differently, so the ratios here can differ from the times above.",
        "",
        f"Measured {stamp} with `{counts.command}`.",
        f"Machine: {machine()}."
        f" Versions: {', '.join(filter(None, [versions(counts.checked), valgrind]))}.",
        f"{method_line(counts)}. {harness_line(counts)}.",
        "",
    ]
    for title, scenarios in sections(counts):
        header, count_rows, ratio_rows = tables(counts, scenarios)
        parts += [
            f"### Instructions: {title} scenarios",
            "",
            "CPU instructions per request (thousands; lower is fewer):",
            "",
            markdown_table(header, count_rows),
            "",
            f"Instructions relative to Carafe ({RATIO_NOTE}):",
            "",
            markdown_table(header, ratio_rows),
            "",
        ]
    parts += [f"- {line}" for line in one_liners(counts) + problems(counts)]
    parts.append(MARK_END)
    return "\n".join(parts) + "\n"


def write_markdown(path: Path, section: str) -> None:
    """Replace our section between its markers; append it at the end when they are missing."""
    from docs_section import append_section, write_section

    write_section(path, MARK_START, MARK_END, section, lambda text: append_section(text, section))


def write_json(path: Path, counts: Counts, valgrind: str) -> None:
    from run import machine, versions

    frameworks = counts.frameworks
    data = {
        "command": counts.command,
        "machine": machine(),
        "versions": versions(counts.checked),
        "valgrind": valgrind,
        "requests": counts.requests,
        "warmup": WARMUP,
        "child_env": CHILD_ENV,
        "harness_instructions": counts.harness,
        "baseline": counts.checked.baseline.key,
        "interfaces": {f.key: f.interface for f in frameworks},
        "instructions": {
            f.key: {
                s.name: counts.per_request.get((f.key, s.name)) for s in counts.checked.scenarios
            }
            for f in frameworks
        },
        "collected": {f"{k}/{n}": {"zero": a, "n": b} for (k, n), (a, b) in counts.raw.items()},
        "geomean_instructions": {f.key: nan_none(counts.geomean(f)) for f in frameworks},
        "extras_geomean_instructions": {
            f.key: nan_none(counts.geomean(f, counts.extras)) for f in frameworks
        },
        "skipped": sorted(f"{k}/{n}" for k, n in counts.checked.skipped),
        "invalid": {f"{k}/{n}": p for (k, n), p in counts.checked.invalid.items()},
        "errors": {f"{k}/{n}": why for (k, n), why in counts.errors.items()},
        "seconds": counts.seconds,
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


def nan_none(value: float) -> float | None:
    return None if math.isnan(value) else value


# ----------------------------------------------------------------------------- main


def load_frameworks(spec: str | None, scenarios: list[Scenario]) -> list[Loaded]:
    """The frameworks named (each must load), or the default ones that load."""
    from run import pick_frameworks

    if spec:
        return pick_frameworks(spec, scenarios)
    loaded: list[Loaded] = []
    for key in DEFAULT_FRAMEWORKS:
        try:
            loaded += pick_frameworks(key, scenarios)
        except SystemExit as exc:
            print(f"warning: {exc}; skipped", file=sys.stderr)
    if not loaded:
        raise SystemExit("no framework to run")
    return loaded


def check_responses(loaded: list[Loaded], scenarios: list[Scenario]) -> Results:
    """bench/run.py's validation (call_any + scenarios.check), with its report on stderr."""
    from run import Results, validate

    checked = Results([f for f, _ in loaded], scenarios, 1, 0.0)
    try:
        validate(loaded, scenarios, checked)
    finally:
        close_event_loop()
    for (key, name), found in sorted(checked.invalid.items()):
        print(f"WRONG RESPONSE, not counted: {FRAMEWORKS[key].title} / {name}:", file=sys.stderr)
        for problem in found:
            print(f"    {problem}", file=sys.stderr)
    return checked


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--frameworks",
        help=f"comma-separated, from: {','.join(FRAMEWORKS)}"
        f" (default: {','.join(DEFAULT_FRAMEWORKS)})",
    )
    parser.add_argument(
        "--scenarios",
        help=f"comma-separated numbers ({NUMBERING}) or names: "
        + ",".join(s.name for s in ALL)
        + " (default: all)",
    )
    parser.add_argument(
        "--seed-only", action="store_true", help="only the eight seed scenarios (no extras)"
    )
    parser.add_argument(
        "-n",
        "--requests",
        type=int,
        default=REQUESTS,
        help=f"requests counted per cell, after {WARMUP} warm-up calls (default {REQUESTS})",
    )
    parser.add_argument(
        "--jobs", type=int, default=JOBS, help=f"valgrind children at a time (default {JOBS})"
    )
    parser.add_argument(
        "--markdown", type=Path, help="write the results between the bench:instructions markers"
    )
    parser.add_argument("--json", type=Path, help="write the results as JSON to this file")
    parser.add_argument(
        "--child", nargs=3, metavar=("KEY", "SCENARIO", "N"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.requests < 1 or args.jobs < 1:
        parser.error("--requests and --jobs must be positive")
    return args


def precompile() -> None:
    """Write the bytecode of every module the children import, before they run.

    A child that compiled a stale module would count the compiling too, and only in the
    first child of a pair (the second finds the .pyc): the difference would be too small.
    """
    import compileall
    import importlib.util

    folders = [BENCH_DIR]
    for name in ("carafe", "falcon"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            folders.extend(Path(location) for location in spec.submodule_search_locations)
    for folder in folders:
        compileall.compile_dir(folder, quiet=1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        key, name, requests = args.child
        return child(key, name, int(requests))
    from run import pick_scenarios

    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print(
            "valgrind not found: install it (Debian/Ubuntu: sudo apt-get install valgrind)",
            file=sys.stderr,
        )
        return 1
    scenarios = pick_scenarios(args.scenarios, SCENARIOS if args.seed_only else ALL)
    loaded = load_frameworks(args.frameworks, scenarios)
    given = sys.argv[1:] if argv is None else argv
    counts = Counts(check_responses(loaded, scenarios), args.requests, command(given))
    cells = cells_to_count(counts)
    total = len(cells) + len(counts.checked.invalid)
    print(
        f"validated {len(cells)}/{total} responses; counting {len(cells)} cells and the"
        f" harness under callgrind, {args.requests} requests each, {args.jobs} children at"
        " a time",
        file=sys.stderr,
    )
    precompile()
    started = time.perf_counter()
    count_all(counts, valgrind, args.jobs)
    counts.seconds = time.perf_counter() - started

    version = valgrind_version(valgrind)
    print_report(counts, version)
    if args.markdown:
        write_markdown(args.markdown, markdown_section(counts, version))
        print(f"results written to {args.markdown}")
    if args.json:
        write_json(args.json, counts, version)
        print(f"results written to {args.json}")
    return 1 if counts.checked.invalid or counts.errors else 0


if __name__ == "__main__":
    sys.exit(main())

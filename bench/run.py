"""Per-request cost of the eight seed scenarios in Carafe, Flask, Falcon, Bottle and raw WSGI.

    .venv/bin/python bench/run.py                      # everything, 7 rounds (make bench)
    .venv/bin/python bench/run.py --quick              # 3 short rounds: a smoke test
    .venv/bin/python bench/run.py --frameworks flask,falcon,raw --scenarios 1,json
    .venv/bin/python bench/run.py --markdown docs/benchmarks.md

Each framework's app (bench/apps/) is called in process as a WSGI server would call it. Every
response is first checked against the scenario (status, body, key headers); a framework that
answers a scenario wrongly is not timed on it. Rounds interleave the frameworks so that drift
in the machine's speed hits them all alike; each cell is the median over the rounds of one
timing of M back-to-back calls, M calibrated so that a timing lasts about --target-ms.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import platform
import shlex
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from measure import (
    FRAMEWORKS,
    Framework,
    Runner,
    WSGIApp,
    call_once,
    harness_overhead_ns,
    load,
    port_problems,
)
from scenarios import SCENARIOS, Scenario, check

MARK_START = "<!-- bench:results:start -->"
MARK_END = "<!-- bench:results:end -->"

Cell = tuple[str, str]  # (framework key, scenario name)


@dataclass
class Results:
    frameworks: list[Framework]
    scenarios: list[Scenario]
    rounds: int
    target_ms: float
    median_us: dict[Cell, float] = field(default_factory=dict)
    spread: dict[Cell, float] = field(default_factory=dict)  # (max - min) / median
    calls: dict[Cell, int] = field(default_factory=dict)
    invalid: dict[Cell, list[str]] = field(default_factory=dict)
    overhead_us: float = 0.0
    seconds: float = 0.0

    @property
    def baseline(self) -> Framework:
        keys = [f.key for f in self.frameworks]
        return self.frameworks[keys.index("carafe") if "carafe" in keys else 0]

    @property
    def common(self) -> list[Scenario]:
        """Scenarios every framework answered correctly: the ones the geometric means cover."""
        return [
            s
            for s in self.scenarios
            if all((f.key, s.name) in self.median_us for f in self.frameworks)
        ]

    def geomean(self, framework: Framework) -> float:
        values = [self.median_us[framework.key, s.name] for s in self.common]
        return math.exp(statistics.fmean(math.log(v) for v in values)) if values else math.nan


# ----------------------------------------------------------------------------- selection


def scenario_number(scenario: Scenario) -> int:
    return SCENARIOS.index(scenario) + 1


def pick_scenarios(spec: str | None) -> list[Scenario]:
    if not spec:
        return list(SCENARIOS)
    picked = []
    for item in (part.strip() for part in spec.split(",") if part.strip()):
        found = [
            s for s in SCENARIOS if item in (s.name, str(scenario_number(s)), s.path, s.label)
        ]
        if not found:
            names = ", ".join(f"{scenario_number(s)}={s.name}" for s in SCENARIOS)
            raise SystemExit(f"unknown scenario {item!r}; known: {names}")
        picked.extend(s for s in found if s not in picked)
    return picked


def pick_frameworks(spec: str | None) -> list[tuple[Framework, WSGIApp]]:
    """Load the selected apps. By default a framework that does not import is skipped with
    a warning (Carafe while its core is being written); one asked for by name must load."""
    explicit = bool(spec)
    keys = [k.strip().lower() for k in spec.split(",") if k.strip()] if spec else list(FRAMEWORKS)
    loaded = []
    for key in keys:
        framework = FRAMEWORKS.get(key)
        if framework is None:
            raise SystemExit(f"unknown framework {key!r}; known: {', '.join(FRAMEWORKS)}")
        try:
            app = load(framework)
        except Exception as exc:
            message = f"{framework.title}: cannot load {framework.module} ({exc!r})"
            if explicit:
                raise SystemExit(message) from exc
            print(f"warning: {message}; skipped", file=sys.stderr)
            continue
        loaded.append((framework, app))
    if not loaded:
        raise SystemExit("no framework to run")
    return loaded


# ----------------------------------------------------------------------------- the run


def validate(
    loaded: list[tuple[Framework, WSGIApp]], scenarios: list[Scenario], results: Results
) -> None:
    for framework, app in loaded:
        shared = port_problems() if framework.key == "carafe" else []
        for scenario in scenarios:
            problems = list(shared)
            if not problems:
                try:
                    status, headers, body = call_once(app, scenario)
                except Exception:
                    problems = ["raised:\n" + traceback.format_exc().rstrip()]
                else:
                    problems = check(scenario, status, headers, body)
            if problems:
                results.invalid[framework.key, scenario.name] = problems


def measure(
    loaded: list[tuple[Framework, WSGIApp]], scenarios: list[Scenario], results: Results
) -> None:
    target_ns = int(results.target_ms * 1e6)
    runners: dict[Cell, Runner] = {}
    for framework, app in loaded:
        for scenario in scenarios:
            cell = (framework.key, scenario.name)
            if cell in results.invalid:
                continue
            runner = Runner(app, scenario)
            results.calls[cell] = runner.calibrate(target_ns)
            runners[cell] = runner
    results.overhead_us = harness_overhead_ns(scenarios[0], target_ns, results.rounds) / 1e3

    samples: dict[Cell, list[float]] = {cell: [] for cell in runners}
    keys = [f.key for f, _ in loaded]
    progress = sys.stderr.isatty()
    for round_no in range(results.rounds):
        if progress:
            print(f"\rround {round_no + 1}/{results.rounds}", end="", file=sys.stderr, flush=True)
        gc.collect()
        for index, scenario in enumerate(scenarios):
            # Rotate who goes first so no framework always follows the same neighbour.
            shift = (round_no + index) % len(keys)
            for key in keys[shift:] + keys[:shift]:
                cell = (key, scenario.name)
                if cell in runners:
                    m = results.calls[cell]
                    samples[cell].append(runners[cell](m) / m / 1e3)
    if progress:
        print("\r" + " " * 20 + "\r", end="", file=sys.stderr, flush=True)

    for cell, values in samples.items():
        median = statistics.median(values)
        results.median_us[cell] = median
        results.spread[cell] = (max(values) - min(values)) / median


# ----------------------------------------------------------------------------- reporting


def _us(value: float | None) -> str:
    if value is None:
        return "FAIL"
    return f"{value:.2f}" if value < 100 else f"{value:.1f}"


def _ratio(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.3f}x"


def tables(results: Results) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Header, the µs rows (with the geometric mean) and the ratio rows, as strings."""
    header = ["scenario"] + [f.title for f in results.frameworks]
    base = results.baseline
    us_rows, ratio_rows = [], []
    for s in results.scenarios:
        label = f"{scenario_number(s)}. {s.label}"
        row = [label]
        ratios = [label]
        base_us = results.median_us.get((base.key, s.name))
        for f in results.frameworks:
            value = results.median_us.get((f.key, s.name))
            row.append(_us(value))
            ok = value is not None and base_us is not None
            ratios.append(_ratio(value / base_us if ok else None))  # type: ignore[operator]
        us_rows.append(row)
        ratio_rows.append(ratios)
    geo_label = "geometric mean"
    if len(results.common) != len(results.scenarios):
        geo_label += f" ({len(results.common)} common scenarios)"
    us_rows.append([geo_label] + [_us(results.geomean(f)) for f in results.frameworks])
    base_geo = results.geomean(base)
    ratio_rows.append(
        [geo_label] + [_ratio(results.geomean(f) / base_geo) for f in results.frameworks]
    )
    return header, us_rows, ratio_rows


def one_liners(results: Results) -> list[str]:
    base = results.baseline
    base_geo = results.geomean(base)
    lines = []
    for f in results.frameworks:
        if f is base:
            continue
        ratio = results.geomean(f) / base_geo
        if math.isnan(ratio):
            continue
        verdict = f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower"
        lines.append(
            f"{base.title} vs {f.title}: {_ratio(ratio)} ({f.title} time / {base.title} time,"
            f" geometric mean): {base.title} is {verdict}"
        )
    return lines


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule, *(fmt(r) for r in rows[:-1]), rule, fmt(rows[-1])])


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """The scenario rows, then the last row (the geometric mean) in bold."""

    def label(cell: str) -> str:  # "1. GET /x" -> "1. `GET /x`"
        number, _, rest = cell.partition(". ")
        return f"{number}. `{rest}`"

    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    lines += ["| " + " | ".join([label(row[0]), *row[1:]]) + " |" for row in rows[:-1]]
    lines.append("| " + " | ".join(f"**{cell}**" for cell in rows[-1]) + " |")
    return "\n".join(lines)


def versions(results: Results) -> str:
    parts = []
    for f in results.frameworks:
        for dist in f.dists:
            try:
                parts.append(f"{dist} {version(dist)}")
            except PackageNotFoundError:
                parts.append(f"{dist} (not installed)")
    return ", ".join(parts)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    impl = platform.python_implementation()
    return f"{impl} {platform.python_version()} on {platform.system()} {platform.machine()}, {cpu}"


def command() -> str:
    return shlex.join([".venv/bin/python", "bench/run.py", *sys.argv[1:]])


def print_report(results: Results) -> None:
    header, us_rows, ratio_rows = tables(results)
    base = results.baseline
    print(f"\nmicroseconds per request (median of {results.rounds} rounds; lower is better)")
    print(text_table(header, us_rows))
    print(f"\ntime relative to {base.title} (framework µs / {base.title} µs; above 1 = slower)")
    print(text_table(header, ratio_rows))
    print()
    for line in one_liners(results):
        print(line)
    worst = max(results.spread.items(), key=lambda kv: kv[1], default=None)
    print(
        f"\nharness overhead {results.overhead_us:.2f} µs per call (included in every cell); "
        + (
            f"widest round-to-round spread {worst[1]:.0%} ({worst[0][0]}, {worst[0][1]}); "
            if worst
            else ""
        )
        + f"{results.seconds:.1f} s"
    )
    print("; ".join(filter(None, [machine(), versions(results)])))
    if results.invalid:
        cells = ", ".join(f"{key}/{name}" for key, name in sorted(results.invalid))
        print(f"NOT TIMED (wrong response, details above): {cells}")


def markdown_section(results: Results) -> str:
    header, us_rows, ratio_rows = tables(results)
    base = results.baseline
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        MARK_START,
        "<!-- Written by bench/run.py --markdown; edits between these markers are replaced. -->",
        "",
        f"Measured {stamp} with `{command()}`.",
        f"Machine: {machine()}. Versions: {versions(results)}.",
        f"{results.rounds} rounds, each timing ~{results.target_ms:g} ms of back-to-back calls;"
        f" harness overhead {results.overhead_us:.2f} µs per call, included in every cell.",
        "",
        "Microseconds per request (median; lower is better):",
        "",
        markdown_table(header, us_rows),
        "",
        f"Time relative to {base.title} (framework µs / {base.title} µs; above 1 = slower"
        f" than {base.title}):",
        "",
        markdown_table(header, ratio_rows),
        "",
        *(f"- {line}" for line in one_liners(results)),
    ]
    failed = sorted(results.invalid)
    if failed:
        parts += ["", "Not timed (wrong response): " + ", ".join(f"{k}/{n}" for k, n in failed)]
    parts.append(MARK_END)
    return "\n".join(parts) + "\n"


def write_markdown(path: Path, section: str) -> None:
    text = path.read_text() if path.exists() else ""
    if MARK_START in text and MARK_END in text:
        head, _, rest = text.partition(MARK_START)
        _, _, tail = rest.partition(MARK_END)
        text = head + section.rstrip("\n") + tail
    else:
        text = (text.rstrip("\n") + "\n\n## Latest results\n\n" if text else "") + section
    path.write_text(text)


def write_json(path: Path, results: Results) -> None:
    data = {
        "command": command(),
        "machine": machine(),
        "versions": versions(results),
        "rounds": results.rounds,
        "target_ms": results.target_ms,
        "overhead_us": results.overhead_us,
        "baseline": results.baseline.key,
        "us": {
            f.key: {s.name: results.median_us.get((f.key, s.name)) for s in results.scenarios}
            for f in results.frameworks
        },
        "geomean_us": {f.key: results.geomean(f) for f in results.frameworks},
        "invalid": {f"{k}/{n}": p for (k, n), p in results.invalid.items()},
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds of ~10 ms: a smoke test")
    parser.add_argument(
        "--frameworks",
        help=f"comma-separated, from: {','.join(FRAMEWORKS)} (default: all that import)",
    )
    parser.add_argument(
        "--scenarios",
        help="comma-separated numbers (1-8) or names: "
        + ",".join(s.name for s in SCENARIOS)
        + " (default: all)",
    )
    parser.add_argument("--rounds", type=int, help="timing rounds (default 7, --quick 3)")
    parser.add_argument(
        "--target-ms", type=float, help="length of one timing (default 30, --quick 10)"
    )
    parser.add_argument("--markdown", type=Path, help="write the results into this Markdown file")
    parser.add_argument("--json", type=Path, help="write the results as JSON to this file")
    args = parser.parse_args(argv)

    rounds = args.rounds or (3 if args.quick else 7)
    target_ms = args.target_ms or (10.0 if args.quick else 30.0)
    if rounds < 1 or target_ms <= 0:
        parser.error("--rounds and --target-ms must be positive")
    scenarios = pick_scenarios(args.scenarios)
    loaded = pick_frameworks(args.frameworks)
    results = Results([f for f, _ in loaded], scenarios, rounds, target_ms)

    started = time.perf_counter()
    validate(loaded, scenarios, results)
    for (key, name), problems in sorted(results.invalid.items()):
        print(f"WRONG RESPONSE, not timed: {FRAMEWORKS[key].title} / {name}:", file=sys.stderr)
        for problem in problems:
            print(f"    {problem}", file=sys.stderr)
    total = len(loaded) * len(scenarios)
    print(
        f"validated {total - len(results.invalid)}/{total} responses; timing "
        f"{', '.join(f.title for f in results.frameworks)} x {len(scenarios)} scenarios, "
        f"{rounds} rounds of ~{target_ms:g} ms",
        file=sys.stderr,
    )
    measure(loaded, scenarios, results)
    results.seconds = time.perf_counter() - started

    print_report(results)
    if args.markdown:
        write_markdown(args.markdown, markdown_section(results))
        print(f"results written to {args.markdown}")
    if args.json:
        write_json(args.json, results)
        print(f"results written to {args.json}")
    return 1 if results.invalid else 0


if __name__ == "__main__":
    sys.exit(main())

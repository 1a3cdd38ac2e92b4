"""Per-request cost, in process, of Carafe (WSGI and ASGI), Flask, Falcon (WSGI and ASGI),
Bottle, Starlette, Quart and raw WSGI, on the eight seed scenarios and the extra ones.

    .venv/bin/python bench/run.py                      # everything, 7 rounds
    .venv/bin/python bench/run.py --quick              # 3 short rounds: a smoke test
    .venv/bin/python bench/run.py --frameworks flask,falcon,raw --scenarios 1,json
    .venv/bin/python bench/run.py --seed-only          # the eight seed scenarios only
    .venv/bin/python bench/run.py --markdown docs/benchmarks.md   # + docs/benchmarks.png

Each framework's app (bench/apps/) is called in process as a server would call it: WSGI apps
with an environ and start_response, ASGI apps with a scope, receive and send inside one event
loop. Every response is first checked against the scenario (status, body, key headers); a
framework that answers a scenario wrongly is not timed on it. Rounds interleave the
frameworks so that drift in the machine's speed hits them all alike; each cell is the median
over the rounds of one timing of M back-to-back calls, M calibrated so that a timing lasts
about --target-ms.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
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
from typing import Any

from docs_section import append_section, write_section
from measure import (
    FRAMEWORKS,
    SOURCE_CHECKS,
    App,
    Framework,
    Runner,
    call_any,
    close_event_loop,
    harness_overhead_ns,
    load,
    make_runner,
    thread_hop_floor_us,
)
from scenarios import ALL, NUMBERING, SCENARIOS, Scenario, check

MARK_START = "<!-- bench:results:start -->"
MARK_END = "<!-- bench:results:end -->"

Cell = tuple[str, str]  # (framework key, scenario name)
Loaded = tuple[Framework, dict[str, App]]  # a framework and its apps by module attribute


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
    skipped: set[Cell] = field(default_factory=set)  # makes no sense for the framework
    overhead_us: dict[str, float] = field(default_factory=dict)  # per interface
    hop_us: dict[str, float] = field(default_factory=dict)  # the OS thread round trip
    seconds: float = 0.0

    @property
    def baseline(self) -> Framework:
        keys = [f.key for f in self.frameworks]
        return self.frameworks[keys.index("carafe") if "carafe" in keys else 0]

    def reference(self, framework: Framework) -> Framework:
        """What a framework's ratios are relative to: Carafe ASGI for ASGI frameworks (when
        it ran), Carafe for the others, else the first framework of the run."""
        if framework.is_asgi:
            for f in self.frameworks:
                if f.key == "carafe-asgi":
                    return f
        return self.baseline

    @property
    def seed(self) -> list[Scenario]:
        return [s for s in self.scenarios if s.seed]

    @property
    def extras(self) -> list[Scenario]:
        return [s for s in self.scenarios if not s.seed]

    def common(self, scenarios: list[Scenario]) -> list[Scenario]:
        """Of ``scenarios``, those every framework answered correctly (geometric means)."""
        return [
            s for s in scenarios if all((f.key, s.name) in self.median_us for f in self.frameworks)
        ]

    def geomean(self, framework: Framework, scenarios: list[Scenario] | None = None) -> float:
        chosen = self.common(self.seed if scenarios is None else scenarios)
        values = [self.median_us[framework.key, s.name] for s in chosen]
        return math.exp(statistics.fmean(math.log(v) for v in values)) if values else math.nan

    def us(self, key: str, name: str) -> float | None:
        return self.median_us.get((key, name))


# ----------------------------------------------------------------------------- selection


def scenario_number(scenario: Scenario) -> int:
    return ALL.index(scenario) + 1


def pick_scenarios(spec: str | None, pool: tuple[Scenario, ...] = SCENARIOS) -> list[Scenario]:
    """The scenarios named in ``spec`` (numbers, names, paths or labels), out of ``pool``
    (the seed scenarios unless told otherwise: bench/e2e.py serves only those)."""
    if not spec:
        return list(pool)
    picked: list[Scenario] = []
    for item in (part.strip() for part in spec.split(",") if part.strip()):
        found = [s for s in pool if item in (s.name, str(scenario_number(s)), s.path, s.label)]
        if not found:
            names = ", ".join(f"{scenario_number(s)}={s.name}" for s in pool)
            raise SystemExit(f"unknown scenario {item!r}; known: {names}")
        picked.extend(s for s in found if s not in picked)
    return picked


def pick_frameworks(spec: str | None, scenarios: list[Scenario]) -> list[Loaded]:
    """Load the selected apps. By default a framework that does not import is skipped with
    a warning (one whose package is missing, or Carafe while its core is being written); one
    asked for by name must load."""
    explicit = bool(spec)
    keys = [k.strip().lower() for k in spec.split(",") if k.strip()] if spec else list(FRAMEWORKS)
    loaded = []
    for key in keys:
        framework = FRAMEWORKS.get(key)
        if framework is None:
            raise SystemExit(f"unknown framework {key!r}; known: {', '.join(FRAMEWORKS)}")
        # Only the apps of the scenarios it runs: a framework without sessions has no
        # ``session_app``.
        names = sorted({s.app for s in scenarios if s.name not in framework.skips})
        try:
            apps = {name: load(framework, name) for name in names}
        except Exception as exc:
            message = f"{framework.title}: cannot load {framework.module} ({exc!r})"
            if explicit:
                raise SystemExit(message) from exc
            print(f"warning: {message}; skipped", file=sys.stderr)
            continue
        loaded.append((framework, apps))
    if not loaded:
        raise SystemExit("no framework to run")
    return loaded


# ----------------------------------------------------------------------------- the run


def validate(loaded: list[Loaded], scenarios: list[Scenario], results: Results) -> None:
    for framework, apps in loaded:
        source_check = SOURCE_CHECKS.get(framework.key)
        shared = source_check() if source_check is not None else []
        for scenario in scenarios:
            cell = (framework.key, scenario.name)
            if scenario.name in framework.skips:
                results.skipped.add(cell)
                continue
            problems = list(shared)
            if not problems:
                try:
                    status, headers, body = call_any(framework, apps[scenario.app], scenario)
                except Exception:
                    problems = ["raised:\n" + traceback.format_exc().rstrip()]
                else:
                    problems = check(scenario, status, headers, body)
            if problems:
                results.invalid[cell] = problems


def measure(loaded: list[Loaded], scenarios: list[Scenario], results: Results) -> None:
    target_ns = int(results.target_ms * 1e6)
    runners: dict[Cell, Runner] = {}
    for framework, apps in loaded:
        for scenario in scenarios:
            cell = (framework.key, scenario.name)
            if cell in results.invalid or cell in results.skipped:
                continue
            runner = make_runner(framework, apps[scenario.app], scenario)
            results.calls[cell] = runner.calibrate(target_ns)
            runners[cell] = runner
    for interface in sorted({f.interface for f, _ in loaded}):
        overhead = harness_overhead_ns(scenarios[0], target_ns, results.rounds, interface)
        results.overhead_us[interface] = overhead / 1e3
    results.hop_us = thread_hop_floor_us()

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
    if value is None or math.isnan(value):
        return "FAIL"
    return f"{value:.2f}" if value < 100 else f"{value:,.0f}" if value >= 1000 else f"{value:.1f}"


def _ratio(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.3f}x"


def tables(
    results: Results, scenarios: list[Scenario] | None = None
) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Header, the µs rows (with the geometric mean) and the ratio rows, as strings, for
    ``scenarios`` (the seed ones by default)."""
    scenarios = results.seed if scenarios is None else scenarios
    header = ["scenario"] + [f.title for f in results.frameworks]
    us_rows, ratio_rows = [], []
    for s in scenarios:
        label = f"{scenario_number(s)}. {s.label}"
        row = [label]
        ratios = [label]
        for f in results.frameworks:
            if (f.key, s.name) in results.skipped:
                row.append("n/a")
                ratios.append("n/a")
                continue
            value = results.us(f.key, s.name)
            base_us = results.us(results.reference(f).key, s.name)
            row.append(_us(value))
            ok = value is not None and base_us is not None
            ratios.append(_ratio(value / base_us if ok else None))  # type: ignore[operator]
        us_rows.append(row)
        ratio_rows.append(ratios)
    common = results.common(scenarios)
    geo_label = "geometric mean"
    if len(common) != len(scenarios):
        geo_label += f" ({len(common)} common scenarios)"
    us_rows.append([geo_label] + [_us(results.geomean(f, scenarios)) for f in results.frameworks])
    ratio_rows.append(
        [geo_label]
        + [
            _ratio(
                results.geomean(f, scenarios) / results.geomean(results.reference(f), scenarios)
            )
            for f in results.frameworks
        ]
    )
    return header, us_rows, ratio_rows


def one_liners(results: Results) -> list[str]:
    """Each framework against its reference (Carafe, or Carafe ASGI), seed geometric mean."""
    lines = []
    for f in results.frameworks:
        base = results.reference(f)
        if f is base:
            continue
        ratio = results.geomean(f) / results.geomean(base)
        if math.isnan(ratio):
            continue
        verdict = f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower"
        lines.append(
            f"{base.title} vs {f.title}: {_ratio(ratio)} ({f.title} time / {base.title} time,"
            f" seed geometric mean): {base.title} is {verdict}"
        )
    return lines


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else "met" if ok else "NOT met"


INFO = "(ported sync app, informational)"


def hop_floor(results: Results) -> str:
    """The measured OS thread round trip, as a phrase ("" when it was not measured)."""
    hop = results.hop_us
    if not hop:
        return ""
    return (
        f"thread hop floor: lock ping-pong between two threads {hop['lock_ping_pong']:.1f} µs"
        f" per round trip, bare `await loop.run_in_executor(pool, f)` {hop['run_in_executor']:.1f}"
        " µs (trivial f, on the bench's event loop); medians of 5 timings"
    )


def targets(results: Results) -> list[str]:
    """Issue 4's in-process targets, each with its measured ratio and met / NOT met. Carafe
    ASGI is the async app (carafe_asgi_app.py); the ported sync app (carafe-asgi-sync) gets
    the same ratios as information lines, without a verdict, when it ran."""
    keys = {f.key for f in results.frameworks}
    sync_app = "carafe-asgi-sync"
    lines = []

    def geo(key: str) -> float:
        return results.geomean(FRAMEWORKS[key]) if key in keys else math.nan

    for carafe, falcon in (
        ("carafe", "falcon"),
        ("carafe-asgi", "falcon-asgi"),
        (sync_app, "falcon-asgi"),
    ):
        a, b = FRAMEWORKS[carafe].title, FRAMEWORKS[falcon].title
        ratio = geo(carafe) / geo(falcon)
        if carafe == sync_app:
            if not math.isnan(ratio):
                lines.append(f"{a} time / {b} time = {_ratio(ratio)} (seed geometric mean) {INFO}")
            continue
        ok = None if math.isnan(ratio) else ratio <= 0.8
        lines.append(
            f"{a} time / {b} time = {_ratio(ratio)} (seed geometric mean; target <= 0.8x):"
            f" {_verdict(ok)}"
        )
    for carafe in ("carafe", "carafe-asgi", sync_app):
        a = FRAMEWORKS[carafe].title
        ratio = geo("flask") / geo(carafe)
        if carafe == sync_app:
            if not math.isnan(ratio):
                lines.append(
                    f"Flask time / {a} time = {_ratio(ratio)} (seed geometric mean) {INFO}"
                )
            continue
        ok = None if math.isnan(ratio) else ratio >= 12
        lines.append(
            f"Flask time / {a} time = {_ratio(ratio)} ({a} is that many times faster, seed"
            f" geometric mean; target >= 12x): {_verdict(ok)}"
        )
    for carafe, falcon in (
        ("carafe", "falcon"),
        ("carafe-asgi", "falcon-asgi"),
        (sync_app, "falcon-asgi"),
    ):
        a, b = FRAMEWORKS[carafe].title, FRAMEWORKS[falcon].title
        pairs = [(s, results.us(carafe, s.name), results.us(falcon, s.name)) for s in results.seed]
        measured = [(s, x / y) for s, x, y in pairs if x is not None and y is not None]
        if not measured:
            if carafe != sync_app:
                lines.append(f"no seed scenario slower on {a} than on {b}: not measured")
            continue
        slower = [f"{scenario_number(s)}. {s.label} {r:.2f}x" for s, r in measured if r > 1]
        worst = max(r for _s, r in measured)
        if carafe == sync_app:
            lines.append(
                f"seed scenarios slower on {a} than on {b}: {len(slower)} of {len(measured)}"
                f" (worst {a}/{b} time {worst:.2f}x) {INFO}"
            )
            continue
        lines.append(
            f"no seed scenario slower on {a} than on {b} (worst {a}/{b} time {worst:.2f}x):"
            f" {_verdict(not slower and len(measured) == len(results.seed))}"
            + (f"; slower on {len(slower)}: {', '.join(slower)}" if slower else "")
        )
    sync = results.us("carafe", "hello")
    asyn = results.us("carafe", "async")
    ratio = asyn / sync if sync and asyn else math.nan
    flask = (results.us("flask", "async") or math.nan) / (results.us("flask", "hello") or math.nan)
    lines.append(
        f"Carafe WSGI: async view / the same sync view = {_ratio(ratio)} (scenario 'async' /"
        f" scenario 'hello'; target <= 1.5x):"
        f" {_verdict(None if math.isnan(ratio) else ratio <= 1.5)}"
        + ("" if math.isnan(flask) else f" (Flask: {_ratio(flask)})")
    )
    sync = results.us(sync_app, "hello")
    asyn = results.us("carafe-asgi", "hello")
    ratio = sync / asyn if sync and asyn else math.nan
    extra = sync - asyn if sync and asyn else math.nan
    hop = results.hop_us
    lines.append(
        f"Carafe ASGI: sync view (thread pool) / the same async view = {_ratio(ratio)}"
        f" (scenario 'hello', {FRAMEWORKS[sync_app].title} / {FRAMEWORKS['carafe-asgi'].title};"
        f" target <= 2x): {_verdict(None if math.isnan(ratio) else ratio <= 2)}"
        + ("" if math.isnan(extra) else f", {extra:.1f} µs more per request")
        + (
            f"; the OS thread round trip alone costs {hop['lock_ping_pong']:.1f} µs on this"
            f" machine (lock ping-pong; a bare run_in_executor {hop['run_in_executor']:.1f} µs)"
            if hop
            else ""
        )
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
    parts: list[str] = []
    for f in results.frameworks:
        for dist in f.dists:
            try:
                entry = f"{dist} {version(dist)}"
            except PackageNotFoundError:
                entry = f"{dist} (not installed)"
            if entry not in parts:
                parts.append(entry)
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


RATIO_NOTE = (
    "framework µs / Carafe µs for WSGI frameworks, / Carafe ASGI µs for ASGI ones;"
    " above 1 = slower"
)


def _overhead(results: Results) -> str:
    parts = [f"{k.upper()} {v:.2f} µs" for k, v in sorted(results.overhead_us.items())]
    return "harness overhead per call " + ", ".join(parts) + " (included in every cell)"


def print_report(results: Results) -> None:
    floor = hop_floor(results)
    if floor:
        print(f"\n{floor.replace('`', '')}")
    for title, scenarios in (
        ("seed scenarios", results.seed),
        ("extra scenarios", results.extras),
    ):
        if not scenarios:
            continue
        header, us_rows, ratio_rows = tables(results, scenarios)
        print(
            f"\n{title}: microseconds per request (median of {results.rounds} rounds;"
            " lower is better)"
        )
        print(text_table(header, us_rows))
        print(f"\n{title}: time relative to Carafe ({RATIO_NOTE})")
        print(text_table(header, ratio_rows))
    print()
    for line in one_liners(results):
        print(line)
    print("\nissue 4 targets:")
    for line in targets(results):
        print(f"  {line}")
    worst = max(results.spread.items(), key=lambda kv: kv[1], default=None)
    print(
        f"\n{_overhead(results)}; "
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


# ----------------------------------------------------------------------------- chart


# One colour per framework family; its ASGI flavour is the same colour, hatched (Carafe ASGI
# with sync views has its own colour, so it stands apart from the async app).
CHART_COLOURS = {
    "carafe": "tab:blue",
    "carafe-asgi-sync": "tab:cyan",
    "flask": "tab:orange",
    "falcon": "tab:green",
    "bottle": "tab:red",
    "raw": "tab:gray",
    "starlette": "tab:purple",
    "quart": "tab:olive",
}


def write_chart(path: Path, results: Results) -> bool:
    """A bar chart of the seed scenarios (µs per request, log scale) per framework."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("warning: matplotlib is not installed (make bench installs it); no chart")
        return False
    scenarios = results.seed
    labels = [f"{scenario_number(s)}. {s.label}" for s in scenarios] + ["geometric mean"]
    frameworks = results.frameworks
    width = 0.84 / len(frameworks)
    fig, ax = plt.subplots(figsize=(max(10, 1.5 * len(labels)), 6.2), dpi=110)
    for index, f in enumerate(frameworks):
        values = [results.us(f.key, s.name) or 0.0 for s in scenarios]
        geo = results.geomean(f)
        values.append(0.0 if math.isnan(geo) else geo)
        xs = [i + (index - (len(frameworks) - 1) / 2) * width for i in range(len(labels))]
        ax.bar(
            xs,
            values,
            width,
            label=f.title,
            color=CHART_COLOURS.get(
                f.key, CHART_COLOURS.get(f.key.split("-")[0], f"C{index % 10}")
            ),
            hatch="//" if f.is_asgi else None,
            edgecolor="white",
            linewidth=0,
        )
    ax.set_yscale("log")
    ax.set_ylabel("µs per request (log scale; lower is better)")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=20, ha="right", fontsize=9)
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(
        ncol=min(5, len(frameworks)),
        fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
        frameon=False,
    )
    ax.set_title(
        "Per-request cost in process, seed scenarios (hatched: ASGI), median of"
        f" {results.rounds} rounds",
        fontsize=11,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return True


# ----------------------------------------------------------------------------- markdown


def markdown_section(results: Results, chart: str | None = None) -> str:
    """The section between the markers; ``chart`` is the chart's path relative to the file."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        MARK_START,
        "<!-- Written by bench/run.py --markdown; edits between these markers are replaced. -->",
        "",
        f"Measured {stamp} with `{command()}`.",
        f"Machine: {machine()}. Versions: {versions(results)}.",
        f"{results.rounds} rounds, each timing ~{results.target_ms:g} ms of back-to-back calls;"
        f" {_overhead(results)}.",
    ]
    floor = hop_floor(results)
    if floor:
        parts.append(floor[0].upper() + floor[1:] + ".")
    parts.append("")
    if chart is not None:
        parts += [f"![Per-request cost of the seed scenarios]({chart})", ""]
    parts += ["Issue 4 targets (in process):", ""]
    parts += [f"- {line}" for line in targets(results)]
    parts.append("")
    for title, scenarios in (
        ("Seed scenarios (the targets are on these)", results.seed),
        ("Extra scenarios", results.extras),
    ):
        if not scenarios:
            continue
        header, us_rows, ratio_rows = tables(results, scenarios)
        parts += [
            f"### {title}",
            "",
            "Microseconds per request (median; lower is better):",
            "",
            markdown_table(header, us_rows),
            "",
            f"Time relative to Carafe ({RATIO_NOTE}):",
            "",
            markdown_table(header, ratio_rows),
            "",
        ]
    parts += [f"- {line}" for line in one_liners(results)]
    failed = sorted(results.invalid)
    if failed:
        parts += ["", "Not timed (wrong response): " + ", ".join(f"{k}/{n}" for k, n in failed)]
    parts.append(MARK_END)
    return "\n".join(parts) + "\n"


def write_markdown(path: Path, section: str) -> None:
    """Replace our section between its markers; else append it under a "Latest results" heading."""
    write_section(
        path,
        MARK_START,
        MARK_END,
        section,
        lambda text: append_section(text, section, "## Latest results\n\n"),
    )


def write_json(path: Path, results: Results) -> None:
    def cells(scenarios: list[Scenario]) -> dict[str, Any]:
        return {
            f.key: {s.name: results.us(f.key, s.name) for s in scenarios}
            for f in results.frameworks
        }

    data = {
        "command": command(),
        "machine": machine(),
        "versions": versions(results),
        "rounds": results.rounds,
        "target_ms": results.target_ms,
        "overhead_us": results.overhead_us,
        "thread_hop_us": results.hop_us,
        "baseline": results.baseline.key,
        "interfaces": {f.key: f.interface for f in results.frameworks},
        "us": cells(results.scenarios),
        "geomean_us": {f.key: results.geomean(f) for f in results.frameworks},
        "extras_geomean_us": {
            f.key: results.geomean(f, results.extras) for f in results.frameworks
        },
        "targets": targets(results),
        "skipped": sorted(f"{k}/{n}" for k, n in results.skipped),
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
        help=f"comma-separated numbers ({NUMBERING}) or names: "
        + ",".join(s.name for s in ALL)
        + " (default: all)",
    )
    parser.add_argument(
        "--seed-only", action="store_true", help="only the eight seed scenarios (no extras)"
    )
    parser.add_argument("--rounds", type=int, help="timing rounds (default 7, --quick 3)")
    parser.add_argument(
        "--target-ms", type=float, help="length of one timing (default 30, --quick 10)"
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        help="write the results into this Markdown file, and the chart beside it (.png)",
    )
    parser.add_argument(
        "--chart", type=Path, help="write the bar chart (PNG) here (default: beside --markdown)"
    )
    parser.add_argument("--json", type=Path, help="write the results as JSON to this file")
    args = parser.parse_args(argv)

    rounds = args.rounds or (3 if args.quick else 7)
    target_ms = args.target_ms or (10.0 if args.quick else 30.0)
    if rounds < 1 or target_ms <= 0:
        parser.error("--rounds and --target-ms must be positive")
    scenarios = pick_scenarios(args.scenarios, SCENARIOS if args.seed_only else ALL)
    loaded = pick_frameworks(args.frameworks, scenarios)
    results = Results([f for f, _ in loaded], scenarios, rounds, target_ms)

    started = time.perf_counter()
    try:
        validate(loaded, scenarios, results)
        for (key, name), problems in sorted(results.invalid.items()):
            print(f"WRONG RESPONSE, not timed: {FRAMEWORKS[key].title} / {name}:", file=sys.stderr)
            for problem in problems:
                print(f"    {problem}", file=sys.stderr)
        total = len(loaded) * len(scenarios) - len(results.skipped)
        print(
            f"validated {total - len(results.invalid)}/{total} responses; timing "
            f"{', '.join(f.title for f in results.frameworks)} x {len(scenarios)} scenarios, "
            f"{rounds} rounds of ~{target_ms:g} ms",
            file=sys.stderr,
        )
        measure(loaded, scenarios, results)
    finally:
        close_event_loop()
    results.seconds = time.perf_counter() - started

    print_report(results)
    chart = args.chart or (args.markdown.with_suffix(".png") if args.markdown else None)
    if chart is not None and results.seed:
        if write_chart(chart, results):
            print(f"chart written to {chart}")
        else:
            chart = None
    if args.markdown:
        link = os.path.relpath(chart.resolve(), args.markdown.resolve().parent) if chart else None
        write_markdown(args.markdown, markdown_section(results, link))
        print(f"results written to {args.markdown}")
    if args.json:
        write_json(args.json, results)
        print(f"results written to {args.json}")
    return 1 if results.invalid else 0


if __name__ == "__main__":
    sys.exit(main())

"""Run Flask's own test suite against Carafe (``make flask-suite``).

Fetches the ``flask`` sdist of the Flask version Carafe follows from PyPI (into
``build/flask-suite``, never committed), runs its ``tests/`` with ``flask`` aliased
to Carafe (:mod:`carafe.flask_compat`, forced past the real Flask installed for the
comparison tests), and prints a table per test file and one total line.

Usage: ``python scripts/flask_suite.py [--junit FILE] [pytest args...]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "flask-suite"
# The Flask release whose suite runs: the one the comparison tests install (pyproject).
FLASK_VERSION = "3.1.3"
FLASK_SPEC = f"flask=={FLASK_VERSION}"

# Loaded by pytest before Flask's conftest imports flask.
PLUGIN = """\
import os

import flask_suite_notset  # noqa: F401

os.environ["CARAFE_REPLACE_FLASK"] = "1"
import carafe.flask_compat  # noqa: E402
"""
# Flask 3.1's tests name pytest's old spelling of NOTSET, gone from pytest 8.4.
NOTSET_SHIM = """\
import _pytest.monkeypatch

if not hasattr(_pytest.monkeypatch, "notset"):
    _pytest.monkeypatch.notset = _pytest.monkeypatch.NOTSET
"""


def fetch() -> Path:
    """The unpacked sdist's folder (downloaded on first use)."""
    WORK.mkdir(parents=True, exist_ok=True)
    source = WORK / f"flask-{FLASK_VERSION}"
    if (source / "tests").is_dir():
        return source
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--dest",
            str(WORK),
            FLASK_SPEC,
        ],
        check=True,
    )
    with tarfile.open(WORK / f"flask-{FLASK_VERSION}.tar.gz") as tar:
        tar.extractall(WORK, filter="data")
    return source


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--junit", type=Path, default=WORK / "results.xml")
    args, pytest_args = parser.parse_known_args()
    source = fetch()
    (WORK / "carafe_as_flask.py").write_text(PLUGIN)
    (WORK / "flask_suite_notset.py").write_text(NOTSET_SHIM)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "carafe_as_flask",
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(source),
        "-o",
        "filterwarnings=",
        "--continue-on-collection-errors",
        "--timeout=30",
        f"--junitxml={args.junit}",
        str(source / "tests"),
        *pytest_args,
    ]
    env_path = f"{WORK}:{ROOT / 'src'}"
    # Flask's app.run() tests patch Werkzeug's run_simple; Carafe's app.run() would
    # start a real server and keep port 5000: told it runs under the CLI, it returns.
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        command,
        cwd=source,
        env={**os.environ, "PYTHONPATH": env_path, "CARAFE_RUN_FROM_CLI": "true"},
        check=False,
        stdout=subprocess.DEVNULL,
    )
    return report(args.junit, collected(source))


def collected(source: Path) -> Counter[str]:
    """Flask's tests per file, as Flask itself collects them (the denominator: a file
    that cannot even be collected on Carafe counts all its tests as failed)."""
    listing = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "flask_suite_notset",
            "tests",
        ],
        cwd=source,
        env={**os.environ, "PYTHONPATH": str(WORK)},
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return Counter(Path(line.split("::")[0]).stem for line in listing.splitlines() if "::" in line)


def report(junit: Path, expected: Counter[str]) -> int:
    """Print passed / failed / skipped per test file and the total; 0 always (a report)."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in expected}
    tree = ElementTree.parse(junit)  # noqa: S314 - pytest's own report
    for case in tree.getroot().iter("testcase"):
        parts = (case.get("classname") or "").split(".")
        if len(parts) < 2:
            continue  # a file that failed to collect: its tests count as failed below
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "skipped"
        counts.setdefault(parts[1], Counter())[outcome] += 1
    total: Counter[str] = Counter()
    print(f"{'file':<28} {'tests':>6} {'passed':>7} {'failed':>7} {'skipped':>8}")
    for name in sorted(counts):
        row = counts[name]
        tests = max(expected.get(name, 0), sum(row.values()))
        row["failed"] = tests - row["passed"] - row["skipped"]
        row["tests"] = tests
        total.update(row)
        print(f"{name:<28} {tests:>6} {row['passed']:>7} {row['failed']:>7} {row['skipped']:>8}")
    share = 100 * total["passed"] / total["tests"] if total["tests"] else 0.0
    print(
        f"total: {total['tests']} tests, {total['passed']} passed ({share:.1f}%),"
        f" {total['failed']} failed or not collected, {total['skipped']} skipped"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

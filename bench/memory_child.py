"""The child process of bench/memory.py: one framework's seed app, its RSS over N requests.

    .venv/bin/python bench/memory_child.py carafe apps.carafe_app "" 200000   # one JSON line

In a fresh interpreter it imports the app's module first, with nothing else loaded (only
``gc``, ``os``, ``sys``, ``time``): the RSS then is the idle RSS, what ``python`` plus the app
costs after start-up. Then it imports the harness (bench/measure.py, bench/scenarios.py),
checks each seed response once, and takes the RSS again: the start of the run. Then it
answers the requests in process, cycling the eight seed scenarios (25 of each in turn), and
takes the RSS at checkpoints, each after a ``gc.collect()``.
"""

from __future__ import annotations

import gc
import os
import sys
import time

BLOCK = 25  # requests of one scenario in a row, then the next scenario
WARM = 1_000  # the checkpoint after which every lazy import and cache should be in


def current_rss() -> int:
    """This process's resident set size in bytes (/proc; else the peak, from getrusage)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return peak_rss()


def peak_rss() -> int:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def run(key: str, module: str, attribute: str, requests: int) -> dict[str, object]:
    gc.collect()
    bare = current_rss()
    t0 = time.perf_counter()
    app = __import__(module, fromlist=["app"]).app
    if attribute:
        app = getattr(app, attribute)
    import_ms = (time.perf_counter() - t0) * 1e3
    gc.collect()
    idle = current_rss()

    from measure import FRAMEWORKS, call_any, close_event_loop, make_runner
    from scenarios import SCENARIOS, check

    framework = FRAMEWORKS[key]
    try:
        runners = []
        for scenario in SCENARIOS:
            status, headers, body = call_any(framework, app, scenario)
            problems = check(scenario, status, headers, body)
            if problems:
                return {"error": f"{scenario.name}: {'; '.join(problems)}"}
            runners.append(make_runner(framework, app, scenario))
        done = len(SCENARIOS)
        gc.collect()
        checkpoints: list[tuple[int, int]] = [(done, current_rss())]
        every = max(requests // 10, BLOCK * len(runners))
        for mark in sorted({WARM, *range(every, requests + 1, every), requests}):
            while done < mark:
                for runner in runners:
                    runner.run(BLOCK)
                done += BLOCK * len(runners)
            gc.collect()
            checkpoints.append((done, current_rss()))
    finally:
        close_event_loop()
    return {
        "bare": bare,
        "idle": idle,
        "import_ms": import_ms,
        "checkpoints": checkpoints,
        "peak": peak_rss(),
    }


def main() -> int:
    key, module, attribute, requests = sys.argv[1:5]
    result = run(key, module, attribute, int(requests))
    import json

    print(json.dumps(result))
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())

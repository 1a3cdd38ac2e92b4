# The two commands of the README: `make run` serves the seed app, `make test` checks everything
# (Debian packages the tests need included).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test system-packages lint typecheck contracts unit compiled generate fuzz flask-suite flask-names bench bench-e2e bench-instructions clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The package's build inputs: a change to the C leaf functions rebuilds them in place.
BUILD_INPUTS := pyproject.toml setup.py src/carafe/http/_speedups.c

# Runtime install: the package and its dependencies only.
$(VENV)/.run-installed: $(BIN)/python $(BUILD_INPUTS)
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# Development install: test, lint and comparison dependencies too.
$(VENV)/.dev-installed: $(BIN)/python $(BUILD_INPUTS)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.run-installed

# The Debian packages the end-to-end tests run for real (curl as a client, nginx as the
# proxy in front), installed when missing (apt-get; sudo when not root).
SYSTEM_PACKAGES := curl:/usr/bin/curl nginx:/usr/sbin/nginx

system-packages:
	@missing=""; for entry in $(SYSTEM_PACKAGES); do \
		[ -x "$${entry#*:}" ] || missing="$$missing $${entry%%:*}"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		echo "installing Debian packages:$$missing"; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# The compiled build, as a wheel built with CARAFE_MYPYC=1 has it (setup.py): the request
# path's modules compiled by mypyc from the same typed source, and the C leaf functions.
# Installed apart, into build/compiled (never over src/, which the editable install serves):
# PYTHONPATH=build/compiled runs it. Needs mypy and setuptools (the `build` extra).
COMPILED := build/compiled
SOURCES := $(shell find src -name '*.py' -o -name '*.c' -o -name '*.pyi')

$(VENV)/.build-installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[build]'
	touch $@

# setuptools' own build folders are removed before and after, so that a later plain
# `pip install .` from this tree cannot pick up a compiled module left in them.
SETUPTOOLS_BUILD := build/lib.* build/temp.* build/bdist.* build/mypyc

$(COMPILED)/.built: $(VENV)/.run-installed $(VENV)/.build-installed $(SOURCES) $(BUILD_INPUTS)
	rm -rf $(COMPILED) $(SETUPTOOLS_BUILD)
	CARAFE_MYPYC=1 $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --target $(COMPILED) .
	rm -rf $(SETUPTOOLS_BUILD)
	touch $@

compiled: $(COMPILED)/.built

# The seed app on the embedded server, from the compiled build.
run: $(COMPILED)/.built
	PYTHONPATH=$(CURDIR)/$(COMPILED) $(BIN)/carafe --app examples.seeds.app run --host 127.0.0.1 --port 5000

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check setup.py src tests bench examples fuzz scripts
	$(BIN)/ruff format --check setup.py src tests bench examples fuzz scripts

# tests/type_check: views, hooks and handlers typed as Flask apps type them, accepted.
typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy --strict src
	$(BIN)/mypy --strict tests/type_check
	cd bench && ../$(BIN)/mypy --config-file ../pyproject.toml --strict *.py

# Three times: from source with the C leaf functions (src/carafe/http/_speedups.c); in pure
# Python, as Carafe runs where they could not be built; and on the compiled build (mypyc),
# which CARAFE_EXPECT_COMPILED makes the suite check it is really running.
unit: $(VENV)/.dev-installed $(COMPILED)/.built
	$(BIN)/python -m pytest -q
	CARAFE_NO_SPEEDUPS=1 $(BIN)/python -m pytest -q
	CARAFE_EXPECT_COMPILED=1 PYTHONPATH=$(CURDIR)/$(COMPILED) $(BIN)/python -m pytest -q

# The layer contracts ([tool.importlinter] in pyproject.toml): imports point down only.
contracts: $(VENV)/.dev-installed
	$(BIN)/lint-imports

test: system-packages lint typecheck contracts unit

# The synchronous request pipeline, generated from the one written for the event loop
# (src/carafe/pipeline.py -> src/carafe/_pipeline_sync.py; tests/test_pipeline.py checks it).
generate: $(VENV)/.dev-installed
	$(BIN)/python scripts/unasync_pipeline.py

# Fuzzing, not part of make test (~7 minutes; fuzz/README.md): the compiled speedups' random
# differential tests at 250x their make-test rounds on a new seed; every coverage-guided
# harness of fuzz/ (atheris, installed when missing) for FUZZ_SECONDS each; then the speedups
# built with AddressSanitizer and UndefinedBehaviorSanitizer into build/fuzz/sanitized/ (never
# src/), their tests and differential harness run against that build. Fails on any crash.
FUZZ_SECONDS ?= 30

# Flask's own test suite with `flask` aliased to Carafe: the sdist is fetched from PyPI
# into build/flask-suite (never committed); prints a table per test file and the total.
flask-suite: $(VENV)/.dev-installed
	$(BIN)/python scripts/flask_suite.py

# docs/flask-names.md: every public name of Flask's modules and whether Carafe has it
# (tests/test_flask_names.py fails when the page is out of date).
flask-names: $(VENV)/.dev-installed
	$(BIN)/python scripts/flask_names.py

fuzz: $(VENV)/.dev-installed
	CARAFE_FUZZ_ROUNDS=250 CARAFE_FUZZ_SEED=$$(date +%s) $(BIN)/python -m pytest -q -k "fuzz or matches_python" tests/test_speedups.py
	@$(BIN)/python -c "import atheris" 2>/dev/null || $(BIN)/python -m pip install --quiet atheris
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python fuzz/run_all.py
	$(BIN)/python fuzz/sanitized.py build
	$(BIN)/python fuzz/sanitized.py run $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_speedups.py
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python fuzz/sanitized.py run $(BIN)/python fuzz/run_all.py speedups

# Bench install: the development one plus the `bench` extra (Starlette, Quart, matplotlib, ...).
$(VENV)/.bench-installed: $(VENV)/.dev-installed $(BUILD_INPUTS)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

# In process (all frameworks, seed and extra scenarios; tables and chart into docs/), then
# start-up and memory. Extra options: make bench BENCH_ARGS="--quick" MEMORY_ARGS="--quick".
# Carafe is measured from its compiled build (what a wheel ships); BENCH_PATH= measures the
# source tree instead (add CARAFE_NO_SPEEDUPS=1 for pure Python).
BENCH_PATH ?= $(CURDIR)/$(COMPILED)

bench: $(VENV)/.bench-installed $(COMPILED)/.built
	PYTHONPATH=$(BENCH_PATH) $(BIN)/python bench/run.py --markdown docs/benchmarks.md $(BENCH_ARGS)
	PYTHONPATH=$(BENCH_PATH) $(BIN)/python bench/memory.py --markdown docs/benchmarks.md $(MEMORY_ARGS)

# End to end: real servers on loopback under wrk (Debian package, installed when missing).
# Extra options: make bench-e2e E2E_ARGS="--quick" (see .venv/bin/python bench/e2e.py --help).
bench-e2e: $(VENV)/.dev-installed $(COMPILED)/.built
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && $$SUDO apt-get install -y wrk; }
	@$(BIN)/python -c "import gunicorn" 2>/dev/null || $(BIN)/python -m pip install --quiet gunicorn
	PYTHONPATH=$(BENCH_PATH) $(BIN)/python bench/e2e.py --markdown docs/benchmarks.md $(E2E_ARGS)

# Soak: the seed app on `carafe run` under 64 keep-alive connections for 60 s, over WSGI then
# ASGI; fails on any error, unexpected status or body, or RSS growth of 5% or more (~2.5 min).
# Extra options: make soak SOAK_ARGS="--seconds 300 --workers 2" (see bench/soak.py --help).
.PHONY: soak
soak: $(VENV)/.run-installed
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

# CPU instructions per request under valgrind's callgrind: repeatable where times are not
# (~20 s per framework x scenario, 2 at a time). Needs valgrind (apt-get install valgrind).
# Extra options: make bench-instructions INSTR_ARGS="--seed-only" (see bench/instructions.py --help).
bench-instructions: $(VENV)/.bench-installed $(COMPILED)/.built
	PYTHONPATH=$(BENCH_PATH) $(BIN)/python bench/instructions.py --markdown docs/benchmarks.md $(INSTR_ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache src/carafe/*.so src/carafe/http/*.so

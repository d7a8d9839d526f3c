# CTA Transit Status: the two commands of a fresh machine are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Wheels are cached in a git-ignored folder so that a second setup needs no network.
PIP_CACHE := .cache/pip

.PHONY: setup jars system-packages run test test-unit bench soak soak-memory lint format platform-up platform-down clean diagram

# The jars are cached by a hash of their inputs: a second `make setup` does not call Maven.
setup: $(VENV)/.installed jars system-packages

jars: $(VENV)/.installed
	$(PY) -m stack jars

# Programs from the system's package manager (the compose client the tests use), installed when root.
system-packages: $(VENV)/.installed
	$(PY) -m stack.platform.system_packages

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: install python3.11.")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --cache-dir $(PIP_CACHE) -r requirements-dev.txt
	$(PY) -m pip install --quiet --cache-dir $(PIP_CACHE) --no-deps --editable .
	touch $@

run: setup
	$(PY) run.py

# Two processes: the session platform's tests in one, the private platforms' and unit tests in the
# other (tests/conftest.py); TEST_WORKERS=0 runs everything in one process, in file order.
TEST_WORKERS ?= 2
test: setup
	$(PY) -m pytest $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS))

# The fast tier: tests that need no platform (codecs, request parsing, models), in seconds.
test-unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit

# Every benchmark, then the README's table rewritten from the tracked bench/results.json (even when one failed).
bench: setup
	$(PY) -m bench; status=$$?; $(PY) -m bench.report; exit $$status

# The four classic commands in all 24 orders with random gaps, and the time to a full page (about 40 min;
# SOAK_ARGS="--orders 4 --gap-max 10" shortens it). Results in bench/soak_orders.json.
soak: setup
	$(PY) -m bench.soak_orders $(SOAK_ARGS)

# `make run` for 30 min at five times its pace, every process's memory sampled (MINUTES=3 to try it).
# Results in bench/soak_memory.json and images/soak_memory.svg.
MINUTES ?= 30
soak-memory: setup
	$(PY) -m bench.soak_memory --minutes $(MINUTES)

# ruff, and the dependency rules of docs/architecture.md (import contracts in pyproject.toml).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo --cache-dir .cache/import-linter

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

platform-up: setup
	$(PY) -m stack up

platform-down: setup
	$(PY) -m stack down

# The architecture picture of the README, drawn by Graphviz (apt-get install graphviz); not part of CI.
diagram: images/diagram.png

images/diagram.png: images/diagram.dot
	@command -v dot > /dev/null || { echo "Graphviz is needed to draw the diagram: apt-get install graphviz."; exit 1; }
	dot -Tpng -Gdpi=110 -o $@ $<

clean: platform-down
	rm -rf .data

# CTA Transit Status: the two commands of a fresh machine are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Wheels are cached in a git-ignored folder so that a second setup needs no network.
PIP_CACHE := .cache/pip

.PHONY: setup jars browser run test test-unit bench lint format platform-up platform-down clean

# The jars are cached by a hash of their inputs: a second `make setup` does not call Maven.
setup: $(VENV)/.installed jars browser

jars: $(VENV)/.installed
	$(PY) -m stack jars

# The status page's browser test drives Debian's headless Chromium: installed here when missing and
# this runs as root, else one line says what to install (the test is then skipped).
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else \
		echo "The browser test needs Chromium: install the Debian packages chromium and chromium-driver (as root)."; \
	fi

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: install python3.11.")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --cache-dir $(PIP_CACHE) -r requirements-dev.txt
	$(PY) -m pip install --quiet --cache-dir $(PIP_CACHE) --no-deps --editable .
	touch $@

run: setup
	$(PY) run.py

test: setup
	$(PY) -m pytest

# The fast tier: tests that need no platform (codecs, request parsing, models), in seconds.
test-unit: $(VENV)/.installed
	$(PY) -m pytest -m "not platform"

bench: setup
	$(PY) -m bench

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

platform-up: setup
	$(PY) -m stack up

platform-down: setup
	$(PY) -m stack down

clean: platform-down
	rm -rf .data

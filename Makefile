# The project's own set-up: everything beyond Python 3.11 and make is installed from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BUSES ?= 9000
DAYS ?= 1

.PHONY: install demo test lint

$(BIN)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	# an editable install compiles none of our own modules: do it once, not on every command
	$(BIN)/python -m compileall -q fleet_platform asset_register platform_shared
	touch $@

install: $(BIN)/.installed

## Land a realistic day for $(BUSES) buses, process it, print what came out and where;
## then sync today's asset register (seeded demo register → embedded central register).
demo: install
	$(BIN)/fleet-platform simulate --buses $(BUSES) --days $(DAYS)
	$(BIN)/fleet-platform process
	$(BIN)/asset-register sync

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## Lint, then every test (services the tests need are started by the tests; Chromium, for
## the browser tests, is installed from Debian's packages when missing).
test: lint
	sh scripts/ensure_chromium.sh
	$(BIN)/dagster definitions validate -w workspace.yaml
	$(BIN)/pytest -n 2 -m "not ui"
	$(BIN)/pytest -m ui

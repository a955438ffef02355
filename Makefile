# The README's two commands, `make run` and `make test`, work on a fresh Debian machine with
# Python 3.11+, node and npm. `make test` installs what the tests need (Debian's chromium, pip
# packages, npm web-ext) when it is missing; `.ci/run` calls it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
WEB_EXT := $(TOOLS)/node_modules/.bin/web-ext
WEB_EXT_VERSION := 10.7.0

.PHONY: run install install-test test lint lint-extension bench

$(BIN)/python:
	$(PY) -m venv $(VENV)

# The package (editable) and its runtime dependencies.
install: $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -e .

# Starts the companion on 127.0.0.1:17655; on a fresh machine it first creates the vault (asking
# for a new master password), then prints how to load the extension and pair it.
run: install
	$(BIN)/otpc serve

# Test tools (and the team extra: tests/team start a throwaway PostgreSQL with Debian's initdb,
# as the postgres user when run as root); Debian's chromium for the browser tests (never a browser download).
install-test: $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test,team]'
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the end-to-end tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

$(WEB_EXT):
	npm install --prefix $(TOOLS) --no-audit --no-fund --silent web-ext@$(WEB_EXT_VERSION)

lint: install-test
	$(BIN)/ruff check companion tests bench

# Mozilla's linter on the extension: fails on any error (the three warnings are Chromium-only keys).
lint-extension: $(WEB_EXT)
	$(WEB_EXT) lint --source-dir extension --no-config-discovery

# Everything CI runs: ruff, web-ext lint, the Python suite (unit, vault, CLI, server, import,
# end-to-end in headless Chromium) and the JS unit tests.
test: install-test lint lint-extension
	$(BIN)/python -m pytest -q
	node --test tests/js/

# Benchmarks print figures (the README quotes them); wrk drives the 64-connection API load.
bench: install-test
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/vault_scale.py
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/api_load.py
	$(BIN)/python bench/cli_startup.py
	$(BIN)/python bench/popup_latency.py
	$(BIN)/python bench/team_sync.py

# The two commands of the README. Both work on a fresh Debian machine with Python 3.11+ and node.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test lint bench

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Installs the package (editable) and its runtime dependencies.
install: $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -e .

# Adds the test tools; Debian's chromium for the browser tests (never a browser download).
install-test: $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the end-to-end tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Sets up, creates the vault on first run (asks for a master password), then runs the companion.
run: install
	@$(BIN)/otpc status-or-init
	$(BIN)/otpc serve

lint: install-test
	$(BIN)/ruff check companion tests bench

# Everything CI runs: lint, the Python suite (unit, vault, CLI, server, import, e2e), the JS suite.
test: install-test lint
	$(BIN)/python -m pytest -q
	node --test tests/js/

bench: install
	$(BIN)/python bench/vault_scale.py

# The README's two commands, `make run` and `make test`, work on a fresh Debian machine with
# Python 3.11+, node and npm. `make test` installs what the tests need (Debian's chromium, pip
# packages, npm web-ext) when it is missing; `.ci/run` calls it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
WEB_EXT := $(TOOLS)/node_modules/.bin/web-ext
WEB_EXT_VERSION := 10.7.0
PUPPETEER := $(TOOLS)/node_modules/puppeteer-core
PUPPETEER_VERSION := 24.43.1

.PHONY: run on-path install install-test constraints test-fast install-firefox test test-firefox lint lint-extension bench extension

$(BIN)/python:
	$(PY) -m venv $(VENV)

# The package (editable) and its runtime dependencies, at the versions of constraints.txt. pip shows
# its progress (a first install downloads for a minute or two).
install: $(BIN)/python
	@echo "Installing otpc and its dependencies into $(VENV)/ (pinned by constraints.txt) ..."
	$(BIN)/pip install --disable-pip-version-check --progress-bar on -c constraints.txt -e .

# Starts the companion on 127.0.0.1:17655; on a fresh machine it first creates the vault (asking
# for a new master password), then prints how to load the extension and pair it.
run: install on-path
	$(BIN)/otpc serve

# So that the next command a user types in another terminal (`otpc pair`) works: a symlink in
# ~/.local/bin when that folder is on PATH (never replacing another otpc there), else the exact
# export line to type. Nothing is written outside the checkout in the second case.
OTPC_ABS := $(abspath $(BIN))/otpc
LOCAL_BIN ?= $(HOME)/.local/bin
on-path:
	@found="$$(command -v otpc 2>/dev/null)"; link="$(LOCAL_BIN)/otpc"; \
	if [ -n "$$found" ] && [ "$$found" -ef "$(OTPC_ABS)" ]; then \
	  echo "otpc is on your PATH ($$found)."; \
	elif case ":$$PATH:" in *":$(LOCAL_BIN):"*) true;; *) false;; esac \
	     && { [ ! -e "$$link" ] && [ ! -L "$$link" ]; }; then \
	  ln -s "$(OTPC_ABS)" "$$link" && echo "Linked $$link -> $(OTPC_ABS): otpc works in every terminal."; \
	else \
	  echo "To use otpc in another terminal, type there first:"; \
	  echo "  export PATH=\"$(abspath $(BIN)):\$$PATH\""; \
	fi

# Test tools (and the team extra: tests/team start a throwaway PostgreSQL with Debian's initdb,
# as the postgres user when run as root); Debian's chromium for the browser tests (never a browser download);
# Debian's xvfb and xclip: `otpc code -c` is tested on a real (headless) X clipboard.
install-test: $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test,team]'
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the end-to-end tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v Xvfb >/dev/null 2>&1 && command -v xclip >/dev/null 2>&1 || { \
	  echo "installing Debian's xvfb and xclip for the clipboard tests (otpc code -c)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb xclip >/dev/null; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql for the team tests (a throwaway cluster per run)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# Re-pin constraints.txt from what the test venv holds (run after changing dependencies).
constraints: install-test
	{ sed -n '1,3p' constraints.txt; $(BIN)/pip freeze --disable-pip-version-check --exclude-editable \
	  | grep -v '^otp-companion'; } > constraints.txt.new && mv constraints.txt.new constraints.txt

$(WEB_EXT):
	npm install --prefix $(TOOLS) --no-audit --no-fund --silent web-ext@$(WEB_EXT_VERSION)

# Firefox end-to-end: Debian's firefox-esr (never a browser download) and puppeteer-core (WebDriver
# BiDi; PUPPETEER_SKIP_DOWNLOAD keeps it from fetching a browser), pinned, under .tools/.
$(PUPPETEER):
	PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix $(TOOLS) --no-audit --no-fund --silent \
	  web-ext@$(WEB_EXT_VERSION) puppeteer-core@$(PUPPETEER_VERSION)

install-firefox: install-test $(PUPPETEER)
	@command -v firefox-esr >/dev/null 2>&1 || { \
	  echo "installing Debian's firefox-esr for the Firefox end-to-end tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null; }

# The real extension in headless firefox-esr against a real companion (tests/firefox/, ~60 s).
# OTPC_FIREFOX_PAGES=tests/firefox/corpus-pages.json fills pages of tests/corpus/ instead of tests/firefox/pages/.
test-firefox: install-firefox
	node --test tests/firefox/

lint: install-test
	$(BIN)/ruff check companion tests bench

# Mozilla's linter on the extension: fails on any error (the three warnings are Chromium-only keys).
lint-extension: $(WEB_EXT)
	$(WEB_EXT) lint --source-dir extension --no-config-discovery

# The packages to install: dist/otp-companion-chromium.zip (Load unpacked after unzipping, or a store
# upload) and the unsigned Firefox package from web-ext build (package.json only marks the JS as ES
# modules for node's test runner and stays out of both).
DIST ?= dist
extension: $(WEB_EXT)
	@mkdir -p $(DIST)
	rm -f $(DIST)/otp-companion-chromium.zip $(DIST)/otp-companion-firefox.zip
	cd extension && $(PY) -m zipfile -c $(abspath $(DIST))/otp-companion-chromium.zip \
	  manifest.json $(filter-out package.json manifest.json,$(notdir $(wildcard extension/*)))
	$(WEB_EXT) build --source-dir extension --artifacts-dir $(DIST) --no-config-discovery \
	  --ignore-files package.json --filename otp-companion-firefox.zip --overwrite-dest

# The inner loop, 27-29 s on two idle cores (pytest-xdist, -n 2): unit and fast tests. No browser (tests/e2e, Firefox), no PostgreSQL
# (tests/team), nothing marked slow (`@pytest.mark.slow`: subprocess-heavy, KDF-bound or crash tests).
# It installs the test venv only when there is none yet.
$(BIN)/pytest:
	$(MAKE) install-test

test-fast: $(BIN)/pytest
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m "not slow and not e2e" --ignore=tests/e2e --ignore=tests/team

# Everything CI runs: ruff, web-ext lint, the Python suite (unit, vault, CLI, server, import,
# end-to-end in headless Chromium) and the JS unit tests. The Python suite runs on both cores
# (pytest-xdist): the browser tests on one worker, a module's shared fixture built once
# (tests/conftest.py); each worker has its own PostgreSQL cluster, companions and temp dirs.
test: install-test lint lint-extension install-firefox
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup
	node --test tests/js/
	node --test tests/firefox/

# Benchmarks print figures (the README quotes them); wrk drives the 64-connection API load.
bench: install-test
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/vault_scale.py
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/api_load.py
	$(BIN)/python bench/cli_startup.py
	$(BIN)/python bench/popup_latency.py
	$(BIN)/python bench/detect_corpus.py
	$(BIN)/python bench/team_sync.py

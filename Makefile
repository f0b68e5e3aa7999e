# Developer and CI entry points. Every target installs what it needs: CI runs in a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
ALLURE := node_modules/.bin/allure
BENCH ?= fixtures/benches/emulated.yaml

.PHONY: venv report-tools certify test bench clean distclean

venv: $(STAMP)

# Reinstall when pyproject.toml changes (new dependency, new entry point); the stamp records
# the last successful install.
$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	@touch $@

# Allure 2 commandline (npm) and a Java runtime, for the offline HTML report. Allure 2 runs
# on Java 17; Allure 3 needs Node 22 and embeds analytics (DESIGN.md). Best effort: without
# them the run still writes results and the summary, and says what is missing.
report-tools:
	@if [ ! -x $(ALLURE) ]; then \
	  if command -v npm >/dev/null; then \
	    npm install --no-audit --no-fund --no-save --no-package-lock --prefix . allure-commandline@2; \
	  else echo "npm not found: the HTML report needs allure-commandline (npm) - skipping it"; fi; \
	fi
	@if ! command -v java >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update && apt-get install -y default-jre-headless; \
	  else echo "java not found: install a Java 17 runtime (e.g. sudo apt-get install default-jre-headless)"; fi; \
	fi

# Run the suites against a bench (default: the emulated one), then the summary and report.
certify: venv report-tools
	@rc=0; PATH="$(CURDIR)/node_modules/.bin:$$PATH" ALLURE_NO_ANALYTICS=true \
	  $(VENV)/bin/harness certify --bench $(BENCH) || rc=$$?; \
	echo; echo "Allure results: reports/allure-results"; \
	echo "HTML report:    reports/html/index.html"; \
	echo "Summary:        reports/summary.md, reports/summary.json"; \
	exit $$rc

# Lint, then the project's own tests and every suite (against the emulated bench), on 4
# workers: each runs its own emulated bench, and most of the time is spent waiting on timers.
# Then the suites that speak OCPP 1.6J or either version against the emulated 1.6J station
# (on the 2.0.1 bench the 1.6 cases skip, and the other way round).
test: venv report-tools
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest tests suites -q -n 4
	$(VENV)/bin/pytest suites/ocpp16 suites/power suites/interop -q -n 4 \
	  --bench fixtures/benches/emulated-16.yaml

bench: venv
	$(VENV)/bin/python benchmarks/run.py

clean:
	rm -rf reports/allure-results reports/html reports/summary* build .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
	  -name __pycache__ -type d -exec rm -rf {} +

# Also drop the virtualenv and the npm-installed Allure.
distclean: clean
	rm -rf $(VENV) node_modules

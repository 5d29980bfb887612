# Two commands a newcomer needs: `make demo` and `make test`. Everything else is
# what they are made of.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv system-deps test lint demo bench screenshots clean

# A virtualenv from nothing, with the project and every extra the tests,
# benchmarks and linters need. Re-run when the dependency list changes.
$(STAMP): setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench,lint]'
	touch $@

venv: $(STAMP)

# Debian packages the tests drive for real: Chromium for the dashboard,
# promtool for metrics and alert rules, systemd-analyze for the unit.
system-deps:
	sh tools/system-deps.sh

test: venv system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: venv
	$(BIN)/ruff check driverlogd tests bench

demo: venv
	$(BIN)/driverlogd demo

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis demo-state

# Desktop and phone screenshots of the demo's dashboard, for the README.
SHOT_PORT ?= 18089
screenshots: venv system-deps
	@set -e; $(BIN)/driverlogd demo --http-port $(SHOT_PORT) --state-dir .demo-screenshots \
	    --rate 5 > .demo-screenshots.log 2>&1 & pid=$$!; \
	trap 'kill -TERM $$pid 2>/dev/null; wait $$pid; rm -rf .demo-screenshots .demo-screenshots.log' EXIT; \
	for i in $$(seq 120); do grep -q Dashboard: .demo-screenshots.log 2>/dev/null && break; sleep 0.5; done; \
	sleep 5; $(BIN)/python tools/screenshots.py http://127.0.0.1:$(SHOT_PORT)/ docs/screenshots

# Two commands a newcomer needs: `make demo` and `make test`. Everything else is
# what they are made of.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv system-deps axe test lint demo bench fuzz screenshots clean install uninstall

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

# axe-core, the accessibility checker the dashboard tests run in Chromium (npm).
AXE := .cache/axe/node_modules/axe-core/axe.min.js
$(AXE):
	npm install --prefix .cache/axe --no-audit --no-fund --silent axe-core@4
axe: system-deps $(AXE)

test: venv system-deps axe
	$(BIN)/python -m pytest -q -p no:cacheprovider

# The fuzz and soak tests, ten times longer than `make test` runs them.
FUZZ_SCALE ?= 10
fuzz: venv
	DRIVERLOG_FUZZ_SCALE=$(FUZZ_SCALE) $(BIN)/python -m pytest -q -p no:cacheprovider \
	    tests/test_catalog_schema.py tests/test_crash_recorder.py

lint: venv
	$(BIN)/ruff check driverlogd tests bench

demo: venv
	$(BIN)/driverlogd demo

# The tests' Debian packages (the benchmarks drive nginx and Chromium too),
# and wrk, a C load generator, for the benchmarks alone.
.PHONY: bench-deps
bench-deps:
	sh tools/system-deps.sh --bench

bench: venv bench-deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis demo-state .cache

# Desktop and phone screenshots of the demo's dashboard, for the README.
SHOT_PORT ?= 18089
screenshots: venv system-deps
	@set -e; $(BIN)/driverlogd demo --http-port $(SHOT_PORT) --state-dir .demo-screenshots \
	    --rate 5 > .demo-screenshots.log 2>&1 & pid=$$!; \
	trap 'kill -TERM $$pid 2>/dev/null; wait $$pid; rm -rf .demo-screenshots .demo-screenshots.log' EXIT; \
	for i in $$(seq 120); do grep -q Dashboard: .demo-screenshots.log 2>/dev/null && break; sleep 0.5; done; \
	sleep 5; $(BIN)/python tools/screenshots.py http://127.0.0.1:$(SHOT_PORT)/ docs/screenshots

# The operator's install (README, "Installing"): a virtualenv of its own in
# PREFIX (Debian's python3 is externally managed, PEP 668) made by the
# system's Python (the unit's ProtectHome= hides one under /root or /home),
# the two commands linked into BINDIR, the unit, and the example config and
# catalog in /etc/driverlog, which are never overwritten. DESTDIR stages it
# all elsewhere: the scripts still name PREFIX, where they will run.
PREFIX         ?= /opt/driverlog
BINDIR         ?= /usr/local/bin
UNITDIR        ?= /etc/systemd/system
INSTALL_PYTHON ?= /usr/bin/python3
ETCDIR         := /etc/driverlog
install:
	$(INSTALL_PYTHON) -m venv --clear $(DESTDIR)$(PREFIX)
	$(DESTDIR)$(PREFIX)/bin/pip install --quiet --disable-pip-version-check \
	    --no-warn-script-location .
	cd $(DESTDIR)$(PREFIX)/bin && grep -lI '^#!$(DESTDIR)$(PREFIX)/' * | \
	    xargs -r sed -i '1s|^#!$(DESTDIR)$(PREFIX)/|#!$(PREFIX)/|'
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR)
	ln -sf $(PREFIX)/bin/driverlogd $(PREFIX)/bin/driverlog-gate $(DESTDIR)$(BINDIR)/
	sed 's|^ExecStart=/opt/driverlog/|ExecStart=$(PREFIX)/|' systemd/driverlogd.service \
	    > $(DESTDIR)$(UNITDIR)/driverlogd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/driverlogd.service
	install -d -m 0755 $(DESTDIR)$(ETCDIR)
	for f in driverlogd.yaml default_data.json; do \
	    test -e $(DESTDIR)$(ETCDIR)/$$f && echo "install: kept $(DESTDIR)$(ETCDIR)/$$f" \
	        || install -m 0644 config/$$f $(DESTDIR)$(ETCDIR)/$$f; done

# Leaves /etc/driverlog (config, catalog, keys) and /var/lib/driverlog (state).
uninstall:
	rm -rf $(DESTDIR)$(PREFIX)
	rm -f $(DESTDIR)$(BINDIR)/driverlogd $(DESTDIR)$(BINDIR)/driverlog-gate \
	    $(DESTDIR)$(UNITDIR)/driverlogd.service

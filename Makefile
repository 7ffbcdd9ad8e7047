# f0monitor: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app f0monitor
TRANSLATIONS := f0monitor/translations
HOST ?= 127.0.0.1
PORT ?= 5000

# The app icons (committed PNGs), drawn with the standard library.
icons:
	$(PY) scripts/make_icons.py

.PHONY: icons install translations messages assets demo-mfa run test test-clocks test-sqlite test-postgres lint bench clean

$(VENV)/.installed: setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("f0monitor needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[postgres,server,test]"
	@touch $@

install: $(VENV)/.installed

translations: install
	@$(VENV)/bin/pybabel compile -d $(TRANSLATIONS) >/dev/null

# Refresh the catalog after adding strings; then translate the empty msgstr in the .po file.
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -k Msg --no-location --sort-output -o $(TRANSLATIONS)/messages.pot .
	$(VENV)/bin/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-location --ignore-obsolete

# plotly.js for the charts: the basic bundle matching the installed plotly package, from the
# npm registry. Without npm the app serves the full bundle shipped inside the plotly package.
PLOTLY_BASIC := static/vendor/plotly-basic.min.js
$(PLOTLY_BASIC): $(VENV)/.installed
	@mkdir -p static/vendor
	@v=$$($(PY) -c 'from f0monitor.web.common.plumbing import bundled_plotly_version as v; print(v())'); \
	tmp=$$(mktemp -d); \
	if command -v npm >/dev/null 2>&1 && [ -n "$$v" ] \
	   && (cd $$tmp && npm pack --silent "plotly.js-basic-dist-min@$$v" >/dev/null 2>&1) \
	   && tar -xzf $$tmp/*.tgz -C $$tmp package/plotly-basic.min.js; then \
	  mv $$tmp/package/plotly-basic.min.js $@; echo "plotly.js basic $$v in $@"; \
	else echo "npm unavailable: charts use the full plotly.js of the plotly package"; fi; \
	rm -rf $$tmp

# Swagger UI for /api/v1/docs, from the npm registry (swagger-ui-dist), served by the app. Without
# npm the page lists every operation of the same description, server-rendered.
SWAGGER_UI_VERSION := 5.35.0
SWAGGER_UI := static/vendor/swagger-ui/swagger-ui-bundle.js
$(SWAGGER_UI):
	@mkdir -p static/vendor/swagger-ui
	@tmp=$$(mktemp -d); \
	if command -v npm >/dev/null 2>&1 \
	   && (cd $$tmp && npm pack --silent "swagger-ui-dist@$(SWAGGER_UI_VERSION)" >/dev/null 2>&1) \
	   && tar -xzf $$tmp/*.tgz -C $$tmp package/swagger-ui-bundle.js package/swagger-ui.css package/LICENSE; then \
	  mv $$tmp/package/swagger-ui.css $$tmp/package/LICENSE static/vendor/swagger-ui/; \
	  mv $$tmp/package/swagger-ui-bundle.js $@; echo "Swagger UI $(SWAGGER_UI_VERSION) in static/vendor/swagger-ui"; \
	else echo "npm unavailable: /api/v1/docs lists the operations without Swagger UI"; fi; \
	rm -rf $$tmp

assets: $(PLOTLY_BASIC) $(SWAGGER_UI)

instance/config.py:
	@mkdir -p instance
	@$(PY) -c 'import secrets; print("# Made by make run: a local secret key and plain-http cookies.\nSECRET_KEY = %r\nSESSION_COOKIE_SECURE = False\nREMEMBER_COOKIE_SECURE = False" % secrets.token_hex(32))' > $@

# The demo's staff log in with a password alone (production requires their second factor; see
# the README's "Security"). Added to a config.py made before the setting existed, too.
demo-mfa: instance/config.py
	@grep -q '^STAFF_MFA' instance/config.py || printf '# Demo logins: staff may set up a second factor but need not.\nSTAFF_MFA = "optional"\n' >> instance/config.py

run: install translations assets instance/config.py demo-mfa
	$(FLASK) init-db
	@if [ ! -f instance/.demo-seeded ]; then $(FLASK) seed-demo && touch instance/.demo-seeded; else $(FLASK) demo-logins; fi
	@echo "f0monitor: http://$(HOST):$(PORT) (and the job queue consumer: reminders, ladder, outbox)"
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) worker & worker=$$!; \
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install translations assets
	$(PY) -m pytest $(PYTEST_ARGS)

# The tests that use the local calendar again, at three moments of today in Vietnam (UTC+7):
# a quarter to midnight, just after midnight and before noon (F0MONITOR_TEST_CLOCK, see
# tests/conftest.py). A test that holds only at some hours fails here, whatever the hour of
# the run.
TEST_CLOCKS ?= T16:45:00+00:00 T17:00:30+00:00 T04:50:00+00:00
test-clocks: install translations assets
	@day=$$(date -u +%F); for at in $(TEST_CLOCKS); do \
	  echo "== the calendar's tests at $$day$$at"; \
	  F0MONITOR_TEST_CLOCK=$$day$$at $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) || exit 1; \
	done

# ruff, then the layer contracts of setup.cfg ([importlinter]).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: install translations
	$(PY) bench/bench_assess.py
	$(PY) bench/bench_reassess.py

clean:
	rm -rf $(VENV) build *.egg-info

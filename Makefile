# Lianfang — see README.md. Every target installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
SCALE ?= 0.1
SEED ?= 42
DISTRICT ?= 620103
DIVISIONS ?= ../shared/data/divisions
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/lianfang
STAMP := $(VENV)/.installed
# The suite runs in one process per core (pytest-xdist); a test file stays in one process, so a module's
# fixtures (the demo world) are built once. TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= auto
PYTEST := $(VENV)/bin/pytest --create-db -q --numprocesses $(TEST_WORKERS) --dist loadfile --durations 15
APT_PACKAGES := chromium fonts-noto-cjk gettext libpango-1.0-0 libpangoft2-1.0-0 wrk

.PHONY: help install system-deps demo demo-data serve worker test test-sqlite test-pg test-browser lint check bench messages clean

help:
	@echo "make demo    - set up, load Qilihe with a generated population, print logins, serve on $(HOST):$(PORT)"
	@echo "make test    - lint + the whole suite on SQLite (unit and browser tests)"
	@echo "make test-pg - the whole suite on PostgreSQL ($(PG_URL))"
	@echo "make serve   - gunicorn against DATABASE_URL, static files collected"
	@echo "make bench   - benchmark scripts under bench/"

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages for browser tests, CJK fonts in screenshots and gettext for translations. apt waits up to
# 10 minutes for a lock another apt run holds (two checkouts set up at once) instead of failing.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq $$missing >/dev/null; \
	fi

demo-data: install
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) load_divisions --source $(DIVISIONS) --code $(DISTRICT)
	$(MANAGE) generate_population --code $(DISTRICT) --scale $(SCALE) --seed $(SEED)
	$(MANAGE) create_demo_users --code $(DISTRICT)
	$(MANAGE) demo_scenario --code $(DISTRICT) --seed $(SEED)

# Serves the site and runs the background-task worker (imports, exports) beside it; Ctrl-C stops both.
# Debug stays off (as in production): error pages are the translated ones, never Django's URL list;
# WhiteNoise serves the collected static files.
demo: demo-data
	@$(MANAGE) collectstatic --noinput -v0
	@echo "网站地址 http://$(HOST):$(PORT)/（按 Ctrl-C 停止；后台任务日志：var/db_worker.log）"
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop; task worker log: var/db_worker.log)"
	@$(MANAGE) db_worker > var/db_worker.log 2>&1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) runserver $(HOST):$(PORT)

worker: install
	$(MANAGE) db_worker

# The access log leaves out query strings and referrers: a search by ID or phone number
# (/registry/search/?q=..., /api/v1/residents/?id_number=...) must not land in a log file; the logger
# class also hides link tokens (/assistance/r/<token>/...) whatever format is configured.
ACCESS_LOG_FORMAT := %(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms

serve: install
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) collectstatic --noinput -v0
	$(VENV)/bin/gunicorn lianfang.wsgi --bind $(HOST):$(PORT) --workers $${WEB_CONCURRENCY:-3} --worker-class gthread --threads $${WEB_THREADS:-6} --access-logfile - --access-logformat '$(ACCESS_LOG_FORMAT)' --logger-class lianfang.core.gunicorn_logging.ScrubbedLogger

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run -v1
	$(MANAGE) spectacular --validate --fail-on-warn --file /dev/null

test: install system-deps lint test-sqlite

test-sqlite: install system-deps
	LIANFANG_PLAIN_STATIC=1 $(PYTEST)

test-pg: install system-deps
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@psql "$(PG_URL)" -tAc 'select 1' >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres $(notdir $(PG_URL))
	DATABASE_URL=$(PG_URL) LIANFANG_PLAIN_STATIC=1 $(PYTEST)

# Extract every app's strings into lianfang/<app>/locale/zh_Hans (msgids are English), then compile.
messages: install
	for app in lianfang/*/; do if [ -d $$app/locale ]; then (cd $$app && ../../$(PY) ../../manage.py makemessages -l zh_Hans --no-obsolete -v0); fi; done
	$(MANAGE) compilemessages -v0 --ignore '.venv'

bench: install
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) var/static test-artifacts

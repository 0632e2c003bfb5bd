# VoiceHive: `make run` serves a demo, `make test` runs the suite. Both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench bench-call bench-ramp bench-admin bench-calendars bench-outage clean messages

$(STAMP): requirements/base.txt requirements/dev.txt requirements/prod.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt -r requirements/prod.txt
	touch $(STAMP)

# Local development: DEBUG on, SQLite and a filesystem Celery broker unless
# DATABASE_URL / REDIS_URL say otherwise, and a webhook secret for simulate_call.
run: export DEBUG ?= true
run: export VAPI_WEBHOOK_SECRET ?= dev-webhook-secret
run: $(STAMP)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	@echo "Starting a Celery worker (with beat) in the background; its log is var/worker.log"
	$(BIN)/celery -A voicehive worker --beat --pool=solo --loglevel=INFO \
		--schedule=var/celerybeat-schedule >var/worker.log 2>&1 & \
		worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: export SECRET_KEY ?= insecure-key-for-tests-only
test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

# Style, formatting, and the apps' layer contract in .importlinter.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Roxy's translations (README, "Languages"): collect the texts into the es/fr
# catalogs, then compile them. The .mo files are committed; a test fails when
# one is stale or a text is untranslated.
MESSAGES_OPTIONS = --no-location --no-obsolete --ignore=tests --ignore=bench --ignore=var
messages: $(STAMP)
	SECRET_KEY=x $(BIN)/python manage.py makemessages -l es -l fr $(MESSAGES_OPTIONS)
	SECRET_KEY=x $(BIN)/python manage.py compilemessages -l es -l fr --ignore=.venv

# Load benchmark against PostgreSQL (BENCH_DATABASE_URL, default the local
# voicehive_bench database, which it drops and recreates); see bench/README.md.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Whole calls, one at a time: messages, server time, statements and bytes stored
# per call (voicehive_bench_call, recreated); see README "Performance".
bench-call: $(STAMP)
	$(BIN)/python bench/call.py $(BENCH_ARGS)

# Simultaneous whole calls (over HTTP, gunicorn) while tool-call p99 < 100 ms
# (voicehive_bench_ramp, recreated); see README "Performance".
bench-ramp: $(STAMP)
	$(BIN)/python bench/call_ramp.py $(BENCH_ARGS)

# The staff admin's lists at 100,000 leads (voicehive_bench_admin, recreated).
bench-admin: $(STAMP)
	$(BIN)/python bench/admin_lists.py $(BENCH_ARGS)

# Outside calendars: availability vs busy events, the just-in-time check, the sync
# beat at 10,000 connections (voicehive_bench_calendar, recreated).
bench-calendars: $(STAMP)
	$(BIN)/python bench/calendar_availability.py
	$(BIN)/python bench/calendar_sync.py

# Issue #17's end-to-end run: gunicorn, a worker and beat, PostgreSQL
# (voicehive_outage, recreated), Redis db 9, fake OpenAI/SMTP/Twilio on loopback;
# providers down, a worker killed mid-send; see README "The worker and the schedule".
bench-outage: $(STAMP)
	$(BIN)/python bench/outage_run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles db.sqlite3*

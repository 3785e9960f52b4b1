# The two commands: `make run` serves the service and its webhook worker with a demo key, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_CONCURRENCY ?= 2
# The commands' app (create_app without HTTP) for `flask ...`; `consent-service ...` runs the same commands, lighter.
export FLASK_APP := consent_service:create_cli_app
export HOST PORT WEB_CONCURRENCY

.PHONY: run test lint install install-test js-deps test-python test-js migrate bench bench-snippet bench-webhooks bench-server bench-scan bench-cli clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[run,scan]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[run,test,scan]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/consent-service db upgrade

# The Procfile's processes (gunicorn, the webhook worker, the scan worker, the mailer) under honcho, with the virtualenv's commands.
run: migrate
	@$(BIN)/consent-service demo seed
	@echo "Serving on http://$(HOST):$(PORT)  (API docs: /docs, console: /admin, demo: /demo) with the webhook worker, the scan worker and the mailer; Ctrl-C stops them all"
	@PATH="$(abspath $(BIN)):$$PATH" SERVICE_PORT=$(PORT) exec $(BIN)/honcho start --no-colour --procfile Procfile

test: lint test-python test-js

# ruff (lint and format) and mypy over consent_service/ and consent_verifier/, ESLint over the banner's sources.
lint: install-test js-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	cd js-snippet && npm run lint

# The second run scans the first one's logs (test-output/logs/make) for IPs, emails, tokens and keys.
# npm's installs come first: the Python suite installs the verifier's npm pack output from npm's cache.
# The verifier-package test installs the packed example offline, which resolves its dependencies' ranges from
# npm's cache: npm ci caches only the locked tarballs, so the packuments and the newest matches go in too.
js-deps:
	cd js-snippet && npm ci --no-audit --no-fund
	cd examples/node-verify && npm ci --no-audit --no-fund
	cd examples/node-verify && node -p "Object.entries(require('./package.json').dependencies).map(([n, r]) => n + '@' + r).join('\\n')" | xargs npm cache add

test-python: install-test js-deps
	TEST_LOG_DIR=test-output/logs/make $(BIN)/python -m pytest
	TEST_LOG_DIR=test-output/logs/make $(BIN)/python -m pytest -p no:randomly -m log_privacy tests/log_privacy

test-js: js-deps
	cd js-snippet && npm test && npm run check-built
	cd examples/node-verify && npm test

bench: bench-snippet bench-webhooks bench-server bench-scan bench-cli

# Needs PostgreSQL (BENCH_DATABASE_URL) and wrk; BENCH_ARGS="--subjects 100000 --rounds 3" for a shorter run.
bench-server: install-test
	command -v wrk >/dev/null || apt-get install -y -qq wrk
	$(BIN)/python bench/suite.py $(BENCH_ARGS)

bench-snippet: install-test
	cd bench && npm ci --no-audit --no-fund && node snippet_size.mjs
	$(BIN)/python bench/snippet_verify.py

BENCH_POSTGRES_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/test

# The compliance scanner on a 50-page site: page visits per minute and peak memory (Chromium included).
bench-scan: install-test
	$(BIN)/python bench/scan_bench.py

# The commands' start (wall and CPU of whole processes, median of 7 interleaved runs) on the local database.
bench-cli: migrate
	$(BIN)/python bench/cli_start.py --program consent-service --write

bench-webhooks: install-test
	$(BIN)/python bench/webhooks_bench.py
	$(BIN)/python bench/webhooks_bench.py --postgres $(BENCH_POSTGRES_ADMIN_URL)

clean:
	rm -rf $(VENV) instance test-output js-snippet/node_modules examples/node-verify/node_modules bench/node_modules

# One entry point for developers and CI. `make test` and `make demo` set everything up on a
# fresh Debian 12 machine as root: Debian packages, the virtual environment, Asterisk 22.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
STAMP := $(VENV)/.installed

.PHONY: setup system venv web-vendor asterisk test test-unit lint format demo bench chaos lock clean

setup: system venv web-vendor

system:
	scripts/install-debian-packages

venv: $(STAMP)

# The development environment: runtime and development packages (requirements-dev.lock);
# an installation of the service takes requirements.lock only (docker/dialer.Dockerfile).
$(STAMP): requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The browser libraries the screens serve (the phone in the agent's page: JsSIP), pinned by
# web/package-lock.json, installed by npm and bundled once into dialer/web/static/vendor/:
# nothing is downloaded at run time. Node.js and npm come from Debian (make system).
VENDOR := dialer/web/static/vendor
web-vendor: $(VENDOR)/jssip.min.js

$(VENDOR)/jssip.min.js: web/package.json web/package-lock.json
	cd web && npm ci --ignore-scripts --no-audit --no-fund
	mkdir -p $(VENDOR)
	web/node_modules/.bin/esbuild web/node_modules/jssip/lib/JsSIP.js --bundle \
	  --format=iife --global-name=JsSIP --minify --target=es2019 --log-level=warning \
	  --legal-comments=inline --outfile=$@

# Provision Asterisk 22 (chroot), start it, wait for AMI Login + Ping, stop it cleanly.
asterisk: setup
	$(BIN)/dialer rig provision

# The whole suite, the real-Asterisk tier included: a skipped or deselected real-Asterisk
# test fails the run (tests/conftest.py). PostgreSQL is started for the storage tests.
test: setup
	DIALER_REQUIRE_ASTERISK=1 \
	DIALER_TEST_POSTGRES_URL="$$(scripts/postgres-up | tail -n 1)" \
	$(BIN)/pytest

test-unit: venv
	$(BIN)/pytest tests/unit

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: setup
	$(BIN)/dialer --log-level warning demo

bench: setup
	$(BIN)/python -m bench

# Faults at seeded random instants during a real campaign on the rig (issue 19), on SQLite then
# on a throwaway PostgreSQL; each run checks the ledger against Asterisk's CDR, the robots'
# and the webhook receiver's logs, and writes its section of docs/reliability.md. Both run
# even if the first fails; the target fails if either does. Root (tmpfs, chroot).
chaos: setup
	status=0; \
	flock /tmp/rig.lock $(BIN)/python -m dialer.rig.chaos --database sqlite \
	  --report docs/reliability.md || status=1; \
	flock /tmp/rig.lock $(BIN)/python -m dialer.rig.chaos --database postgresql \
	  --report docs/reliability.md || status=1; \
	exit $$status

# Re-pin the dependencies after editing pyproject.toml (needs network access to PyPI): the
# runtime lock, then the development lock (runtime + the `dev` extra) with the same pins.
lock: venv
	$(BIN)/uv pip compile pyproject.toml --generate-hashes \
	  --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes \
	  --python-version 3.11 -c requirements.lock -o requirements-dev.lock

clean:
	rm -rf $(VENV) web/node_modules $(VENDOR) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache

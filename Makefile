# Citizen helpdesk — every command the project needs. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
HELPDESK := $(VENV)/bin/helpdesk
export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help setup run run-cluster shell test pytest lint format bench index clean

help: ## List the commands
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-13s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements.lock
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $@

$(RASA_VENV)/.installed: bot/requirements-rasa.txt
	test -x $(RASA_VENV)/bin/python || $(PYTHON) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --no-deps --ignore-requires-python rasa==3.6.21 rasa-sdk==3.6.2
	$(RASA_VENV)/bin/pip install -q --no-deps -r bot/requirements-rasa.txt
	touch $@

# axe-core (accessibility checks in the browser tests), pinned in package-lock.json
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

setup: $(VENV)/.installed $(RASA_VENV)/.installed ## Create both environments (.venv, .venv-rasa) from the pins

index: $(VENV)/.installed ## Build the search index if the catalogue or model changed
	$(HELPDESK) catalogue validate
	$(HELPDESK) index build

run: setup index ## Set up and run the assistant on 127.0.0.1 (Ctrl-C stops everything)
	$(HELPDESK) run

# several replicas of each part behind nginx; PostgreSQL and Redis as on this machine unless
# HELPDESK_DATABASE_URL / HELPDESK_REDIS_URL say otherwise (docs/deployment.md)
CLUSTER_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/helpdesk
CLUSTER_REDIS_URL ?= redis://127.0.0.1:6379/0

run-cluster: setup index ## Run 2 gateways, 2 Rasa and 2 action servers behind nginx (PostgreSQL, Redis)
	HELPDESK_DATABASE_URL="$${HELPDESK_DATABASE_URL:-$(CLUSTER_DATABASE_URL)}" \
	HELPDESK_REDIS_URL="$${HELPDESK_REDIS_URL:-$(CLUSTER_REDIS_URL)}" \
	$(HELPDESK) run-cluster

shell: $(VENV)/.installed ## Chat in the terminal with the running assistant (start it with make run)
	$(HELPDESK) chat

test: setup node_modules/.installed bot-validate bot-train bot-test pytest ## Run the whole test suite (what CI runs)

pytest: $(VENV)/.installed ## Only the Python tests (unit, integration, browser, end-to-end)
	$(PY) -m pytest -q

lint: $(VENV)/.installed ## ruff check, ruff format --check, mypy, the import layers
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy helpdesk helpdesk_cli botdata knowledge store offices publishing actions connectors
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.installed ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup index bot-train ## Run the benchmarks (figures go to docs/benchmarks.md; ~2 h in all)
	$(PY) bench/retrieval.py
	$(PY) bench/rasa_latency.py
	$(MAKE) bot-cv

include bot/Makefile.inc

clean: ## Remove generated indexes, caches and databases (keeps the environments)
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

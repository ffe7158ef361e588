# Two commands on a fresh machine:
#   make demo   set everything up and start the demo (web server, Celery worker with beat)
#   make test   set everything up and run the tests
# Both create the virtualenv and install the pinned packages on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
REQUIREMENTS := requirements/dev.txt
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install migrate lint typecheck clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(INSTALLED): $(BIN)/python $(REQUIREMENTS) pyproject.toml
	$(BIN)/python -m pip install --quiet -r $(REQUIREMENTS)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(INSTALLED)

install: $(INSTALLED)

migrate: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py offboarding_setup

demo: migrate
	$(BIN)/python manage.py sso_setup --base-url http://$(HOST):$(PORT)
	$(BIN)/python manage.py demo_setup
	HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) scripts/run-demo

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check offboarding config tests benchmarks
	$(BIN)/ruff format --check offboarding

typecheck: install
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var test-artifacts

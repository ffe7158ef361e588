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

# Django 6 needs Python 3.12 or newer: the first python3.12 or python3.13 that runs, on
# PATH or installed by pyenv (whose shims on PATH fail for a version not selected).
# Set PYTHON_DJANGO6 to choose another.
PYTHON_DJANGO6 ?= $(shell for candidate in python3.12 python3.13 \
	$(HOME)/.pyenv/versions/3.12*/bin/python3.12 $(HOME)/.pyenv/versions/3.13*/bin/python3.13; do \
	"$$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null \
	&& command -v "$$candidate" && break; done)
VENV_DJANGO6 ?= .venv-django6
INSTALLED_DJANGO6 := $(VENV_DJANGO6)/.installed

.PHONY: demo test test-django6 print-python-django6 install migrate lint typecheck clean

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

# The same tests on Django 6.1 (requirements/django6.txt), in a virtualenv of its own.
$(INSTALLED_DJANGO6): requirements/django6.txt pyproject.toml
	@test -n "$(PYTHON_DJANGO6)" || { echo "No Python 3.12 or newer found: install one \
	(pyenv install 3.12) or set PYTHON_DJANGO6=/path/to/python3.12." >&2; exit 1; }
	$(PYTHON_DJANGO6) -m venv $(VENV_DJANGO6)
	$(VENV_DJANGO6)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_DJANGO6)/bin/python -m pip install --quiet --no-deps -r requirements/django6.txt
	$(VENV_DJANGO6)/bin/python -m pip install --quiet --no-deps -e .
	touch $(INSTALLED_DJANGO6)

test-django6: $(INSTALLED_DJANGO6)
	$(VENV_DJANGO6)/bin/python -m pytest $(PYTEST_ARGS)

print-python-django6:
	@echo $(PYTHON_DJANGO6)

lint: install
	$(BIN)/ruff check offboarding config tests benchmarks
	$(BIN)/ruff format --check offboarding

typecheck: install
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(VENV_DJANGO6) var test-artifacts

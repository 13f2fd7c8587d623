# tformance: `make demo` runs the product on the embedded default, `make test` runs the tests.
# Both create .venv and install everything on first use; only Python 3.11 and make are needed.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_ENV := DEBUG=1 GITHUB_APP_WEBHOOK_SECRET=demo-webhook-secret
PORT ?= 8000

.PHONY: install demo serve test lint format bench bench-scale loadtest

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# GitHub emulator + tformance (SQLite in var/demo/, tasks in-process), App installed, repositories tracked.
# exec: the command is make's own child, so Ctrl-C ends it quietly (it stops its processes and exits 0).
demo: install
	@exec env DEBUG=1 $(BIN)/python manage.py demo --port $(PORT) --github-port $(or $(GITHUB_PORT),8765) \
		--data-dir $(or $(DEMO_DATA_DIR),var/demo)

# tformance for real on one machine: collectstatic, migrate, then the Procfile's processes under honcho (.env read).
serve: install
	@exec bin/serve

test: install
	$(BIN)/pytest

# ruff (lint + format), mypy (strict for github_app, django-stubs for the apps), import-linter (the layers),
# migrations in step with the models. .pre-commit-config.yaml runs the same commands.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(DEMO_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every benchmark (BENCH_ONLY=a.py,b.py picks some), then docs/benchmarks.md written from this run.
bench: install
	$(BIN)/python benchmarks/run_all.py

# PostgreSQL at scale (minutes): 1M deliveries, 2,000 installations / 50,000 repositories in the emulator, a busy PR.
bench-scale: install
	$(BIN)/python benchmarks/bench_scale.py

loadtest: install
	$(BIN)/python benchmarks/loadtest.py

# whatworks — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 8000
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
RUN := $(UV) run --frozen
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/whatworks_ci

.PHONY: help install demo serve worker test lint typecheck importlint test-analytics test-platform test-postgres bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(UV):
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --user --quiet "uv>=0.5,<1"

install: $(UV) ## Create .venv from the committed uv.lock (installs uv through pip if missing)
	@$(UV) sync --frozen --quiet

demo: install ## Migrate a SQLite database under ./var/, load demo content, serve on PORT with a worker
	@$(RUN) whatworks demo
	@$(RUN) whatworks serve --port $(PORT)

serve: install ## Serve the platform with an embedded worker (no demo content)
	@$(RUN) whatworks serve --port $(PORT)

worker: install ## Run a background task worker
	@$(RUN) whatworks worker

lint: install ## ruff lint and format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: install ## mypy with django-stubs
	$(RUN) mypy src packages/analytics/src

importlint: install ## import-linter contracts (the architecture's invariants)
	$(RUN) lint-imports

test-analytics: install ## The analytics package's tests and doctests, without Django
	$(RUN) pytest packages/analytics -q -n 2

test-platform: install ## The platform's tests (browser tests skip when Chromium is absent, except in CI)
	$(RUN) pytest tests -q -n 2

test: lint typecheck importlint test-analytics test-platform ## Everything CI checks, on SQLite

test-postgres: install ## The platform's tests against PostgreSQL (POSTGRES_URL)
	DATABASE_URL=$(POSTGRES_URL) $(RUN) pytest tests -q -n 2

bench: install ## Run the benchmarks and print their figures
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(RUN) python $$script || exit 1; done

clean: ## Remove the virtual environment and caches (keeps ./var/)
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache

# whatworks — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 8000
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
RUN := $(UV) run --frozen
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/whatworks_ci
# `$(call timed,COMMAND)` runs COMMAND and says how long the target took (CI reads these).
timed = @start=$$(date +%s); $(1); rc=$$?; echo "== $@ took $$(( $$(date +%s) - start )) s"; exit $$rc

.PHONY: help install hooks demo serve worker check test lint typecheck importlint test-analytics test-platform test-postgres bench messages clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(UV):
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --user --quiet "uv>=0.5,<1"

install: $(UV) ## Create .venv from the committed uv.lock (installs uv through pip if missing)
	@$(UV) sync --frozen --quiet

hooks: install ## Install the git pre-commit hook (ruff on the files of each commit)
	$(RUN) pre-commit install

demo: install ## Migrate a SQLite database under ./var/, load demo content, serve on PORT with a worker
	@$(RUN) whatworks demo
	@$(RUN) whatworks serve --port $(PORT)

serve: install ## Serve the platform with an embedded worker (no demo content)
	@$(RUN) whatworks serve --port $(PORT)

worker: install ## Run a background task worker
	@$(RUN) whatworks worker

lint: install ## ruff lint and format check
	$(call timed,$(RUN) ruff check . && $(RUN) ruff format --check .)

typecheck: install ## mypy with django-stubs
	$(call timed,$(RUN) mypy src packages/analytics/src tests packages/analytics/tests)

importlint: install ## import-linter contracts (the architecture's invariants)
	$(call timed,$(RUN) lint-imports)

test-analytics: install ## The analytics package's tests and doctests, without Django
	$(call timed,$(RUN) pytest packages/analytics -q -n 2)

test-platform: install ## The platform's tests (browser tests skip when Chromium is absent, except in CI)
	$(call timed,$(RUN) pytest tests -q -n 2)

check: lint typecheck importlint ## The edit-test loop: lint, types, contracts, and the tests not marked slow or browser
	$(RUN) pytest packages/analytics/tests -q -n 2 -m "not slow"
	$(RUN) pytest tests -q -n 2 -m "not slow and not browser"

test: lint typecheck importlint test-analytics test-platform ## Everything CI checks, on SQLite

# The browser tests drive the same views as the view tests, which do run here; on
# PostgreSQL they would only repeat them, and CI must stay under 20 minutes on 2 cores.
# For the same reason the permission matrix (tests/test_permissions.py) renders each page
# on PostgreSQL only for the roles that may see it, and checks refusals for visitors; and
# the command-line tests (each runs the CLI on its own SQLite file) and the catalogue's
# tests (no database) are not run twice.
test-postgres: install ## The platform's tests against PostgreSQL (POSTGRES_URL), except the browser tests
	$(call timed,DATABASE_URL=$(POSTGRES_URL) $(RUN) pytest tests -q -n 2 -m "not browser" --ignore=tests/test_cli.py --ignore=tests/test_translations.py)

# The catalogue lists every marked message (locations left out, so that moving text does not
# change it); tests/test_translations.py fails when it is out of date.
messages: install ## Update the English message catalogue (src/whatworks/locale/en_GB) from the marked text, and compile it
	cd src/whatworks && $(RUN) python ../../manage.py makemessages --locale en_GB --no-location --no-obsolete
	cd src/whatworks && $(RUN) python ../../manage.py compilemessages --locale en_GB

bench: install ## Run the benchmarks and print their figures
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(RUN) python $$script || exit 1; done

clean: ## Remove the virtual environment and caches (keeps ./var/)
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache

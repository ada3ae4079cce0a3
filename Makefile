# civicauth: `make run` serves the demo, `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint unit bench soak clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/civicauth db upgrade
	$(BIN)/civicauth demo
	$(BIN)/civicauth serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy civicauth bench

# axe-core for the browser tests' accessibility checks, pinned by the lock file;
# npm ci runs again only when the lock file changes.
AXE_STAMP := tests/browser/node_modules/.package-lock.json
$(AXE_STAMP): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund
	touch $(AXE_STAMP)

# The whole suite on SQLite, then again on PostgreSQL + Redis (skipped with a
# reason when they are not reachable; a failure when CIVICAUTH_REQUIRE_SERVICES=1).
test: lint $(AXE_STAMP)
	$(BIN)/pytest
	CIVICAUTH_TEST_BACKEND=postgres $(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Mixed load with faults (a worker killed, PostgreSQL restarted), then the
# purge soak. SOAK_ARGS="--backend postgres --duration 60" for PostgreSQL +
# Redis (private instances the soak starts and stops itself).
SOAK_ARGS ?= --backend postgres
soak: $(STAMP)
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

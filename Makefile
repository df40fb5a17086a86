# Targets explain themselves: `make help`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_PROCESSES ?= 4
FAULT_PROCESSES ?= 0

.PHONY: help run test test-faults lint typecheck unit package-test docs clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## Install, migrate and serve the ACS on 0.0.0.0:8080 (embedded PostgreSQL without ACS_DATABASE_URL)
	$(BIN)/acs serve --host 0.0.0.0 --port 8080

test: $(STAMP)  ## Install and run lint, types and the test suite (CI then runs `make test-faults`)
	$(BIN)/ruff check acs tests examples
	$(BIN)/ruff format --check acs tests examples
	$(BIN)/mypy
	$(BIN)/pytest -n $(TEST_PROCESSES)

lint: $(STAMP)  ## Format and lint-fix the code
	$(BIN)/ruff format acs tests examples
	$(BIN)/ruff check --fix acs tests examples

unit: $(STAMP)  ## Only the unit tests (no database, no sockets)
	$(BIN)/pytest tests/unit

test-faults: $(STAMP)  ## The fault-injection suite, one test at a time (≈ 15 min; ACS_SOAK_SECONDS=600, FAULT_PROCESSES=0)
	$(BIN)/pytest tests/faults -n $(FAULT_PROCESSES)

package-test: $(STAMP)  ## Build the wheel, install it with its dependencies into a new venv, run `acs` outside the tree (needs the package index)
	ACS_TEST_PACKAGING=1 $(BIN)/pytest tests/e2e/test_packaging.py

docs: $(STAMP)  ## Regenerate docs/configuration.md from the settings and the command line
	$(BIN)/acs config reference --output docs/configuration.md

clean:  ## Remove the virtual environment and local data
	rm -rf $(VENV) var

.PHONY: bench
bench: $(STAMP)  ## The performance suite: one table of every target against its references (BENCH_QUICK=1, BENCH_RUNS, BENCH_DEVICES, BENCH_SOAK_SECONDS)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	BENCH_QUICK="$(BENCH_QUICK)" BENCH_RUNS="$(BENCH_RUNS)" BENCH_DEVICES="$(BENCH_DEVICES)" \
	BENCH_SOAK_SECONDS="$(BENCH_SOAK_SECONDS)" BENCH_SECONDS="$(BENCH_SECONDS)" \
	$(BIN)/python bench/run.py --write-readme

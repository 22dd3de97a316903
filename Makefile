# Storehook: `make demo` runs the console on the built-in sandbox,
# `make test` runs the whole suite. Both set themselves up on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest serve sandbox benchmarks clean system-deps

demo: $(STAMP)
	$(BIN)/storehook --demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	packaging/run-tests.sh $(BIN)/python

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	packaging/run-tests.sh $(BIN)/python

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/receiver.py
	$(BIN)/python benchmarks/queue_throughput.py
	$(BIN)/python benchmarks/queue_view.py

system-deps:
	packaging/install-system-deps.sh

$(STAMP): pyproject.toml
	packaging/install-system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

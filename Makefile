# The two commands: `make test` and `make demo`. Each sets up what it needs on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORE_STAMP := $(VENV)/.core-installed
FULL_STAMP := $(VENV)/.full-installed

.PHONY: test demo system lint bench clean

system:
	@bash scripts/setup-system.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# core + dev: the CLI, the studio and previz (no torch)
$(CORE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[kling,seedance,comfyui,identity,review,dev]'
	touch $@

# everything the tests need, torch pinned to the local CPU build
$(FULL_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[diffusers,kling,seedance,comfyui,ray,identity,review,llm,dev,bench]'
	touch $@ $(CORE_STAMP)

test: system $(FULL_STAMP)
	$(BIN)/python -m pytest -q

lint: $(FULL_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

demo: system $(CORE_STAMP)
	$(BIN)/shotcraft demo demo

bench: system $(FULL_STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo .pytest_cache .ruff_cache .mypy_cache

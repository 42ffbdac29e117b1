# The two commands: `make test` and `make demo`. Each sets up what it needs on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORE_STAMP := $(VENV)/.core-installed
FULL_STAMP := $(VENV)/.full-installed

.PHONY: test demo install system lint bench docs docs-check clean

system:
	@bash scripts/setup-system.sh

# the venv's own pip (Python 3.11's bundled one) installs everything here: no upgrade round trip
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# core + dev: the CLI, the studio and previz (no torch)
$(CORE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[kling,seedance,comfyui,identity,review,dev]'
	touch $@

# everything the tests need, torch pinned to the local CPU build (2.13.0+cpu on this disk; the
# diffusers extra pins 2.13.0 too), in one resolution
$(FULL_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0 -e '.[diffusers,kling,seedance,comfyui,ray,identity,review,llm,dev,bench,docs]'
	touch $@ $(CORE_STAMP)

install: system $(FULL_STAMP)

# the suite on every core (pytest-xdist): one worker per core, each test file on one worker so
# its module fixtures are built once; `pytest tests/…` alone still runs in one process
test: system $(FULL_STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadfile

lint: $(FULL_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

# previz at a quarter of the project size (270×480 panels; the episode is still 1080×1920): the
# demo's takes cost about 30 % less CPU than at the default half size (`shotcraft demo` alone)
demo: system $(CORE_STAMP)
	SHOTCRAFT_PREVIZ_SCALE=0.25 $(BIN)/shotcraft demo demo

# the documentation site: cog refreshes the pages generated from the code (CLI help, settings,
# migrations), then mkdocs builds it into site/, failing on any warning (a broken link or anchor)
DOCS_GENERATED := docs/reference/cli.md docs/reference/settings.md docs/develop/migrations.md
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs

docs: $(FULL_STAMP)
	$(BIN)/cog -I scripts -r $(DOCS_GENERATED)
	$(MKDOCS) build --strict

# CI: fails when a generated page is stale (run `make docs` and commit) or the site has a warning
docs-check: $(FULL_STAMP)
	$(BIN)/cog -I scripts --check $(DOCS_GENERATED)
	$(MKDOCS) build --strict

bench: system $(FULL_STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo site .pytest_cache .ruff_cache .mypy_cache

# fundguard — the two commands a new user needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= data/demo
SCALE  ?= small

.PHONY: help demo test test-fast check format install bench clean browser serve

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed  ## create .venv and install fundguard with its dependencies

demo: install  ## generate a synthetic agency and run the pipeline on it end to end
	$(BIN)/fundguard demo --data $(DATA) --scale $(SCALE)

# the page tests drive Debian's Chromium through Playwright (Playwright's own browser download
# cannot work offline); installed once, as root or through sudo
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null

browser: $(CHROMIUM)  ## install Debian's chromium for the page tests

PACKAGES := pipelines features models data_contracts serving synthetic

check: install  ## the gates: ruff (lint + format), mypy, import contracts
	$(BIN)/ruff check $(PACKAGES) tests benchmarks
	$(BIN)/ruff format --check $(PACKAGES) tests benchmarks
	$(BIN)/mypy $(PACKAGES)
	$(BIN)/lint-imports

format: install  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix $(PACKAGES) tests benchmarks
	$(BIN)/ruff format $(PACKAGES) tests benchmarks

test-fast: install  ## the inner loop: library tests only (no Prefect, browser, fuzz or slow tiers)
	$(BIN)/python -m pytest -q -m "not flow and not browser and not fuzz and not slow"

test: install browser  ## run the whole test suite, with a coverage report at the end
	$(BIN)/python -m pytest -q $(addprefix --cov=,$(PACKAGES)) --cov-report=term:skip-covered

serve: install  ## the reviewers' web app over data/scores (after `make demo`; needs a token: see README)
	$(BIN)/fundguard serve

bench: install  ## run the speed and memory benchmarks at city scale (takes minutes)
	$(BIN)/python benchmarks/bench_generate_validate.py --out data/bench/city
	$(BIN)/python benchmarks/bench_features.py data/bench/city
	$(BIN)/python benchmarks/bench_models.py

clean:  ## remove generated data and caches (keeps .venv)
	rm -rf data .pytest_cache build *.egg-info

# fundguard — the two commands a new user needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= data/demo
SCALE  ?= small

.PHONY: help demo test install bench clean

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

test: install  ## run the test suite
	$(BIN)/python -m pytest -q

bench: install  ## run the speed and memory benchmarks at city scale (takes minutes)
	$(BIN)/python benchmarks/bench_generate_validate.py --out data/bench/city
	$(BIN)/python benchmarks/bench_features.py data/bench/city
	$(BIN)/python benchmarks/bench_models.py

clean:  ## remove generated data and caches (keeps .venv)
	rm -rf data .pytest_cache build *.egg-info

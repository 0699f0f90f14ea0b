# Crossbook: the two commands are `make demo` and `make test`; both install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.crossbook-installed
NODE_STAMP := node_modules/.crossbook-installed

# Tools find the solc shim, ape's data and the compiler cache inside the repo, never in $HOME,
# and py-solc-x never downloads a compiler.
export SOLCX_BINARY_PATH := $(CURDIR)/build/solcx
export APE_DATA_FOLDER := $(CURDIR)/build/ape
# ape-foundry runs the `anvil` on PATH: the one npm installed.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
SOLC_SHIM_INSTALLED := $(SOLCX_BINARY_PATH)/solc-v0.8.30

.PHONY: help setup demo test lint bench clean

help:
	@echo "make demo    start the devnet, deploy the world, print venues and prices, stop"
	@echo "make test    run the whole test suite (lint, types, unit, property, integration)"
	@echo "make bench   run the benchmarks (AREA=<area> for one), JSON under build/bench/"
	@echo "make setup   install the virtualenv and node tools (the targets above do it first)"

setup: $(PY_STAMP) $(NODE_STAMP) $(SOLC_SHIM_INSTALLED)

$(PY_STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(SOLC_SHIM_INSTALLED): | $(PY_STAMP) $(NODE_STAMP)
	$(BIN)/python -c "from chain.compile import install_solc_shim; install_solc_shim()"

demo: setup
	$(BIN)/python scripts/demo.py

lint: setup
	$(BIN)/ruff check engine connectors chain risk scripts tests
	$(BIN)/mypy

# Two workers, whole files each: every worker has its own devnet and simex (session fixtures).
TEST_WORKERS ?= 2
test: setup lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

AREA ?=
bench: setup
	$(BIN)/python scripts/bench.py $(AREA)

clean:
	rm -rf build .crossbook .pytest_cache .mypy_cache .ruff_cache

# Edgeway: `make run` starts the local stack, `make test` runs the suite.
# Both create .venv on first use; nothing else needs installing by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench lint schema build clean help

help:
	@echo "make run     start the local stack (regions, Lambda Invoke API, moto, DNS)"
	@echo "make test    run the whole test suite"
	@echo "make bench   run every benchmark under bench/ and rewrite docs/BENCHMARKS.md"
	@echo "make schema  regenerate the compiled gateway.yaml validator from the JSON Schema"
	@echo "make build   sam build (needs aws-sam-cli and python3.13 on PATH)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/edgeway serve

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench

schema: $(STAMP)
	$(BIN)/python -m edgeway_local.schemagen

build:
	sam build

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache

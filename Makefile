# Edgeway: `make run` starts the local stack, `make test` runs the suite.
# Both create .venv on first use; nothing else needs installing by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench lint build clean help screenshots

help:
	@echo "make run     start the local stack (regions, Lambda Invoke API, moto, DNS)"
	@echo "make test    run the whole test suite"
	@echo "make bench   run every benchmark under bench/ and rewrite docs/BENCHMARKS.md"
	@echo "make screenshots  retake the console screenshots in docs/console.md (headless Chromium)"
	@echo "make build   sam build for arm64 / python3.13, then check the artifacts"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/edgeway serve

# Coverage of the layer, gslb and the local stack; the run fails below the floor.
COVERAGE_FLOOR := 88

test: $(STAMP)
	$(BIN)/python -m mypy
	@[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || echo "make test: no Chromium \
	found: the console's browser tests are SKIPPED (install: apt-get install -y chromium chromium-driver)"
	$(BIN)/python -m pytest --cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)
	@# The edge steering function (JavaScript) against the exported decisions.
	node --test edge/test/

screenshots: $(STAMP)
	$(BIN)/python -m bench.console --screenshots

bench: $(STAMP)
	@# The Lambda runtime is python3.13: measure cold starts with it too when pyenv has it.
	@if [ -n "$(PY313)" ] && [ ! -x .bench313/bin/python ]; then \
	  $(PY313)/python3.13 -m venv .bench313 && \
	  .bench313/bin/python -m pip install --quiet boto3 -r layers/edgeway/requirements.txt; fi
	BENCH_PYTHONS="$(if $(PY313),$(CURDIR)/.bench313/bin/python)" $(BIN)/python -m bench

# sam build runs pip with the first python3.13 on PATH (the Lambda runtime's
# version): pyenv's when there is one. aws-sam-cli comes from PATH, else from
# its own venv .samvenv (kept apart from .venv: it pins its own dependencies).
PY313   := $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/3.13*/bin)))
SAM     ?= $(or $(shell command -v sam 2>/dev/null),.samvenv/bin/sam)

.samvenv/bin/sam:
	$(PYTHON) -m venv .samvenv
	.samvenv/bin/python -m pip install --quiet aws-sam-cli

build: $(STAMP) $(if $(filter .samvenv/bin/sam,$(SAM)),.samvenv/bin/sam)
	@PATH="$(if $(PY313),$(PY313):)$$PATH" command -v python3.13 >/dev/null || { \
	  echo "make build: no python3.13 on PATH (pyenv install 3.13, or: sam build --use-container)" >&2; \
	  exit 1; }
	$(BIN)/python -m edgeway_local.edgecheck edge/template.yaml --config-env edge
	PATH="$(if $(PY313),$(PY313):)$$PATH" $(SAM) build
	$(BIN)/python -m edgeway_local.configjson .aws-sam/build
	@# /opt and /var/task are read-only on Lambda: code shipped without bytecode is
	@# compiled again on every cold start. Ship python3.13 bytecode for our own code;
	@# unchecked-hash pycs stay valid whatever mtimes the deployment zip keeps.
	PATH="$(if $(PY313),$(PY313):)$$PATH" python3.13 -m compileall -q \
	  --invalidation-mode unchecked-hash .aws-sam/build/*/python/edgeway \
	  .aws-sam/build/*/python/gslb .aws-sam/build/*Function
	$(BIN)/python -m edgeway_local.buildcheck .aws-sam/build

clean:
	rm -rf $(VENV) .samvenv .aws-sam .pytest_cache

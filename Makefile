# Debrief Coach. Every target that needs the environment builds it first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV      ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.synced
export UV_PYTHON_DOWNLOADS := never
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: help setup uv chromium postgres test test-fast lint format bench evals run clean

help:
	@echo "make run    start the coach (embedded defaults)"
	@echo "make test   set up .venv and run the whole test suite"
	@echo "make lint   ruff + mypy"
	@echo "make bench  retrieval, ingestion and guardrail latency"
	@echo "make evals  the full tone and safety eval suite (report in $(EVALS_OUT))"
	@echo "make load   50 clinicians through debriefs over the chat socket for 2 minutes"

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

# .venv from the committed uv.lock; torch is the machine's local CPU wheel (see pyproject).
$(STAMP): pyproject.toml uv.lock | uv
	$(UV) sync --frozen --extra local-tiny
	@touch $(STAMP)

setup: $(STAMP)

# The browser test drives Debian's Chromium (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

# The PostgreSQL tests start a throwaway cluster with Debian's initdb and pg_ctl.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "installing Debian's postgresql for the PostgreSQL tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q postgresql; }

test: $(STAMP) chromium postgres
	$(PY) -m pytest -q

test-fast: $(STAMP) postgres
	$(PY) -m pytest -q -m "not integration"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) -m benchmarks.bench_knowledge
	$(PY) -m benchmarks.bench_guard
	$(PY) -m benchmarks.bench_coach
	$(PY) -m benchmarks.bench_embedder
	$(PY) -m benchmarks.bench_educator

# The full eval suite: every scenario through the coach as `make run` wires it, gated by
# evals/thresholds.yaml; then, when ../shared is present, the tone scorers' calibration.
EVALS_OUT ?= .coach-data/evals
evals: $(STAMP)
	$(VENV)/bin/coach evals run --suite all --out $(EVALS_OUT)
	@if [ -d ../shared/data/tone ]; then \
		$(VENV)/bin/coach evals calibrate --data ../shared/data/tone; \
	else echo "../shared/data/tone is absent: calibration skipped"; fi

run: $(STAMP)
	$(VENV)/bin/coach run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Concurrent clinicians through whole debriefs over the chat socket against a local
# `coach run` (50 for 2 minutes by default; LOAD_ARGS="--sessions 10 --duration 30").
# Fails on any error; results in .coach-data/load/results.json.
.PHONY: load
load: $(STAMP)
	$(PY) -m benchmarks.load $(LOAD_ARGS)

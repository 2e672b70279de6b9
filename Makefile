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

.PHONY: help setup uv test test-fast lint format bench run clean

help:
	@echo "make run    start the coach (embedded defaults)"
	@echo "make test   set up .venv and run the whole test suite"
	@echo "make lint   ruff + mypy"
	@echo "make bench  retrieval, ingestion and guardrail latency"

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

# .venv from the committed uv.lock; torch is the machine's local CPU wheel (see pyproject).
$(STAMP): pyproject.toml uv.lock | uv
	$(UV) sync --frozen
	@touch $(STAMP)

setup: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
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

run: $(STAMP)
	@echo "The chat app is not built yet (it arrives with the coach issue)."
	@echo "Until then, try the knowledge base:"
	@echo "  $(VENV)/bin/coach knowledge search \"signs of compassion fatigue\""
	@exit 1

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

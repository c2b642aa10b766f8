# vnclean: `make run` sets up .venv and runs the flow over input/ into output/;
# `make test` sets up .venv with the test extras and runs the whole test suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
ARGOS_VERSION := 1.11.0

# Prefect runs with its temporary local API: no server, no account, no network.
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90

.PHONY: run test test-fast lint setup setup-test clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the project's declared dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	# argostranslate without its declared deps (stanza/spacy/torch); see README "Translation".
	$(BIN)/pip install --quiet --no-deps argostranslate==$(ARGOS_VERSION)
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	# Debian's chromium renders the review report in one test; installed only when missing and
	# possible (root + apt), else that test is skipped with the reason.
	command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1; } || \
	  echo "chromium unavailable: the report screenshot test will be skipped"
	touch $@

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test

run: setup
	$(BIN)/vnclean run --input input --output output

test: setup-test
	$(BIN)/python -m pytest

# ruff (pycodestyle, pyflakes, import order, bugbear, pyupgrade, complexity; pyproject.toml [tool.ruff]),
# then mypy with pydantic's plugin (pyproject.toml [tool.mypy]): no errors in tasks/ flows/ vnclean/
# mypy reads the one import package as it installs (tasks/ and flows/ are vnclean.tasks and
# vnclean.flows: pyproject.toml's package-dir) through a tree of links in .typecheck/, since it
# cannot follow setuptools' editable-install finder.
lint: setup-test
	$(BIN)/ruff check tasks flows vnclean
	rm -rf .typecheck && mkdir -p .typecheck/vnclean
	ln -s ../../tasks ../../flows .typecheck/vnclean/ && for f in vnclean/*.py; do ln -s ../../$$f .typecheck/vnclean/; done
	cd .typecheck && ../$(BIN)/mypy --config-file ../pyproject.toml -p vnclean

# everything but the end-to-end tests that start Prefect or build models (marked slow), on every
# core (pytest-xdist): under a minute on 2 cores (76 s in one process)
test-fast: setup-test
	$(BIN)/python -m pytest -m "not slow" -n auto

bench: setup-test
	$(BIN)/python benchmarks/strip.py

clean:
	rm -rf $(VENV) output/*.json output/*.txt output/_rejected output/_failed output/report.html output/_templates.sqlite* \
	  output/_manifest.sqlite* output/_documents.jsonl output/_runs.jsonl output/_parts

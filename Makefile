# Two commands for a fresh machine (see README):
#   make run    install kg and its runtime dependencies, build the knowledge graph and every output into out/
#   make test   install the test tools too (pytest, playwright, ruff, ...) and run the gates and the test suite
# After either, the command is .venv/bin/kg (or `source .venv/bin/activate`, then kg).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip install --quiet --disable-pip-version-check
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint system-deps clean

# runtime only: make run installs no test tools (no playwright)
$(RUN_STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.lock
	$(PIP) --no-deps -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): $(RUN_STAMP) requirements-test.lock
	$(PIP) -r requirements-test.lock
	touch $(TEST_STAMP)

run: $(RUN_STAMP)
	$(BIN)/kg build
	$(BIN)/kg viz all --files gexf,graphml

system-deps:
	bash scripts/install-system-deps

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy --strict kg

# the test files run in parallel, one file to a worker (a file's servers and data are set up once); every
# test runs, none is skipped in CI.  TEST_WORKERS=1 runs them one after another.
TEST_WORKERS ?= auto
test: $(TEST_STAMP) system-deps lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

clean:
	rm -rf out $(VENV)

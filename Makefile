# Two commands for a fresh machine (see README):
#   make run    build the knowledge graph and every output into out/
#   make test   run the test suite (installs what it needs, as CI does)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test system-deps clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kg build
	$(BIN)/kg viz all
	$(BIN)/kg export gexf
	$(BIN)/kg export graphml

system-deps:
	bash scripts/install-system-deps

test: $(STAMP) system-deps
	$(BIN)/pytest

clean:
	rm -rf out $(VENV)

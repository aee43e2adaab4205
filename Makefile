# The developer interface. The first target run on a fresh machine creates .venv and
# installs the pinned tree from requirements.lock; later runs reuse it until the lock changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT := generated/tinker_client

.PHONY: generate check test lint clean

$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $(STAMP)

generate: $(STAMP) ## regenerate generated/ from spec/tinker.yaml
	$(BIN)/python -m generator generate

check: $(STAMP) ## fail with a diff when generated/ is stale
	$(BIN)/python -m generator check

test: $(STAMP) ## the whole suite: generator, golden, mypy --strict of the output, client on the wire
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff on the generator, templates' runtime and tests; mypy --strict on the generator
	$(BIN)/ruff check generator templates/runtime tests
	$(BIN)/mypy generator
	cd generated && ../$(BIN)/mypy --strict tinker_client

clean:
	rm -rf $(VENV)

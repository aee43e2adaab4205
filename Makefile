# The developer interface. The first target run on a fresh machine creates .venv and
# installs the pinned tree from requirements.lock; later runs reuse it until the lock changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT := generated/tinker_client

.PHONY: generate check test lint api-diff clean

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
	cd generated && ../$(BIN)/mypy --strict --python-version 3.10 tinker_client

# The API change since BASE (default: origin/main, else the previous commit), judged for the
# Python client. The old spec is read from git; nothing is checked out.
BASE ?= $(shell git rev-parse -q --verify origin/main >/dev/null && echo origin/main || echo HEAD~1)
ACCEPTED := spec/accepted-breaks.yaml
FORMAT ?= text

api-diff: $(STAMP) ## judge the API change of spec/tinker.yaml since BASE
	@old=$$(mktemp); trap 'rm -f $$old' EXIT; \
	git show "$(BASE):spec/tinker.yaml" > $$old || exit 2; \
	$(BIN)/python -m generator diff $$old spec/tinker.yaml --old-name "$(BASE):spec/tinker.yaml" \
		--format $(FORMAT) $(if $(wildcard $(ACCEPTED)),--accept $(ACCEPTED))

clean:
	rm -rf $(VENV)

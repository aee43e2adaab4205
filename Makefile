# The developer interface. The first target run on a fresh machine creates .venv and
# installs the pinned tree from requirements.lock; later runs reuse it until the lock changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT := generated/tinker_client

.PHONY: generate check test lint api-diff bench clean

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
	$(BIN)/ruff check generator templates/runtime tests bench
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

# Benchmarks: baselines (openapi-python-client, orjson) live in their own virtualenv,
# pinned in bench/requirements.txt; the generated package never depends on them.
BENCH_VENV := .bench-venv
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): requirements.lock bench/requirements.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock -r bench/requirements.txt
	touch $(BENCH_STAMP)

bench: $(STAMP) $(BENCH_STAMP) ## generation, per-call, import and large-body benchmarks, with ratios
	$(BENCH_VENV)/bin/python bench/generation.py
	$(BENCH_VENV)/bin/python bench/per_call.py
	$(BENCH_VENV)/bin/python bench/import_time.py
	$(BENCH_VENV)/bin/python bench/large_body.py
	$(BENCH_VENV)/bin/python bench/batch_poll.py

clean:
	rm -rf $(VENV) $(BENCH_VENV) .cache

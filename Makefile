# The two commands README.md gives: `make run` (whole suite locally) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup test run bench clean test-gateway test-aztec

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Optional packages carry anvil's platform binary, so they must not be omitted.
node_modules/.installed: package.json package-lock.json
	npm ci --include=optional --no-audit --no-fund
	touch $@

# Everything CI runs: lint and types (ruff, mypy strict on services/ and shared/), the gateway's own tests,
# then every Python test (the gateway's included).
test: setup gateway/node_modules/.installed
	$(PY) -m ruff check .
	$(PY) -m mypy
	npm --prefix gateway test
	$(PY) -m pytest

# The PXE gateway (gateway/, TypeScript): its own tests, then the Python client against it on a stub node.
gateway/node_modules/.installed: gateway/package.json gateway/package-lock.json
	npm ci --prefix gateway --include=optional --no-audit --no-fund
	touch $@

test-gateway: $(VENV)/.installed gateway/node_modules/.installed
	npm --prefix gateway test
	$(PY) -m pytest tests/gateway -rs

# Opt-in: the suite on a real Aztec 3.0.0-devnet.5 network (AZTEC_NODE_URL=... make test-aztec); skipped
# without it, and says so. Its environment is listed in tests/aztec/conftest.py.
test-aztec: $(VENV)/.installed gateway/node_modules/.installed
	$(PY) -m pytest tests/aztec -rs -p no:randomly --basetemp=$(CURDIR)/data/aztec-tier

run: setup
	$(PY) -m devnet.run

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) node_modules data gateway/node_modules

# The two commands README.md gives: `make run` (whole suite locally) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup test run bench clean

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

test: setup
	$(PY) -m pytest

run: setup
	$(PY) -m devnet.run

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) node_modules data

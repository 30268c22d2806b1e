# The README's two commands: `make run` (demo dashboard) and `make test` (every test).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DB ?= data/store.duckdb
PORT ?= 8501

.PHONY: setup run demo test check lint types browser bench clean

# Tests write bytecode even where the environment says not to (PYTHONDONTWRITEBYTECODE=1):
# otherwise every pytest worker, and every command a test starts, compiles the project and
# rewrites the tests' asserts again, seconds a run. __pycache__/ is git-ignored.
test check: export PYTHONDONTWRITEBYTECODE :=

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

LOGIN := data/demo-login.txt

$(DB): | setup
	$(PY) -m warehouse.demo --db $(DB) --out data/demo --demo-login $(LOGIN)

demo: setup
	rm -f $(DB) $(DB).wal
	$(PY) -m warehouse.demo --db $(DB) --out data/demo --demo-login $(LOGIN)

run: setup $(DB)
	@test ! -f $(LOGIN) || { echo "Demo sign-in (stores are private until a manager opens them):"; cat $(LOGIN); }
	KPI_DB=$(DB) $(VENV)/bin/streamlit run dashboard.py --server.port $(PORT) --server.headless true

browser:
	bash scripts/ensure_browser.sh

# The full gate (CI): lint and the layer contract, then every test: all but the browser on
# two workers (each builds its own demo), then the browser tests one at a time (a real
# Chromium and app server each: side by side on two cores they starve each other's timeouts).
test: setup browser lint
	$(PY) -m pytest -n 2 -m "not browser"
	$(PY) -m pytest -m browser

# The fast loop (under a minute on two cores): lint and format, the layer contract, types of
# kpi/ and warehouse/, and the unit tests of the library, the store and the use cases (the
# pages' AppTests, the demo builds, the long proofs and the browser run in test).
check: lint types
	$(PY) -m pytest -n 2 -m "not slow and not browser" tests/kpi tests/warehouse tests/app

PY_SOURCES := app kpi warehouse ui pages tests bench scripts dashboard.py

# ruff's rules and its formatting (`ruff format` fixes what the check finds), then the layers.
lint: setup
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)
	$(VENV)/bin/lint-imports

types: setup
	$(VENV)/bin/mypy kpi warehouse

# `make bench STORES=700` (or STORES=25,100,700: each size, then how every figure grows).
STORES ?= 100
bench: setup
	$(PY) -m bench.run --stores $(STORES)

clean:
	rm -rf $(VENV) data/demo data/*.duckdb data/*.wal .pytest_cache tests/artifacts

# Two entry points for a fresh machine: `make run` (the app) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# Compile the Numba loops (fast engine, ReL-PSP) into their on-disk cache once, not at first use.
WARM_UP := $(BIN)/python -c "import core.engine.compiled as e, core.relpsp.functional as r; e.warm_up(); r.warm_up()"

.PHONY: run test install install-dev peers browser postgres lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -r requirements.txt
	$(WARM_UP)

# The bench's peer libraries go in without their dependencies (see requirements-peers.txt).
install-dev: $(BIN)/python
	$(BIN)/pip install -r requirements-dev.txt
	$(BIN)/pip install --no-deps -r requirements-peers.txt
	$(WARM_UP)

# Norse and SpikingJelly for the Benchmarks page after `make run` (torch stays 2.13.0).
peers: $(BIN)/python
	$(BIN)/pip install --no-deps -r requirements-peers.txt

# Debian's Chromium for the end-to-end test (Playwright's own browser download is not used).
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium; }

# Debian's PostgreSQL server for the distributed NAS test (the test starts its own instance).
postgres:
	@command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends postgresql; }

run: install
	$(BIN)/streamlit run app/main.py --server.port $(PORT)

lint: install-dev
	$(BIN)/ruff check .

test: install-dev browser postgres
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

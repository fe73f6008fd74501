# pbc: two entry points. `make run` sets up and serves the demo; `make test` checks everything.
SHELL := /bin/bash
PORT ?= 8000
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export PBC_DATA_DIR ?= $(CURDIR)/var
PG_URL ?= postgres://pbc:pbc@127.0.0.1:5432/pbc
export HYPOTHESIS_PROFILE ?= ci
# Python keeps compiled modules (.pyc) even where the environment says not to
# (PYTHONDONTWRITEBYTECODE=1 on this machine): without them every process — the server, each
# test worker and every `pbc` a test starts — compiles Django, pandas, Ibis and SciPy again
# (about 2.5 s of CPU each time).
export PYTHONDONTWRITEBYTECODE =

.PHONY: install install-test run test check lint typecheck pytest pytest-postgres lane-sqlite lane-postgres postgres chromium clamav fonts demo clean

# Print how long each set-up step took.
define timed
	@start=$$(date +%s%N); $(2); status=$$?; tenths=$$(( ($$(date +%s%N) - start) / 100000000 )); \
	printf '[make] %-30s %5d.%ds\n' "$(1)" $$((tenths / 10)) $$((tenths % 10)); exit $$status
endef

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# Runtime dependencies only (--inexact keeps test tools if they are there already).
$(VENV)/.run-installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --no-dev --inexact --quiet
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(UV) fonts
	$(call timed,python dependencies,$(MAKE) --no-print-directory $(VENV)/.run-installed)
	$(call timed,front-end assets,$(MAKE) --no-print-directory node_modules/.installed)

# Everything the tests need: dev tools and the PySpark extra.
$(VENV)/.test-installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --quiet
	@touch $@ $(VENV)/.run-installed

install-test: install
	@$(MAKE) --no-print-directory $(VENV)/.test-installed

# One process builds the demo when it is missing (progress line per step) and then serves.
run: install
	$(BIN)/pbc serve --port $(PORT) --demo

demo: install
	$(BIN)/pbc demo

# Fonts for PDF reports (WeasyPrint never fetches fonts from the internet).
fonts:
	@fc-list 2>/dev/null | grep -q DejaVuSans || { echo "[make] installing fonts-dejavu-core"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core fontconfig >/dev/null; }

chromium:
	@test -x /usr/bin/chromium || { echo "[make] installing Debian chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The ClamAV daemon the upload tests scan with (tests/clamd_daemon.py: one signature of their
# own, so no signature download).
clamav:
	@test -x /usr/sbin/clamd || { echo "[make] installing Debian clamav-daemon"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clamav-daemon >/dev/null; }

postgres:
	@command -v pg_ctlcluster >/dev/null || { echo "[make] installing PostgreSQL"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }
	@pg_lsclusters -h | awk '{print $$4}' | grep -q online || { \
	  ver=$$(pg_lsclusters -h | awk 'NR==1{print $$1}'); name=$$(pg_lsclusters -h | awk 'NR==1{print $$2}'); \
	  echo "[make] starting PostgreSQL $$ver/$$name"; pg_ctlcluster $$ver $$name start; }
	@runuser -u postgres -- psql -qtAc "SELECT 1 FROM pg_roles WHERE rolname='pbc'" | grep -q 1 || \
	  runuser -u postgres -- psql -qc "CREATE ROLE pbc LOGIN PASSWORD 'pbc' CREATEDB"
	@runuser -u postgres -- psql -qtAc "SELECT 1 FROM pg_database WHERE datname='pbc'" | grep -q 1 || \
	  runuser -u postgres -- createdb -O pbc pbc

lint:
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck:
	$(BIN)/mypy

# Every test on SQLite; then the tests that touch the database again on PostgreSQL (except
# the accessibility checks of rendered markup and the tests marked any_database, which do not
# depend on the database).
# Two worker processes (one per core); the Spark tests share one worker. WORKERS=0 for one process.
WORKERS ?= 2
XDIST = -n $(WORKERS) --dist loadgroup

pytest:
	$(BIN)/pytest $(XDIST) --durations=15 $(PYTEST_ARGS)

pytest-postgres:
	DATABASE_URL=$(PG_URL) $(BIN)/pytest $(XDIST) -m "db and not markup and not any_database" --durations=15 $(PYTEST_ARGS)

# The two lanes run at the same time (each its own workers, data directories and test database):
# one lane's workers use the processor while the other's wait on a browser, a subprocess or the
# disk. Each lane's output is printed, whole, when it ends.
test: install-test chromium clamav postgres
	$(call timed,lint,$(MAKE) --no-print-directory lint)
	$(call timed,typecheck,$(MAKE) --no-print-directory typecheck)
	$(call timed,both test lanes,$(MAKE) --no-print-directory -j2 --output-sync=target lane-sqlite lane-postgres)

lane-sqlite:
	$(call timed,tests on SQLite,$(MAKE) --no-print-directory pytest)

lane-postgres:
	$(call timed,database tests on PostgreSQL,$(MAKE) --no-print-directory pytest-postgres)

# The quick check while working: lint, types and the tests not marked slow, browser or spark,
# on SQLite.
check: install-test
	$(call timed,lint,$(MAKE) --no-print-directory lint)
	$(call timed,typecheck,$(MAKE) --no-print-directory typecheck)
	$(call timed,quick tests on SQLite,$(BIN)/pytest $(XDIST) -q -m "not slow and not browser and not spark" $(PYTEST_ARGS))

clean:
	rm -rf $(VENV) .tools node_modules var

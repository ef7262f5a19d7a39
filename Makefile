# retail_warehouse: `make warehouse` builds the DuckDB warehouse from the real
# data, `make test` runs every test (PostgreSQL included). Both install what
# they need, the Dagster extra (orchestration) included. Data source:
# ONLINE_RETAIL_SOURCE (a path or URL; default the official UCI download).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_PROFILES_DIR := $(CURDIR)/profiles
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help install warehouse test lint format bench bench-ml bench-scale docs pg-start pg-stop spark-cluster spark-cluster-stop clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,api,orchestration,tpch,spark]'
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install pinned packages

warehouse: $(STAMP)  ## load Online Retail II and build every model on DuckDB
	$(BIN)/retail-warehouse load --target duckdb
	$(BIN)/retail-warehouse build --target duckdb
	$(BIN)/retail-warehouse summary --target duckdb

# pytest-xdist: one worker per core; tests/python/conftest.py keeps each module on
# one worker and every user of the full-data build on one (docs/testing.md).
PYTEST_WORKERS ?= 2

test: $(STAMP)  ## lint, start a throwaway PostgreSQL and run every test
	$(MAKE) --no-print-directory lint
	eval "$$(scripts/postgres_start.sh)" && \
		$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup tests/python

# Models and tests built only for the TPC-H source (sqlfluff skips disabled
# models, so they are linted in a second pass with that source chosen), and
# the models with a TPC-H branch of their own.
TPCH_SQL := models/staging/tpch models/intermediate/tpch models/intermediate/core \
	models/intermediate/sales/int_return_lines_matched.sql \
	models/marts/profitability models/marts/locations models/marts/employees \
	models/marts/suppliers tests/dbt/singular/assert_tpch_*.sql

# --processes 0: parsing and the rules run in one worker per core; the dbt
# templater renders in sqlfluff's main process meanwhile. One pass took 87 s of
# CPU, all in one process, when run serially; with workers 25 s of it is left
# in the main process (docs/testing.md, "Test time").
SQLFLUFF_LINT := $(BIN)/sqlfluff lint --processes 0

lint: $(STAMP)  ## ruff and sqlfluff (dbt templater)
	$(BIN)/ruff check src tests/python scripts
	$(BIN)/ruff format --check src tests/python scripts
	$(SQLFLUFF_LINT) models tests/dbt/singular analyses
	RW_SALES_SOURCE=tpch $(SQLFLUFF_LINT) $(TPCH_SQL)

format: $(STAMP)  ## apply ruff format and sqlfluff fixes
	$(BIN)/ruff format src tests/python scripts
	$(BIN)/sqlfluff fix models tests/dbt/singular analyses
	RW_SALES_SOURCE=tpch $(BIN)/sqlfluff fix $(TPCH_SQL)

bench: $(STAMP)  ## time each phase on the full data, both targets
	eval "$$(scripts/postgres_start.sh)" && $(BIN)/python scripts/bench.py

bench-ml: $(STAMP)  ## time only the ML models on the built DuckDB warehouse (goal 20 s)
	$(BIN)/python scripts/bench.py --ml-only

bench-scale: $(STAMP)  ## TPC-H SF 1 and 10, Online Retail x10 against a SQL floor (hours; docs/benchmark.md)
	eval "$$(scripts/postgres_start.sh)" && $(BIN)/python scripts/bench_scale.py
	@if [ -f scripts/bench_incremental.py ]; then $(BIN)/python scripts/bench_incremental.py; fi

DOCS_PORT ?= 8080
docs: $(STAMP)  ## generate the dbt docs (DuckDB) into target/ and serve them on DOCS_PORT (8080)
	$(BIN)/dbt docs generate --target duckdb
	@echo "dbt docs: http://localhost:$(DOCS_PORT) (Ctrl-C to stop)"
	$(BIN)/dbt docs serve --target duckdb --port $(DOCS_PORT) --no-browser

ORCHESTRATE_PORT ?= 3000
.PHONY: orchestrate
orchestrate: $(STAMP)  ## Dagster UI on 127.0.0.1:ORCHESTRATE_PORT (3000): inbox sensor, daily full build
	$(BIN)/retail-warehouse orchestrate --port $(ORCHESTRATE_PORT)

.PHONY: report
report: $(STAMP)  ## write the HTML dashboard to report/dashboard.html (DBT_TARGET, else duckdb)
	$(BIN)/retail-warehouse report --output report/dashboard.html

.PHONY: superset
superset: $(STAMP)  ## Superset with the dashboards on the PostgreSQL warehouse (PG*; own venv; docs/bi.md)
	$(BIN)/retail-warehouse superset

pg-start:  ## start the throwaway PostgreSQL; prints the PG* variables to export
	@scripts/postgres_start.sh

pg-stop:  ## stop the throwaway PostgreSQL
	@scripts/postgres_stop.sh

# A standalone master, two workers and a Spark Connect server on 127.0.0.1 for
# `dbt build --target spark_cluster` (docs/spark.md, "A real cluster"); state in
# data/spark-cluster, warehouse and metastore in RW_SPARK_DIR (default data/spark).
spark-cluster: $(STAMP)  ## start a local Spark cluster with Spark Connect (sc://127.0.0.1:15012)
	@RW_SPARK_PYTHON=$(CURDIR)/$(BIN)/python scripts/spark_cluster.sh start

spark-cluster-stop:  ## stop exactly what `make spark-cluster` started
	@RW_SPARK_PYTHON=$(CURDIR)/$(BIN)/python scripts/spark_cluster.sh stop

clean:  ## remove build output (keeps .venv, data/ and warehouse.duckdb)
	rm -rf target logs .pytest_cache .ruff_cache

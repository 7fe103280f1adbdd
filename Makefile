# innograph: two commands matter, `make demo` and `make test`. Both set up everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NEO4J := $(PYTHON) tools/neo4j/neo4j_local.py
DEMO_HOME ?= $(CURDIR)/.innograph/demo
DEMO_PORT ?= 8000

.PHONY: demo test install check lint neo4j-start neo4j-stop neo4j-status java clean browser-deps notebooks notebooks-save fuzz

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Java 17 and Maven are only needed for the local Neo4j (make test), never for make demo.
java:
	@command -v java >/dev/null && command -v mvn >/dev/null || { \
	  echo "installing OpenJDK 17 and Maven from Debian"; \
	  apt-get update -q && apt-get install -y -q openjdk-17-jdk-headless maven; }

# Headless Chromium, its driver and CJK fonts for the browser tests (tests/browser), from Debian.
browser-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && \
	  fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || { \
	  echo "installing chromium, chromium-driver and fonts-noto-cjk from Debian"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    chromium chromium-driver fonts-noto-cjk; }

# Runs the analysts' notebooks (notebooks/*.ipynb) against the sample graph.
notebooks: install
	$(BIN)/pytest -p no:cacheprovider tests/unit/test_viz_notebooks.py

# Runs them and saves them with their outputs (tables, views, charts) for readers.
notebooks-save: install
	$(BIN)/python tools/save_notebooks.py

neo4j-start: java
	$(NEO4J) start

neo4j-stop:
	$(NEO4J) stop

neo4j-status:
	$(NEO4J) status

check: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

lint: check
	$(BIN)/mypy schemas graph api

demo: install
	INNOGRAPH_HOME=$(DEMO_HOME) $(BIN)/innograph ingest data/sample --quiet
	INNOGRAPH_HOME=$(DEMO_HOME) $(BIN)/innograph stats
	INNOGRAPH_HOME=$(DEMO_HOME) INNOGRAPH_AUTH=off $(BIN)/innograph serve --port $(DEMO_PORT)

# Schemathesis over the whole API with 200 generated requests per operation (make test
# runs 10 of them per operation).
fuzz: install
	INNOGRAPH_FUZZ_EXAMPLES=200 $(BIN)/pytest -p no:cacheprovider -q tests/e2e/test_fuzz_api.py
	cat artifacts/fuzz-cases.txt

# Starts the local Neo4j, runs every test (both backends, headless Chromium, notebooks),
# stops Neo4j even on failure.
test: install java browser-deps bench-deps check
	@set -euo pipefail; \
	$(NEO4J) start; \
	trap '$(NEO4J) stop' EXIT; \
	INNOGRAPH_REQUIRE_NEO4J=1 INNOGRAPH_REQUIRE_BROWSER=1 \
	  $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .innograph tools/neo4j/target .pytest_cache .mypy_cache .ruff_cache

# wrk, the HTTP load generator of make bench's throughput runs, from Debian.
.PHONY: bench-deps bench bench-smoke
bench-deps:
	@command -v wrk >/dev/null || { \
	  echo "installing wrk from Debian"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }

# Rewrites the scale and link-prediction sections of BENCHMARKS.md from one run of at
# most BENCH_MINUTES (not part of make test). Neo4j: a private server under a temporary
# folder, never the shared one of .neo4j/.
BENCH_MINUTES ?= 30
LINKPRED_ARGS ?=
bench: install java bench-deps
	$(BIN)/python bench/run_all.py --minutes $(BENCH_MINUTES) \
	  --linkpred-args="$(LINKPRED_ARGS)" $(BENCH_ARGS)

# Every benchmark harness on tiny sizes (300 actors, 20 requests, wrk 2 s); writes nothing.
bench-smoke: install java bench-deps
	$(BIN)/python bench/run_all.py --smoke

# lantian — the two commands of the README are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
ES_JAR := index/es-server/target/lantian-es-server.jar

.PHONY: demo test check setup system-deps es-server

## Set everything up, then run the main job end to end on the embedded default.
demo: setup
	$(BIN)/lantian demo

## Set everything up, check lint and types, then run the whole test suite (it starts Elasticsearch, Redis and the
## simulator itself).
test: setup es-server check
	$(BIN)/python -m pytest -ra --durations=20

## Lint and import order (ruff), then types (mypy), as configured in pyproject.toml.
check: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

setup: system-deps $(VENV)/.installed

system-deps:
	@scripts/install-system-deps.sh

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: lantian needs Python 3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --progress-bar off -e '.[dev]'
	touch $@

es-server: $(ES_JAR)

$(ES_JAR): index/es-server/pom.xml $(shell find index/es-server/src -type f 2>/dev/null)
	mvn -q -B -f index/es-server/pom.xml package -DskipTests

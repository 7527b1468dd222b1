# One command per habit. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
PYTHON ?= python3.11
UV_VERSION ?= 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
MSA := $(VENV)/bin/msa
PYTEST_ARGS ?=

.PHONY: help venv deps web infra run test test-faults test-unit lint bench down status schemas clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install -q "uv==$(UV_VERSION)"
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

venv: $(VENV)/.synced ## create .venv from the lock file (uv, no Python download)

deps: ## system packages the tests need (Debian chromium for browser tests; root only)
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "chromium could not be installed: browser tests will fail"; \
	  else echo "chromium missing: browser tests need 'apt-get install chromium'"; fi; fi

web: venv ## vendor the live map's Leaflet and Natural Earth land (npm ci from web/package-lock.json; idempotent)
	$(VENV)/bin/python web/build.py

infra: venv ## install (if needed) and start Kafka + PostgreSQL/PostGIS, create topics, migrate the schema
	$(MSA) infra up
	$(MSA) db upgrade

run: infra web ## start the infrastructure and the pipeline; prints where things are
	$(MSA) run

status: venv ## what runs where
	$(MSA) infra status

down: venv ## stop what `make infra` / `make run` started
	-$(MSA) run --stop
	$(MSA) infra down

test: infra deps web ## the whole suite against the real broker, database and browser
	@set +e; $(VENV)/bin/pytest --ignore=tests/faults $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

test-faults: infra deps ## the fault suite: kills, rebalances, poison records (figures in bench/results/faults.json)
	@set +e; $(VENV)/bin/pytest tests/faults -m faults $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

test-unit: venv ## unit tests only (no infrastructure)
	$(VENV)/bin/pytest tests/unit $(PYTEST_ARGS)

lint: venv ## ruff and mypy --strict on the code
	$(VENV)/bin/ruff check msa services geo bench tests
	$(VENV)/bin/mypy

bench: infra ## benchmarks; figures printed and saved to bench/results/
	$(MSA) bench $(BENCH_ARGS)

schemas: venv ## regenerate schemas/ from the code
	$(MSA) schemas export

clean: ## remove the virtualenv and caches (not the infrastructure's data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache web/node_modules services/api/static/vendor

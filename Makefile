SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:/usr/local/go/bin:$(PATH)
PY_DIRS := libs services gateway tools scripts tests k8s docker benchmarks
GO_DIRS := benchmarks/tills
.DEFAULT_GOAL := help

include k8s/k8s.mk

.PHONY: help bootstrap bootstrap-test run stop test lint format bench chaos clean console-api console-lint

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

bootstrap: ## Install what `make run` needs (Debian packages, uv, the Temporal CLI); skips what is there
	@scripts/bootstrap.sh run

bootstrap-test: ## Install what `make test` needs: bootstrap plus PostgreSQL and the Temporal test server
	@scripts/bootstrap.sh test

run: bootstrap ## Start the whole platform on SQLite; Ctrl-C or `make stop` stops it
	@uv run --frozen python scripts/devstack.py up

stop: ## Stop what `make run` started
	@uv run --frozen python scripts/devstack.py stop

test: bootstrap-test k8s-check ## Check the k8s manifests, then run the whole test suite against real servers
	@uv run --frozen pytest $(PYTEST_ARGS)
	@cd console && npm test --silent

lint: bootstrap ## ruff format check, ruff, mypy, gofmt and go vet, and the Dockerfile linters
	uv run --frozen ruff format --check $(PY_DIRS)
	uv run --frozen ruff check $(PY_DIRS)
	uv run --frozen mypy $(PY_DIRS)
	@unformatted="$$(gofmt -l $(GO_DIRS))"; [ -z "$$unformatted" ] || { echo "gofmt: $$unformatted"; exit 1; }
	@for dir in $(GO_DIRS); do (cd $$dir && go vet ./...) || exit 1; done
	@$(MAKE) --no-print-directory dockerfile-lint
	@$(MAKE) --no-print-directory console-lint

bench: bootstrap-test ## Run the benchmarks (BENCH="pos segments" for some) and write results/
	@uv run --frozen python benchmarks/run.py $(BENCH)

.PHONY: simulate
simulate: ## A known population through the chain analytics: truth, estimate, interval, ROI (CUSTOMERS=10000 ARGS=--in-memory)
	@uv run --frozen python -m orchestrator.simulate --customers $(or $(CUSTOMERS),10000) $(ARGS)

.PHONY: simulate-platform
simulate-platform: bootstrap-test ## The simulator through every real service, workflow and event (CUSTOMERS=300)
	@uv run --frozen python -m orchestrator.simulate_platform --customers $(or $(CUSTOMERS),300) $(ARGS)

chaos: bootstrap-test ## Faults one at a time under POS load, checked for loss (CHAOS_ARGS="--outage-seconds 60")
	@uv run --frozen python scripts/chaos.py $(CHAOS_ARGS)

.PHONY: trace
trace: ## The traces `make run` wrote: the latest, or one as a tree (ID=<trace_id>)
	@uv run --frozen python -m kit.tracing --dir $(or $(RUN_DIR),run)/traces $(if $(ID),show $(ID),recent)

format: ## Format the code and apply safe fixes
	uv run --frozen ruff format $(PY_DIRS)
	uv run --frozen ruff check --fix $(PY_DIRS)

clean: ## Remove the run folder (data and logs of `make run`)
	rm -rf run

console-api: ## Export the gateway's OpenAPI to console/openapi.json and regenerate the console's client types
	uv run --frozen python scripts/console_openapi.py
	cd console && npm run --silent api

console-lint: ## The console: committed OpenAPI and client types current, ESLint, TypeScript
	uv run --frozen python scripts/console_openapi.py --check
	cd console && npm run --silent api:check && npm run --silent lint && npm run --silent typecheck

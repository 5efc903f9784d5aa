# Thin wrappers around scripts/; the scripts are the source of truth.
.PHONY: bootstrap run demo test lint format

bootstrap:
	./scripts/bootstrap

run demo:
	./scripts/demo

test:
	./scripts/test

lint:
	./scripts/lint

format: bootstrap
	.venv/bin/ruff check --fix src tests
	.venv/bin/ruff format src tests

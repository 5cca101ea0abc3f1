.PHONY: setup run test test-slow lint

setup:
	@bash scripts/setup.sh

run: setup
	.venv/bin/deepchorale compose melody=ode_to_joy

test: setup
	.venv/bin/pytest

test-slow: setup
	.venv/bin/pytest -m slow

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

# The two commands of the README. Both set everything up on first use (packaging/setup.sh).
.PHONY: run test setup

run: setup
	.venv/bin/kiosk run

test: setup
	.venv/bin/python -m pytest tests

setup:
	@packaging/setup.sh

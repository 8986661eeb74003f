# The two commands of the README. Both set everything up on first use (packaging/setup.sh).
.PHONY: run test setup

run: setup
	.venv/bin/kiosk run

# The suite also needs a PostgreSQL server for the fleet hub's tests (started by the fixture in a temp dir)
# and Debian's chromium for the dashboard's browser tests.
test:
	@KIOSK_APT_PACKAGES="postgresql chromium" packaging/setup.sh
	.venv/bin/python -m pytest tests

setup:
	@packaging/setup.sh

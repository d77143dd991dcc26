# Two commands for a fresh Debian / Raspberry Pi OS machine: `make demo` and `make test`.
# Each sets up what it needs first (Debian packages when root, a virtual environment, the package).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test setup lint bench clean test-fresh-root

# `make image` / `make image-test`: the SD-card image (root; Debian 13 by default, SUITE=bookworm for
# Debian 12; not part of `make test`).
include firmware/image.mk

# What a new user goes through: a fresh minimal Debian root per suite (mmdebstrap), this checkout in
# it, `make setup`, `make demo`, `make test`. Root; many minutes each; not part of `make test`.
FRESH_SUITES ?= trixie bookworm

demo: setup
	$(VENV)/bin/callerid demo

test: setup
	$(VENV)/bin/ruff check callerid tests bench scripts firmware/image-test.d/callerid-clock-check
	$(PY) -m pytest

setup: $(STAMP)

$(STAMP): setup.py pyproject.toml debian-packages.txt scripts/apt-install.sh
	./scripts/apt-install.sh debian-packages.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lint: setup
	$(VENV)/bin/ruff check callerid tests bench scripts firmware/image-test.d/callerid-clock-check

bench: setup
	$(VENV)/bin/callerid bench

test-fresh-root:
	./scripts/apt-install.sh scripts/fresh-root-packages.txt
	@for suite in $(FRESH_SUITES); do ./scripts/fresh-root-test.sh $$suite || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis

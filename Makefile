# Two commands for a fresh Debian / Raspberry Pi OS machine: `make demo` and `make test`.
# Each sets up what it needs first (Debian packages when root, a virtual environment, the package).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test setup lint bench clean

# `make image` / `make image-test`: the SD-card image (root, Debian 12; not part of `make test`).
include firmware/image.mk

demo: setup
	$(VENV)/bin/callerid demo

test: setup
	$(VENV)/bin/ruff check callerid tests bench
	$(PY) -m pytest

setup: $(STAMP)

$(STAMP): setup.py pyproject.toml debian-packages.txt scripts/apt-install.sh
	./scripts/apt-install.sh debian-packages.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lint: setup
	$(VENV)/bin/ruff check callerid tests bench

bench: setup
	$(VENV)/bin/callerid bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis

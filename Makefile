# uqbench: `make study` runs the full study, `make test` the test suite; both set up .venv
# from the pinned lock first (only when it is missing or the lock changed).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_STAMP := $(VENV)/.apt-installed
CORES ?= all

.PHONY: setup test lint study bench clean

$(STAMP): envs/requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r envs/requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# System packages (Slurm + munge for the cluster test), as root only; otherwise the cluster
# test is skipped and says why.
$(APT_STAMP): envs/apt.txt | $(STAMP)
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			$$(grep -v '^#' envs/apt.txt) >/dev/null; \
	else \
		echo "not root (or no apt-get): not installing envs/apt.txt; the Slurm test will be skipped"; \
	fi
	touch $@

setup: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakemake --lint

test: lint $(APT_STAMP)
	$(BIN)/pytest

study: $(STAMP)
	$(BIN)/snakemake --workflow-profile profiles/local --cores $(CORES)

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf results logs benchmarks .snakemake

# uqbench: `make study` runs the full study, `make test` the test suite; both set up .venv
# from the pinned lock first (only when it is missing or the lock changed).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
APT_STAMP := $(VENV)/.apt-installed
CORES ?= all

VALIDATE_DIR ?= .validate

.PHONY: setup test lint study bench validate validate-accept clean

$(STAMP): envs/requirements.lock envs/requirements-nodeps.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r envs/requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r envs/requirements-nodeps.lock
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

# The science check (not part of `make test`: ~15 min on 2 cores): the full-size elu study
# with one seed and the claims table, then every method's energy distance, spread ratio and
# coverage against validation/elu_reference.csv. Run it after touching a method, a metric
# or the data; it fails naming the method and metric that moved.
validate: $(STAMP)
	$(BIN)/snakemake --snakefile $(CURDIR)/Snakefile --directory $(VALIDATE_DIR) \
		--cores $(CORES) results/validation/elu.txt results/tables/claims.csv \
		--configfile $(CURDIR)/config.yaml $(CURDIR)/validation/elu.yaml
	cat $(VALIDATE_DIR)/results/validation/elu.txt $(VALIDATE_DIR)/results/tables/claims.md

# Accept the last validation run (all its seeds) as the new reference.
validate-accept: $(STAMP)
	$(BIN)/python -c "import glob; from uqbench.stages.tables import accept_validation; \
		accept_validation(sorted(glob.glob('$(VALIDATE_DIR)/results/metrics/elu/*/*/*/test.json')), \
		'validation/elu_reference.csv')"

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf results logs benchmarks .snakemake $(VALIDATE_DIR)

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

.PHONY: setup test lint study bench validate validate-accept ablation reference clean

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

# The science check (not part of `make test`): the full-size study of one problem
# (PROBLEM=elu|poisson|porous) with one seed at the main ratio on the validation data seed,
# and the claims table, then every method's energy distance, spread ratio and coverage
# against validation/$(PROBLEM)_reference.csv (the prediction interval of its seeds for a
# new one, or for the mean of several with EXTRA=validation/three_seeds.yaml:
# report/validate.py). Run it after touching a
# method, a metric or the data; it fails naming the method and metric that moved.
PROBLEM ?= elu
EXTRA ?=  # more config files layered on top (e.g. a deliberately degraded method)
VALIDATE_RUN = $(BIN)/snakemake --snakefile $(CURDIR)/Snakefile --directory $(VALIDATE_DIR) \
	--cores $(CORES)

validate: $(STAMP)
	$(VALIDATE_RUN) results/validation/$(PROBLEM).txt results/tables/claims.csv \
		--configfile $(CURDIR)/config.yaml $(CURDIR)/validation/$(PROBLEM).yaml $(abspath $(EXTRA))
	cat $(VALIDATE_DIR)/results/validation/$(PROBLEM).txt $(VALIDATE_DIR)/results/tables/claims.md

# A new reference: the validation study with the seeds of validation/reference_seeds.yaml
# (the tolerances come from their spread), then every seed's test metrics written to
# validation/$(PROBLEM)_reference.csv with the commit they came from.
# ACCEPT_SEEDS=1,2 runs a part of those seeds only and joins it to the reference's other
# seeds (made by the same number-making code), for a problem too long for one sitting.
# Check the numbers before committing it.
ACCEPT_SEEDS ?=  # a part of reference_seeds.yaml's seeds only (e.g. 1,2)
ACCEPT_PART = $(if $(strip $(ACCEPT_SEEDS)),$(abspath $(VALIDATE_DIR))/part.yaml)
ACCEPT_CONFIGS = $(CURDIR)/config.yaml $(CURDIR)/validation/$(PROBLEM).yaml \
	$(CURDIR)/validation/reference_seeds.yaml
ACCEPT = $(BIN)/python -m uqbench.stages.accept \
	$(VALIDATE_DIR)/results/validation/$(PROBLEM)_accepted.csv \
	validation/$(PROBLEM)_reference.csv $(ACCEPT_CONFIGS) $(if $(ACCEPT_PART),--part $(ACCEPT_PART))
validate-accept: $(STAMP)
	mkdir -p $(VALIDATE_DIR)
	$(if $(ACCEPT_PART),echo "seeds: [$$(echo $(strip $(ACCEPT_SEEDS)) \
		| tr ' ' '$(comma)')]" > $(ACCEPT_PART))
	$(ACCEPT) --check
	$(VALIDATE_RUN) results/validation/$(PROBLEM)_accepted.csv \
		results/tables/$(PROBLEM)_metrics.csv results/tables/claims.csv \
		--configfile $(ACCEPT_CONFIGS) $(ACCEPT_PART)
	$(ACCEPT)

# The GenUQ ablation on poisson (validation/poisson_ablation.yaml: 3 seeds, data seed 5):
# each variant beside the default, table and figure.
ABLATION_DIR ?= .ablation
ablation: $(STAMP)
	$(BIN)/snakemake --snakefile $(CURDIR)/Snakefile --directory $(ABLATION_DIR) \
		--cores $(CORES) results/tables/poisson_genuq_ablation.csv \
		results/figures/poisson_genuq_ablation.png results/tables/poisson_metrics.csv \
		--configfile $(CURDIR)/config.yaml $(CURDIR)/validation/poisson_ablation.yaml
	cat $(ABLATION_DIR)/results/tables/poisson_genuq_ablation.md

# The reference study (reference/config.yaml over config.yaml: the full default study),
# published into reference/ (tables, PNG figures, provenance with commits, machines and each
# problem's wall time). Only from committed code (checked first). Each problem of
# REFERENCE_PROBLEMS runs on its own (`snakemake problem_<p>`, in REFERENCE_DIR) and is
# timed (stages/wall.py); a stopped (Ctrl-C, TERM, HUP), failed or killed and resumed one
# adds the time of each of its runs (a run killed outright, to its last 30 s heartbeat).
# A finished problem is archived in
# reference/records/<p>.json.gz (its records, commit, wall time, machine; its prediction
# figures in reference/records/figures/): commit it, and the problems can be run in
# different sessions or on different machines (`make reference REFERENCE_PROBLEMS=porous`);
# an archived problem is not run again (delete its archive, and REFERENCE_DIR's results, to
# rerun it). A problem too long for one sitting runs in parts of its seeds, each in a new
# REFERENCE_DIR (`make reference REFERENCE_PROBLEMS=porous REFERENCE_SEEDS=0`, then `=1,2`),
# each part archived beside the earlier ones. Then the tables and the other figures are
# made anew from every problem archived with all its seeds (by this commit's code) in
# REFERENCE_DIR/publish and published, with the README's results and cost blocks.
REFERENCE_DIR ?= .reference
REFERENCE_PROBLEMS ?= elu poisson porous
REFERENCE_SEEDS ?=  # a part of the seeds only (e.g. 0 or 1,2), in its own REFERENCE_DIR
REFERENCE_OUT ?= $(CURDIR)/reference
REFERENCE_CONFIGS = $(CURDIR)/config.yaml $(CURDIR)/reference/config.yaml
# a part's seeds go in as a config file (snakemake --config would pass them as strings)
comma := ,
REFERENCE_PART = $(if $(strip $(REFERENCE_SEEDS)),$(abspath $(REFERENCE_DIR))/part.yaml)
REFERENCE_RUN = $(BIN)/snakemake --snakefile $(CURDIR)/Snakefile --directory $(REFERENCE_DIR) \
	--workflow-profile $(CURDIR)/profiles/local --cores $(CORES)
REFERENCE_DONE = $(REFERENCE_RUN) -n problem_$$p --configfile $(REFERENCE_CONFIGS) \
	$(REFERENCE_PART) 2>&1 | grep -q 'Nothing to be done'
# status exits 3 (stages.archive.ARCHIVED_EXIT) for a problem whose seeds are archived
ARCHIVE = $(BIN)/python -m uqbench.stages.archive
WALL = $(BIN)/python -m uqbench.stages.wall  # WALL_FILE [-- CMD]: time CMD (module doc)
reference: $(STAMP)
	@$(BIN)/python -c 'import sys; from uqbench.io import git_commit; c = git_commit(); \
	sys.exit(None if c and not c.endswith("-dirty") else "make reference: commit the code" \
	" first (src, scripts, workflow or Snakefile differ from the commit: git status)")'
	mkdir -p $(REFERENCE_DIR)/wall
	$(if $(REFERENCE_PART),echo "seeds: [$$(echo $(strip $(REFERENCE_SEEDS)) \
		| tr ' ' '$(comma)')]" > $(REFERENCE_PART))
	for p in $(REFERENCE_PROBLEMS); do \
		$(ARCHIVE) status $(REFERENCE_OUT) $(REFERENCE_DIR) $$p "$(strip $(REFERENCE_SEEDS))" \
			$(REFERENCE_CONFIGS); rc=$$?; \
		[ $$rc = 3 ] && continue; [ $$rc = 0 ] || exit 1; \
		$(WALL) $(REFERENCE_DIR)/wall/$$p.s || exit 1; \
		if ! $(REFERENCE_DONE); then \
			$(WALL) $(REFERENCE_DIR)/wall/$$p.s -- \
				$(REFERENCE_RUN) problem_$$p --configfile $(REFERENCE_CONFIGS) $(REFERENCE_PART) \
				|| exit $$?; \
		fi; \
		$(ARCHIVE) archive $(REFERENCE_DIR) $$p $(REFERENCE_OUT) $(REFERENCE_CONFIGS) || exit 1; \
	done
	rm -rf $(REFERENCE_DIR)/publish
	$(ARCHIVE) restore $(REFERENCE_OUT) $(REFERENCE_DIR)/publish $(REFERENCE_CONFIGS)
	if [ ! -f $(REFERENCE_DIR)/publish/remake-profile/config.yaml ]; then \
		echo "make reference: no problem is archived with all its seeds yet: nothing to publish"; \
		exit 0; fi; \
	$(BIN)/snakemake --snakefile $(CURDIR)/Snakefile --directory $(REFERENCE_DIR)/publish \
		--profile $(REFERENCE_DIR)/publish/remake-profile --cores $(CORES) \
		--configfile $(REFERENCE_CONFIGS) && \
	$(BIN)/python -m uqbench.stages.reference $(REFERENCE_DIR)/publish $(REFERENCE_OUT) \
		$(REFERENCE_CONFIGS) --readme $(CURDIR)/README.md

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf results logs benchmarks .snakemake $(VALIDATE_DIR) $(ABLATION_DIR)

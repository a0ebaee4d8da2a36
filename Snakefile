# uqbench: uncertainty quantification in operator learning, the GenUQ benchmark study.
# Run the full study with `make study` (= snakemake --workflow-profile profiles/local) or
# `snakemake --cores all`; on Slurm with `snakemake --profile profiles/slurm`. See README.md.
import os
import sys

from snakemake.utils import min_version, validate

min_version("9.0")

# Jobs import the library from this checkout's src/ (also under --sdm conda and on Slurm,
# where each job re-parses this file), so an editable install is not required.
os.environ.update(
    PYTHONPATH=os.pathsep.join(
        filter(None, [os.path.join(workflow.basedir, "src"), os.environ.get("PYTHONPATH")])
    )
)


# The parse itself reads the torch-free method catalogue from the same src/.
sys.path.insert(0, os.path.join(workflow.basedir, "src"))


configfile: "config.yaml"


# Once, at parse time: fills schema defaults and rejects unknown or out-of-range keys.
validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/locks.smk"
include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/figures.smk"


onstart:
    record_lock_owner()


onsuccess:
    clear_lock_owner()


onerror:
    clear_lock_owner()


rule all:
    input:
        "results/tables/claims.csv",
        all_metric_files(),
        expand("results/tables/{problem}_metrics.csv", problem=config["problems"]),
        figure_targets(),
        ratio_study_targets(),
        "results/tables/cost.csv",
        ablation_targets(),
    default_target: True


# One problem's part of the study, e.g. `snakemake problem_poisson` (make reference runs and
# times each problem so).
for _p in config["problems"]:

    rule:
        name:
            f"problem_{_p}"
        input:
            problem_targets(_p),

# Tables: methods x metrics per problem at the main ratio, mean ± std over seeds, and each
# problem's shift ladder (methods x test and shift splits).


rule metrics_table:
    input:
        shift_metrics,
    output:
        csv=report(
            "results/tables/{problem}_metrics.csv",
            caption="../report/metrics_table.rst",
            category="2. Problems",
            subcategory="{problem}",
        ),
        md="results/tables/{problem}_metrics.md",
        shift_csv="results/tables/{problem}_shift.csv",
        shift_md="results/tables/{problem}_shift.md",
    log:
        "logs/tables/{problem}_metrics.log",
    benchmark:
        "benchmarks/tables/{problem}_metrics.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/metrics_table.py"


rule ratio_table:
    input:
        ratio_study_metrics,
    output:
        csv=report(
            "results/tables/ratio_study.csv",
            caption="../report/ratio_study_table.rst",
            category="3. Ratio study",
        ),
        md="results/tables/ratio_study.md",
    log:
        "logs/tables/ratio_study.log",
    benchmark:
        "benchmarks/tables/ratio_study.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/ratio_table.py"


rule cost_table:
    input:
        unpack(benchmark_files),
    output:
        report(
            "results/tables/cost.csv",
            caption="../report/cost_table.rst",
            category="6. Cost",
        ),
    log:
        "logs/tables/cost.log",
    benchmark:
        "benchmarks/tables/cost.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/cost_table.py"


rule claims_table:
    input:
        claims_metrics,
    output:
        csv=report(
            "results/tables/claims.csv",
            caption="../report/claims.rst",
            category="1. Claims",
        ),
        md="results/tables/claims.md",
    params:
        main_ratio=float(MAIN_RATIO),
    log:
        "logs/tables/claims.log",
    benchmark:
        "benchmarks/tables/claims.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/claims_table.py"


# The science check of `make validate`: the study's test metrics of a problem (their mean
# over the configured seeds, one by default) against the accepted reference in validation/
# (fails naming method and metric).
rule validate:
    input:
        metrics=lambda wc: run_files(
            f"results/metrics/{RUN}/test.json", wc.problem, main_only=True
        ),
        reference=os.path.join(workflow.basedir, "validation", "{problem}_reference.csv"),
    output:
        "results/validation/{problem}.txt",
    log:
        "logs/validation/{problem}.log",
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/validate.py"


# make validate-accept: the study's test metrics of every configured seed (every method at
# the main ratio) as the rows of a validation reference, each with the commit that made it.
rule accept_validation:
    input:
        lambda wc: run_files(f"results/metrics/{RUN}/test.json", wc.problem, main_only=True),
    output:
        "results/validation/{problem}_accepted.csv",
    log:
        "logs/validation/{problem}_accepted.log",
    params:
        repo=workflow.basedir,
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/accept_validation.py"


# A method and its variants (config ``variants``) on one problem: each variant beside the
# default, with its paired difference from it, and the validation objective each run was
# selected by (from its training log: what a default is chosen by).
rule ablation_table:
    input:
        metrics=ablation_metrics,
        logs=ablation_logs,
    output:
        csv=report(
            "results/tables/{problem}_{base}_ablation.csv",
            caption="../report/ablation.rst",
            category="7. Ablations",
            subcategory="{problem}",
        ),
        md="results/tables/{problem}_{base}_ablation.md",
    params:
        main_ratio=float(MAIN_RATIO),
    log:
        "logs/tables/{problem}_{base}_ablation.log",
    benchmark:
        "benchmarks/tables/{problem}_{base}_ablation.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/ablation_table.py"

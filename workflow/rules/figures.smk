# Figures: each its own target; they read seed 0's test predictions at the main ratio.


def first_seed_predictions(wildcards):
    return run_files(
        "results/predictions/" + RUN + "/test.nc",
        wildcards.problem,
        main_only=True,
        seeds=config["seeds"][:1],
    )


rule figure:
    input:
        data="results/data/{problem}/test.nc",
        predictions=first_seed_predictions,
    output:
        report(
            "results/figures/{problem}_{kind}.png",
            caption="../report/{kind}.rst",
            category="Figures",
            subcategory="{problem}",
        ),
        "results/figures/{problem}_{kind}.pdf",
    wildcard_constraints:
        kind="bands|samples|correlation",
    log:
        "logs/figures/{problem}_{kind}.log",
    benchmark:
        "benchmarks/figures/{problem}_{kind}.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/figure.py"


rule training_curves:
    input:
        lambda wc: [
            f
            for p in config["problems"]
            for f in run_files(
                "results/models/" + RUN + "/train_log.csv",
                p,
                main_only=True,
                seeds=config["seeds"][:1],
            )
        ],
    output:
        report(
            "results/figures/training_curves.png",
            caption="../report/training_curves.rst",
            category="Figures",
        ),
        "results/figures/training_curves.pdf",
    log:
        "logs/figures/training_curves.log",
    benchmark:
        "benchmarks/figures/training_curves.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/training_curves.py"

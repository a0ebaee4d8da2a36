# Tables: methods x metrics per problem at the main ratio, mean ± std over seeds.


rule metrics_table:
    input:
        lambda wc: run_files(
            f"results/metrics/{RUN}/test.json", wc.problem, main_only=True
        ),
    output:
        csv=report(
            "results/tables/{problem}_metrics.csv",
            caption="../report/metrics_table.rst",
            category="Tables",
        ),
        md="results/tables/{problem}_metrics.md",
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
            category="Tables",
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
        benchmark_files,
    output:
        report(
            "results/tables/cost.csv",
            caption="../report/cost_table.rst",
            category="Tables",
        ),
    log:
        "logs/tables/cost.log",
    benchmark:
        "benchmarks/tables/cost.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/cost_table.py"

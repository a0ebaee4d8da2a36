# Evaluation: metrics JSON of one prediction file against the true realizations.


rule evaluate:
    input:
        unpack(evaluate_inputs),
    output:
        f"results/metrics/{RUN}/{{split}}.json",
    log:
        f"logs/evaluate/{RUN}/{{split}}.log",
    benchmark:
        f"benchmarks/evaluate/{RUN}/{{split}}.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/evaluate.py"

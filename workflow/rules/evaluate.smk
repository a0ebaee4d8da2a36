# Evaluation: metrics JSON of one prediction file against the true realizations.


rule evaluate:
    input:
        predictions="results/predictions/" + RUN + "/{split}.nc",
        data="results/data/{problem}/{split}.nc",
    output:
        "results/metrics/" + RUN + "/{split}.json",
    log:
        "logs/evaluate/" + RUN + "/{split}.log",
    benchmark:
        "benchmarks/evaluate/" + RUN + "/{split}.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/evaluate.py"

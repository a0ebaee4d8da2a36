# Evaluation: metrics JSON of the test and ood predictions against the true realizations;
# the test JSON also holds the epistemic metrics (test vs ood) of methods with a score.


rule evaluate:
    input:
        test_predictions=f"results/predictions/{RUN}/test.nc",
        ood_predictions=f"results/predictions/{RUN}/ood.nc",
        test_data="results/data/{problem}/test.nc",
        ood_data="results/data/{problem}/ood.nc",
    output:
        test=f"results/metrics/{RUN}/test.json",
        ood=f"results/metrics/{RUN}/ood.json",
    log:
        f"logs/evaluate/{RUN}.log",
    benchmark:
        f"benchmarks/evaluate/{RUN}.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/evaluate.py"

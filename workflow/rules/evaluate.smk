# Evaluation: metrics JSON of the test and shift-rung predictions against the true
# realizations, each with its conformally calibrated (+cp, factor fitted on the calib
# predictions) twin; the test JSON holds the epistemic metrics (test vs ood) of methods with
# a score, each rung's JSON its shift_auroc (test vs that rung).


rule evaluate:
    input:
        **{f"{s}_predictions": f"results/predictions/{RUN}/{s}.nc" for s in PREDICT_SPLITS},
        **{f"{s}_data": f"results/data/{{problem}}/{s}.nc" for s in PREDICT_SPLITS},
        **{f"{s}_truth": f"results/truth/{{problem}}/{s}.nc" for s in EVAL_SPLITS},
    output:
        **{s: f"results/metrics/{RUN}/{s}.json" for s in EVAL_SPLITS},
    params:
        splits=EVAL_SPLITS,
        calibration="calib",
    log:
        f"logs/evaluate/{RUN}.log",
    benchmark:
        f"benchmarks/evaluate/{RUN}.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/evaluate.py"


# What the metrics need of the realizations alone (sorted realizations, the truth's energy and
# correlation terms, variogram sums): once per problem for the test split and every rung,
# read by every evaluate job (one job: its start-up costs more than its work on small data).
rule truth_statistics:
    input:
        **{s: f"results/data/{{problem}}/{s}.nc" for s in EVAL_SPLITS},
    output:
        **{s: f"results/truth/{{problem}}/{s}.nc" for s in EVAL_SPLITS},
    params:
        splits=EVAL_SPLITS,
    log:
        "logs/truth/{problem}.log",
    benchmark:
        "benchmarks/truth/{problem}.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/truth_statistics.py"

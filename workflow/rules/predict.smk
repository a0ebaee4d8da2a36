# Prediction: predictive samples of a trained model for the test and ood splits (one job
# loads the model once and writes one file per split).


rule predict:
    wildcard_constraints:
        method=TRAINED,
    input:
        model=f"results/models/{RUN}/model.pt",
        test="results/data/{problem}/test.nc",
        ood="results/data/{problem}/ood.nc",
    output:
        test=f"results/predictions/{RUN}/test.nc",
        ood=f"results/predictions/{RUN}/ood.nc",
    params:
        n_samples=config["n_samples"],
        device=config["device"],
    resources:
        gpu=1,
    log:
        f"logs/predict/{RUN}.log",
    benchmark:
        f"benchmarks/predict/{RUN}.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/predict.py"


# The oracle: fresh realizations of the true operator (the problem's own sampler, a seed
# stream no data file uses) as predictions, scored like every method. No training job.
rule predict_oracle:
    input:
        test="results/data/{problem}/test.nc",
        ood="results/data/{problem}/ood.nc",
    output:
        test=f"results/predictions/{{problem}}/{ORACLE}/r{NO_RATIO}/s{{seed}}/test.nc",
        ood=f"results/predictions/{{problem}}/{ORACLE}/r{NO_RATIO}/s{{seed}}/ood.nc",
    params:
        settings=data_settings,
        n_samples=config["n_samples"],
    log:
        f"logs/predict/{{problem}}/{ORACLE}/r{NO_RATIO}/s{{seed}}.log",
    benchmark:
        f"benchmarks/predict/{{problem}}/{ORACLE}/r{NO_RATIO}/s{{seed}}.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/oracle.py"

# Prediction: predictive samples of a trained model for calib (it calibrates, +cp), test and
# every shift rung (one job loads the model once and writes one file per split).


rule predict:
    wildcard_constraints:
        method=TRAINED,
    input:
        model=f"results/models/{RUN}/model.pt",
        **{s: f"results/data/{{problem}}/{s}.nc" for s in PREDICT_SPLITS},
    output:
        **{s: f"results/predictions/{RUN}/{s}.nc" for s in PREDICT_SPLITS},
    params:
        splits=PREDICT_SPLITS,
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
        **{s: f"results/data/{{problem}}/{s}.nc" for s in PREDICT_SPLITS},
    output:
        **{
            s: f"results/predictions/{{problem}}/{ORACLE}/r{NO_RATIO}/s{{seed}}/{s}.nc"
            for s in PREDICT_SPLITS
        },
    params:
        splits=PREDICT_SPLITS,
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

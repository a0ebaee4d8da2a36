# Prediction: predictive samples of a trained model for the test and ood splits (one job
# loads the model once and writes one file per split).


rule predict:
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

# Prediction: predictive samples of a trained model for one split.


rule predict:
    input:
        model=f"results/models/{RUN}/model.pt",
        data="results/data/{problem}/{split}.nc",
    output:
        f"results/predictions/{RUN}/{{split}}.nc",
    params:
        n_samples=config["n_samples"],
        device=config["device"],
    resources:
        gpu=1,
    log:
        f"logs/predict/{RUN}/{{split}}.log",
    benchmark:
        f"benchmarks/predict/{RUN}/{{split}}.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/predict.py"

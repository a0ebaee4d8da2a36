# Prediction: predictive samples of a trained model for one split.


rule predict:
    input:
        model="results/models/" + RUN + "/model.pt",
        data="results/data/{problem}/{split}.nc",
    output:
        "results/predictions/" + RUN + "/{split}.nc",
    params:
        n_samples=config["n_samples"],
        device=config["device"],
    resources:
        gpu=1,
    log:
        "logs/predict/" + RUN + "/{split}.log",
    benchmark:
        "benchmarks/predict/" + RUN + "/{split}.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/predict.py"

# Training: one model per (problem, method, ratio, seed).


rule train:
    input:
        train="results/data/{problem}/train.nc",
        val="results/data/{problem}/val.nc",
    output:
        model="results/models/" + RUN + "/model.pt",
        log="results/models/" + RUN + "/train_log.csv",
    params:
        hyper=method_hyper,
        ratio=ratio_value,
        device=config["device"],
    resources:
        gpu=1,
    log:
        "logs/train/" + RUN + ".log",
    benchmark:
        "benchmarks/train/" + RUN + ".tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/train.py"

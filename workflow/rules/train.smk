# Training: one model per (problem, method, ratio, seed).


rule train:
    input:
        unpack(train_inputs),
    output:
        model=f"results/models/{RUN}/model.pt",
        log=f"results/models/{RUN}/train_log.csv",
    params:
        hyper=method_hyper,
        variant_of=variant_of,
        recipe=base_recipe,
        ratio=ratio_value,
        device=config["device"],
        divergence_factor=config["divergence_factor"],
    resources:
        gpu=1,
    log:
        f"logs/train/{RUN}.log",
    benchmark:
        f"benchmarks/train/{RUN}.tsv"
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/train.py"

# Data generation: one file per problem and split.


rule generate_data:
    output:
        "results/data/{problem}/{split}.nc",
    params:
        settings=data_settings,
        seed=config["data"]["seed"],
    log:
        "logs/data/{problem}/{split}.log",
    benchmark:
        "benchmarks/data/{problem}/{split}.tsv"
    threads: 1
    conda:
        "../../envs/uqbench.yaml"
    script:
        "../../scripts/generate_data.py"

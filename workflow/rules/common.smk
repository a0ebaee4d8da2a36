# Input functions, target lists and wildcard constraints shared by all rules.
SPLITS = ["train", "val", "test", "ood"]


wildcard_constraints:
    problem="|".join(config["problems"]),
    split="|".join(SPLITS),


def data_settings(wildcards):
    """The config slice of one problem (data.<problem>): all generate_data needs."""
    return config["data"][wildcards.problem]


def all_data_files():
    return expand(
        "results/data/{problem}/{split}.nc", problem=config["problems"], split=SPLITS
    )

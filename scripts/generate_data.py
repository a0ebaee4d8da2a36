"""Rule generate_data: one split of one problem -> results/data/{problem}/{split}.nc."""

import logging

from uqbench.problems import generate_data

logging.basicConfig(
    filename=snakemake.log[0],
    level=logging.INFO,
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)

generate_data(
    name=snakemake.wildcards.problem,
    settings=snakemake.params.settings,
    split=snakemake.wildcards.split,
    seed=snakemake.params.seed,
    path=snakemake.output[0],
)

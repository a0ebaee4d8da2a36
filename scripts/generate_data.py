"""Rule generate_data: one split of one problem -> results/data/{problem}/{split}.nc."""

from uqbench.logs import to_file

to_file(snakemake.log[0])

from uqbench.stages.data import generate_data

generate_data(
    problem=snakemake.wildcards.problem,
    settings=snakemake.params.settings,
    split=snakemake.wildcards.split,
    seed=snakemake.params.seed,
    path=snakemake.output[0],
)

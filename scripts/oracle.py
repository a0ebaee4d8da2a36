"""Rule predict_oracle: fresh realizations of the true operator as the oracle's predictions."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.predict import predict_oracle

predict_oracle(
    problem=snakemake.wildcards.problem,
    settings=snakemake.params.settings,
    data_paths=[snakemake.input[s] for s in snakemake.params.splits],
    outputs=[snakemake.output[s] for s in snakemake.params.splits],
    n_samples=snakemake.params.n_samples,
    seed=int(snakemake.wildcards.seed),
)

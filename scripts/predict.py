"""Rule predict: predictive samples of a trained model for val, test and the shift rungs."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.predict import predict

predict(
    model_path=snakemake.input.model,
    data_path=[snakemake.input[s] for s in snakemake.params.splits],
    output=[snakemake.output[s] for s in snakemake.params.splits],
    n_samples=snakemake.params.n_samples,
    seed=int(snakemake.wildcards.seed),
    device=snakemake.params.device,
)

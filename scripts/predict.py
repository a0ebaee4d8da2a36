"""Rule predict: predictive samples of a trained model for the test and ood splits."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.predict import predict

predict(
    model_path=snakemake.input.model,
    data_path=[snakemake.input.test, snakemake.input.ood],
    output=[snakemake.output.test, snakemake.output.ood],
    n_samples=snakemake.params.n_samples,
    seed=int(snakemake.wildcards.seed),
    device=snakemake.params.device,
)

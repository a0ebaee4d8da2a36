"""Rule evaluate: metrics JSON of one prediction file against the true realizations."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.metrics.evaluate import evaluate

evaluate(
    predictions=snakemake.input.predictions,
    data=snakemake.input.data,
    output=snakemake.output[0],
    ood_predictions=snakemake.input.get("ood_predictions"),
    ood_data=snakemake.input.get("ood_data"),
)

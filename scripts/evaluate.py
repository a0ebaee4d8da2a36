"""Rule evaluate: metrics JSON of the test and ood predictions against the realizations."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.evaluate import evaluate_splits

evaluate_splits(
    predictions={"test": snakemake.input.test_predictions, "ood": snakemake.input.ood_predictions},
    data={"test": snakemake.input.test_data, "ood": snakemake.input.ood_data},
    outputs={"test": snakemake.output.test, "ood": snakemake.output.ood},
)

"""Rule evaluate: metrics JSON of the test and shift-rung predictions against the
realizations, with the +cp metrics calibrated on the val predictions."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.evaluate import evaluate_splits

calibration = snakemake.params.calibration
splits = [*snakemake.params.splits, calibration]
evaluate_splits(
    predictions={s: snakemake.input[f"{s}_predictions"] for s in splits},
    data={s: snakemake.input[f"{s}_data"] for s in splits},
    outputs={s: snakemake.output[s] for s in snakemake.params.splits},
    calibration=calibration,
    truth={s: snakemake.input[f"{s}_truth"] for s in snakemake.params.splits},
)

"""Rule truth_statistics: what the metrics need of each scored split's true realizations."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.evaluate import write_truth_statistics

splits = snakemake.params.splits
write_truth_statistics(
    data={s: snakemake.input[s] for s in splits},
    outputs={s: snakemake.output[s] for s in splits},
)

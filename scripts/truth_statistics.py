"""Rule truth_statistics: what the metrics need of one split's true realizations alone."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.evaluate import write_truth_statistics

write_truth_statistics(data=snakemake.input[0], output=snakemake.output[0])

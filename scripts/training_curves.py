"""Rule training_curves: loss against epoch for every problem and method."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.plots import training_curves

training_curves(list(snakemake.input), outputs=list(snakemake.output))

"""Rule training_curves: loss against epoch for every problem and method."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.study_figures import training_curves_figure

training_curves_figure(list(snakemake.input), outputs=list(snakemake.output))

"""Rule ratio_figure: energy distance against the stochastic-parameter ratio, DnC marked."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.study_figures import ratio_figure

ratio_figure(list(snakemake.input), outputs=list(snakemake.output))

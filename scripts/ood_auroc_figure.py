"""Rule ood_auroc_figure: OOD AUROC of each scoring method per problem."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.study_figures import ood_figure

ood_figure(list(snakemake.input), outputs=list(snakemake.output))

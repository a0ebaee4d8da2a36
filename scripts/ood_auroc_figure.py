"""Rule ood_auroc_figure: OOD AUROC of each scoring method per problem."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.plots import ood_auroc_figure

ood_auroc_figure(list(snakemake.input), outputs=list(snakemake.output))

"""Rule figure_<name>: one figure of ``uqbench.plots.catalogue.FIGURES`` from its inputs."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.figures import draw

draw(
    snakemake.params.name,
    list(snakemake.input),
    outputs=list(snakemake.output),
    context={**dict(snakemake.wildcards), "main_ratio": snakemake.params.main_ratio},
)

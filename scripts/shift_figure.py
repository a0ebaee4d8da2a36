"""Rule shift_figure: spread ratio and OOD AUROC of every method against the shift rung."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.study_figures import shift_ladder_figure

shift_ladder_figure(
    list(snakemake.input),
    problem=snakemake.wildcards.problem,
    outputs=list(snakemake.output),
)

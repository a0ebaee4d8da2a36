"""Rule ablation_figure: a method and its variants on one problem, each beside the default."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.study_figures import ablation_plot

ablation_plot(
    list(snakemake.input),
    base=snakemake.wildcards.base,
    main_ratio=snakemake.params.main_ratio,
    outputs=list(snakemake.output),
)

"""Rule figure: bands / samples / correlation figure of one problem."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.figures import problem_figures

problem_figures(
    kind=snakemake.params.kind,
    data_path=snakemake.input.data,
    prediction_paths=list(snakemake.input.predictions),
    outputs=list(snakemake.output),
)

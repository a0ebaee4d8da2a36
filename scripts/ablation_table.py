"""Rule ablation_table: a method and its variants on one problem, each beside the default."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.tables import ablation_table

ablation_table(
    list(snakemake.input.metrics),
    list(snakemake.input.logs),
    base=snakemake.wildcards.base,
    main_ratio=snakemake.params.main_ratio,
    csv_path=snakemake.output.csv,
    md_path=snakemake.output.md,
)

"""Rule metrics_table: methods x metrics of one problem (mean ± std over seeds), and its
shift ladder (methods x splits)."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.tables import metrics_table

metrics_table(
    list(snakemake.input),
    csv_path=snakemake.output.csv,
    md_path=snakemake.output.md,
    shift_csv=snakemake.output.shift_csv,
    shift_md=snakemake.output.shift_md,
)

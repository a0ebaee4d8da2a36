"""Rule metrics_table: methods x metrics of one problem (mean ± std over seeds)."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.tables import metrics_table

metrics_table(list(snakemake.input), csv_path=snakemake.output.csv, md_path=snakemake.output.md)

"""Rule ratio_table: energy distance, rel. L2 and coverage per problem × method × ratio."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.tables import ratio_table

ratio_table(list(snakemake.input), csv_path=snakemake.output.csv, md_path=snakemake.output.md)

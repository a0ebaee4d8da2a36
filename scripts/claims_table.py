"""Rule claims_table: the papers' testable claims checked on the study's metrics."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.tables import claims_table

claims_table(
    list(snakemake.input),
    main_ratio=snakemake.params.main_ratio,
    csv_path=snakemake.output.csv,
    md_path=snakemake.output.md,
)

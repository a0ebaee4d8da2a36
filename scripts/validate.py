"""Rule validate: a run's test metrics against the accepted reference (make validate)."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.metrics.tables import load_records
from uqbench.metrics.validate import check_against_reference

check_against_reference(
    load_records(list(snakemake.input.metrics)),
    reference=snakemake.input.reference,
    report=snakemake.output[0],
)

"""Rule validate: a run's test metrics against the accepted reference (make validate)."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.tables import check_validation

check_validation(
    list(snakemake.input.metrics),
    reference=snakemake.input.reference,
    report=snakemake.output[0],
)

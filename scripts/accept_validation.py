"""Rule accept_validation: the study's test metrics of every configured seed as the rows of
a validation reference, each with its commit (make validate-accept puts them in validation/)."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.accept import write_accepted

write_accepted(list(snakemake.input), out=snakemake.output[0], repo=snakemake.params.repo)

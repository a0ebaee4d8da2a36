"""Rule cost_table: wall time and memory of every data/train/predict/evaluate job per rule."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.stages.cost import write_cost_table

write_cost_table(dict(snakemake.input.items()), csv_path=snakemake.output[0])

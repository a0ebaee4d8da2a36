"""Rule cost_table: wall time and memory of every data/train/predict/evaluate job per rule."""

from uqbench.logs import to_file

to_file(snakemake.log[0])
from uqbench.metrics.cost import cost_table

cost_table(list(snakemake.input), csv_path=snakemake.output[0])

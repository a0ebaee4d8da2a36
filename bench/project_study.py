"""The full default study's cost projected from measured runs of one seed at the main ratio
(Snakemake's benchmark files under RUN/benchmarks), per problem: the measured job seconds,
the projection to `seeds` seeds and `ratios` ratios (the data once; genuq, vi and flow at
every ratio on the problems of `ratio-problems`, at the main one elsewhere) and the wall
time that is on `cores` cores at perfect packing (a lower bound).
Run: python bench/project_study.py RUN [RUN ...] [--seeds 3] [--ratios 5] [--cores 2]
     [--ratio-problems elu poisson]
"""

import argparse
from collections import defaultdict
from pathlib import Path

import yaml

from uqbench.catalogue import traits
from uqbench.io import read_benchmark
from uqbench.report.cost import SHARED_RULES, project_job_seconds

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
VARIANTS = SCHEMA["properties"]["variants"]["default"]
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("runs", nargs="+", type=Path, help="study directories run with one seed")
parser.add_argument("--seeds", type=int, default=len(SCHEMA["properties"]["seeds"]["default"]))
parser.add_argument("--ratios", type=int, default=len(SCHEMA["properties"]["ratios"]["default"]))
parser.add_argument("--cores", type=int, default=2)
parser.add_argument(
    "--ratio-problems", nargs="*", default=SCHEMA["properties"]["ratio_problems"]["default"]
)
args = parser.parse_args()

jobs = defaultdict(list)  # problem -> [(rule, method, seconds)]
for run in args.runs:
    for path in sorted((run / "benchmarks").glob("*/**/*.tsv")):
        # {rule}/{problem}/{method}/{ratio}/s{seed}, data/{problem}/{split}, truth/{problem};
        # tables/{table}: the reporting jobs, once for the whole study
        rule, name, *rest = path.relative_to(run / "benchmarks").with_suffix("").parts
        problem = "(tables)" if rule == "tables" else name
        method = rest[0] if rule not in SHARED_RULES else None
        jobs[problem].append((rule, method, read_benchmark(path)["s"]))

print(
    f"project_study: {args.seeds} seeds x {args.ratios} ratios on "
    f"{', '.join(args.ratio_problems)} (the main ratio elsewhere), {args.cores} cores"
)
print(f"{'problem':8s} {'jobs':>5s} {'measured s':>11s} {'projected s':>12s} {'wall h':>7s}")
grand = 0.0
for problem, js in sorted(jobs.items()):
    n_ratios = args.ratios if problem in args.ratio_problems else 1
    out = project_job_seconds(js, lambda m: traits(m, VARIANTS).sweeps_ratio, args.seeds, n_ratios)
    grand += out["total"]
    measured = sum(s for *_, s in js)
    wall = out["total"] / args.cores / 3600
    print(f"{problem:8s} {len(js):5d} {measured:11.0f} {out['total']:12.0f} {wall:7.2f}")
    by_method = defaultdict(float)
    for rule, method, s in js:
        by_method[method or rule] += s
    top = sorted(by_method.items(), key=lambda kv: -kv[1])[:6]
    print("         one seed, largest: " + ", ".join(f"{m} {s:.0f}" for m, s in top))
print(f"{'all':8s} {'':5s} {'':11s} {grand:12.0f} {grand / args.cores / 3600:7.2f}")

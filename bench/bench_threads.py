"""Jobs x threads on this machine: the same small full-size study (one problem, one seed,
the main ratio, a few methods) run with the local profile at each torch thread count per
training/prediction job; with C cores, T threads let C / T such jobs run at once. Prints the
wall time of each configuration side by side and its ratio to the fastest.
Run: python bench/bench_threads.py [--cores 2] [--threads 1 2] [--problem poisson]
     [--methods oracle deterministic genuq vi mc_dropout ensemble pno]  (~20 min on 2 cores)
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import device_name

REPO = Path(__file__).resolve().parents[1]
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--cores", type=int, default=2)
parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
parser.add_argument("--problem", default="poisson")
parser.add_argument(
    "--methods",
    nargs="+",
    default=["oracle", "deterministic", "genuq", "vi", "mc_dropout", "ensemble", "pno"],
)
args = parser.parse_args()

walls = {}
for threads in args.threads:
    with tempfile.TemporaryDirectory() as work:
        study = Path(work) / "study.yaml"
        study.write_text(
            f"problems: [{args.problem}]\nseeds: [0]\nratios: [0.016]\n"
            f"methods: [{', '.join(args.methods)}]\n"
        )
        target = f"results/tables/{args.problem}_metrics.csv"
        cmd = [str(Path(sys.executable).parent / "snakemake"), "-s", str(REPO / "Snakefile")]
        cmd += ["--directory", work, "--workflow-profile", str(REPO / "profiles/local")]
        cmd += [target, "--cores", str(args.cores), "--quiet", "all"]
        cmd += ["--set-threads", f"train={threads}", f"predict={threads}"]
        cmd += ["--configfile", str(REPO / "config.yaml"), str(study)]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        walls[threads] = time.perf_counter() - t0
        print(f"  {threads} thread(s) per job: {walls[threads]:.0f} s", flush=True)

best = min(walls.values())
print(
    f"bench_threads: {args.problem}, {' '.join(args.methods)}; {args.cores} cores, {device_name()}"
)
print(f"{'threads/job':>11s} {'jobs at once':>12s} {'wall s':>7s} {'x fastest':>9s}")
for threads, wall in walls.items():
    print(f"{threads:11d} {max(1, args.cores // threads):12d} {wall:7.0f} {wall / best:9.2f}")

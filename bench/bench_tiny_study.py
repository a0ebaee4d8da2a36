"""The tiny study (tests/config/tiny.yaml: every method on elu, GenUQ on poisson and porous;
the README's command) end to end on this machine: wall time against the 3-minute target,
and where the time goes (the per-rule cost table).
Run: python bench/bench_tiny_study.py [--cores 2]
"""

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import device_name

REPO = Path(__file__).resolve().parents[1]
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--cores", type=int, default=2)
args = parser.parse_args()

with tempfile.TemporaryDirectory() as work:
    cmd = [
        str(Path(sys.executable).parent / "snakemake"),
        "-s",
        str(REPO / "Snakefile"),
        "--directory",
        work,
        "--cores",
        str(args.cores),
        "--quiet",
        "all",
        "--configfile",
        str(REPO / "tests/config/tiny.yaml"),
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - t0
    with open(Path(work) / "results/tables/cost.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
jobs = sum(int(r["jobs"]) for r in rows)
print(f"bench_tiny_study: {args.cores} cores, {device_name()}")
print(f"wall {wall:.0f} s for the whole DAG (target 180 s): {wall / 180:.2f}x the target")
print(f"{'rule':10s} {'jobs':>5s} {'total s':>8s} {'mean s':>7s} {'max RSS MB':>11s}")
for r in rows:
    print(
        f"{r['rule']:10s} {r['jobs']:>5s} {float(r['wall_s_total']):8.1f} "
        f"{float(r['wall_s_mean']):7.2f} {r['max_rss_mb']:>11s}"
    )
print(f"({jobs} data/truth/train/predict/evaluate jobs; tables and figures not listed)")

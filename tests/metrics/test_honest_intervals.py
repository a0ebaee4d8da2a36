"""A run's interval over its test cases says how much its metric varies between replications.

The oracle is scored against the truth on a known-truth problem (elu) in 50 replications,
each with its own test split (data seed) and its own oracle draws (oracle seed). With every
(case, realization) its own operator draw, the cases are independent, so each replication's
95 % interval over cases (t intervals; the delta method for the spread ratio) should cover
the mean over replications in about 95 % of them (measured: 90 %, 98 %, 98 % for the energy
distance, spread ratio and coverage). With the same R operator draws shared by every case
(the design before), the per-run intervals on full-size elu were 21-60x narrower than the
seed-to-seed spread: the truth's second moments carried the noise of R draws in every case
at once.
"""

import numpy as np
import torch

from uqbench.metrics.evaluate import per_case_metrics, summarise_cases
from uqbench.problems import make_problem
from uqbench.seeding import stream

SETTINGS = {
    "grid": 32,
    "modes": 4,
    "shift_modes": [5, 6, 7],
    "sizes": {"test": 40, "realizations": 64},
}
CHECKED = ("energy_distance", "spread_ratio", "coverage_90")
REPLICATIONS = 50


def test_each_runs_interval_covers_the_mean_over_replications():
    p = make_problem("elu", SETTINGS)
    runs = []
    for r in range(REPLICATIONS):
        d = p.generate("test", seed=r)
        inputs = d.inputs.astype(np.float64)
        oracle = p.sample_outputs(inputs, 64, stream(r, "elu", "test", "oracle"))
        x = torch.from_numpy(np.moveaxis(oracle, 1, 0)).float().double()  # as in the files
        y = torch.from_numpy(d.outputs).float().double().transpose(0, 1)
        runs.append(summarise_cases(per_case_metrics(x, y, metrics=CHECKED), CHECKED))
    for metric in CHECKED:
        means = np.array([run[metric]["mean"] for run in runs])
        half = np.array([run[metric]["ci95"] for run in runs])
        covered = np.mean(np.abs(means - means.mean()) <= half)
        assert 0.85 <= covered <= 0.99, (metric, covered)
        # and the interval's standard error is the replications' spread, within a factor 2
        ratio = np.mean(half / 1.98) / means.std(ddof=1)
        assert 0.5 < ratio < 2.0, (metric, ratio)

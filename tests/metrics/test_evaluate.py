"""Per-case evaluation equals the per-realization definitions of each metric."""

import torch

from uqbench.metrics import evaluate as ev
from uqbench.metrics import scores


def test_vectorised_per_case_metrics_match_the_definitions():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(20, 5, 30, generator=g, dtype=torch.float64)  # (sample, case, d)
    y = torch.randn(15, 5, 30, generator=g, dtype=torch.float64)  # (realization, case, d)
    r = ev.per_case_metrics(x, y, chunk=2)
    pairs = scores.random_pairs(30, ev.N_PAIRS)
    ref = {
        "crps": torch.stack([scores.crps(x, yr).mean(-1) for yr in y]).mean(0),
        "variogram_score": torch.stack(
            [scores.variogram_score(x, yr, 0.5, pairs) for yr in y]
        ).mean(0),
        "coverage_90": torch.stack([scores.interval_coverage(x, yr, 0.9) for yr in y]).mean(0),
        "energy_score": torch.stack([scores.energy_score(x, yr) for yr in y]).mean(0),
        "energy_distance": scores.energy_distance(x, y),
        "width_95": scores.interval_width(x, 0.95),
    }  # fmt: skip
    for k, v in ref.items():
        torch.testing.assert_close(r[k], v, rtol=1e-9, atol=1e-12, msg=k)

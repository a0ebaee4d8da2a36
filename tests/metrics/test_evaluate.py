"""Per-case evaluation equals the per-realization definitions of each metric."""

import numpy as np
import pytest
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


def _numpy_corr(v: np.ndarray) -> np.ndarray:
    """Sample correlation matrix of draws v (n, d); points without spread: row/column 0."""
    c = v - v.mean(0)
    norm = np.sqrt((c**2).sum(0))
    z = np.divide(c, norm, out=np.zeros_like(c), where=norm > 0)
    return z.T @ z


def test_correlation_error_and_spread_ratio_match_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3, 7)) @ rng.normal(size=(7, 7))  # correlated points
    y = rng.normal(size=(25, 3, 7))
    x[:, 1, 2] = 5.0  # one point of one case without spread
    per_case = ev.per_case_metrics(torch.from_numpy(x), torch.from_numpy(y), chunk=2)
    for c in range(3):
        cx, cy = _numpy_corr(x[:, c]), np.corrcoef(y[:, c].T)
        want = np.linalg.norm(cx - cy) / np.linalg.norm(cy)
        assert float(per_case["correlation_error"][c]) == pytest.approx(want, rel=1e-10)
    summary = ev.summarise_cases(per_case)
    want = x.var(0, ddof=1).mean() / y.var(0, ddof=1).mean()  # over points and cases
    assert summary["spread_ratio"]["mean"] == pytest.approx(want, rel=1e-10)
    # no spread at all: the error is 1 by definition, the ratio 0
    flat = ev.per_case_metrics(torch.ones(10, 3, 7, dtype=torch.float64), torch.from_numpy(y))
    torch.testing.assert_close(flat["correlation_error"], torch.ones(3, dtype=torch.float64))
    assert ev.summarise_cases(flat)["spread_ratio"]["mean"] == 0


def test_the_truth_against_itself_scores_the_floor():
    g = torch.Generator().manual_seed(2)
    field = torch.randn(3000, 2, 1, generator=g, dtype=torch.float64) * torch.linspace(1, 2, 12)
    r = ev.summarise_cases(ev.per_case_metrics(field[:1500], field[1500:]))
    assert abs(r["spread_ratio"]["mean"] - 1) < 0.1 and r["correlation_error"]["mean"] < 0.02
    assert abs(r["energy_distance"]["mean"]) < 0.01
    assert abs(r["coverage_90"]["mean"] - 0.9) < 0.03


def test_mean_abs_difference_equals_the_brute_force_mean():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(17, 3, 8, generator=g, dtype=torch.float64)
    y = torch.cat([torch.randn(5, 3, 8, generator=g, dtype=torch.float64), x[:2]])  # ties too
    brute = (x[None] - y[:, None]).abs().mean(1)
    torch.testing.assert_close(scores.mean_abs_difference(x, y), brute, rtol=1e-12, atol=1e-12)


def test_a_subset_of_metrics_equals_the_same_metrics_of_the_full_pass():
    """The +cp pass computes only ``CP_METRICS``: the same values as the full pass."""
    g = torch.Generator().manual_seed(7)
    x = torch.randn(40, 5, 12, generator=g, dtype=torch.float64)
    y = torch.randn(30, 5, 12, generator=g, dtype=torch.float64)
    full = ev.summarise_cases(ev.per_case_metrics(x, y))
    part = ev.per_case_metrics(x, y, metrics=ev.CP_METRICS)
    assert "correlation_error" not in part and "variogram_score" not in part
    sub = ev.summarise_cases(part, ev.CP_METRICS)
    assert set(sub) == set(ev.CP_METRICS)
    for m in ev.CP_METRICS:
        assert sub[m]["mean"] == pytest.approx(full[m]["mean"], rel=1e-12), m

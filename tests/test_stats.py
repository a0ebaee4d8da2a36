"""Intervals: t quantiles against scipy, t intervals and the delta method that cover as
stated, and the coverage target of a perfect ensemble."""

import math

import numpy as np
import pytest
import torch
from scipy import stats as sps

from uqbench import stats


@pytest.mark.parametrize("df", [1, 2, 3, 4, 9, 19, 99, 1000])
@pytest.mark.parametrize("p", [0.975, 0.6, 0.999, 0.05])
def test_t_quantile_matches_scipy(p, df):
    assert stats.t_quantile(p, df) == pytest.approx(sps.t.ppf(p, df), rel=1e-9, abs=1e-12)


def test_mean_ci_is_the_t_interval_over_finite_values():
    s = stats.mean_ci([1.0, math.nan, 3.0, 2.0])
    assert s["n"] == 3 and s["mean"] == 2.0
    assert s["ci95"] == pytest.approx(sps.t.ppf(0.975, 2) * 1.0 / math.sqrt(3))
    assert math.isnan(stats.mean_ci([math.nan])["mean"])
    assert math.isnan(stats.mean_ci([5.0])["ci95"])  # one unit: no interval


def test_the_intervals_cover_at_their_level():
    """Over 4000 replications of 8 units: the t interval of a mean and the delta-method
    interval of a ratio of sums cover the truth in 95 % ± 1 % of them (a normal interval
    with 8 units would cover ~92 %)."""
    rng = np.random.default_rng(0)
    x = rng.normal(1.0, 1.0, (4000, 8))
    den = rng.gamma(4.0, 0.5, (4000, 8))  # mean 2
    num = 0.7 * den + rng.normal(0, 0.3, (4000, 8))
    mean_hits = [abs(s["mean"] - 1.0) <= s["ci95"] for s in map(stats.mean_ci, x)]
    ratio_hits = [abs(s["mean"] - 0.7) <= s["ci95"] for s in map(stats.ratio_ci, num, den)]
    assert np.mean(mean_hits) == pytest.approx(0.95, abs=0.01)
    assert np.mean(ratio_hits) == pytest.approx(0.95, abs=0.015)


def test_paired_ci_needs_the_same_units():
    d = stats.paired_ci([1.0, 2.0, 4.0], [0.5, 1.0, 3.0])
    assert d["mean"] == pytest.approx((0.5 + 1.0 + 1.0) / 3) and d["n"] == 3
    with pytest.raises(ValueError, match="same units"):
        stats.paired_ci([1.0, 2.0], [1.0])


def test_coverage_target_is_what_a_perfect_ensemble_reaches():
    """m = 256 samples of a law and a fresh draw of the same law: the interpolated 90 %
    central interval covers it 0.893 of the time (not 0.90)."""
    assert stats.coverage_target(0.9, 256) == pytest.approx(0.89300, abs=1e-5)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 40_000, generator=g, dtype=torch.float64)
    y = torch.randn(40_000, generator=g, dtype=torch.float64)
    q = torch.quantile(x, torch.tensor([0.05, 0.95], dtype=x.dtype), dim=0)
    hit = float(((y >= q[0]) & (y <= q[1])).double().mean())
    assert hit == pytest.approx(stats.coverage_target(0.9, 256), abs=3 * math.sqrt(0.09 / 40_000))


def test_crossed_ci_covers_when_seeds_and_cases_are_both_random():
    """Values d[s, c] = μ + seed effect + case effect + noise, 4 seeds crossed with 30 cases:
    the two-way interval covers μ in 95 % ± 2 % of 2000 replications; the t interval over the
    4 seed means, blind to the shared cases' own sampling, covers far less."""
    rng = np.random.default_rng(1)
    reps, n_s, n_c = 2000, 4, 30
    d = (
        rng.normal(0, 0.1, (reps, n_s, 1))
        + rng.normal(0, 1.0, (reps, 1, n_c))
        + rng.normal(0, 0.5, (reps, n_s, n_c))
    )
    crossed = [abs(s["mean"]) <= s["ci95"] for s in map(stats.crossed_ci, d)]
    over_seeds = [abs(s["mean"]) <= s["ci95"] for s in (stats.mean_ci(x.mean(1)) for x in d)]
    assert np.mean(crossed) == pytest.approx(0.95, abs=0.02)
    assert np.mean(over_seeds) < 0.75  # 0.67
    with pytest.raises(ValueError, match="finite"):
        stats.crossed_ci([[1.0, math.nan], [2.0, 3.0]])

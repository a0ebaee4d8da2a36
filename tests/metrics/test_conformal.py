"""Split conformal spread factor: it undoes a wrong spread, covers by construction, and
refuses a point prediction."""

import math

import torch

from uqbench.metrics.conformal import conformal_factor, rescale
from uqbench.metrics.scores import interval_coverage


def _ensemble(n_cases: int, scale: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Samples N(μ, scale²) (400, case, 5) for truths N(μ, 1): a spread off by ``scale``."""
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(n_cases, 5, generator=g, dtype=torch.float64)
    samples = mu + scale * torch.randn(400, n_cases, 5, generator=g, dtype=torch.float64)
    return samples, mu


def test_the_factor_undoes_a_too_narrow_and_a_too_wide_spread():
    for scale in (0.5, 2.0):
        samples, mu = _ensemble(2000, scale, seed=1)
        g = torch.Generator().manual_seed(2)
        val = mu + torch.randn(mu.shape, generator=g, dtype=torch.float64)
        c = conformal_factor(samples, val, 0.9)
        assert abs(c * scale - 1) < 0.05  # the rescaled spread is the truth's
        fresh = mu + torch.randn(mu.shape, generator=g, dtype=torch.float64)
        cov = float(interval_coverage(rescale(samples, c), fresh, 0.9).mean())
        assert abs(cov - 0.9) < 0.01


def test_calibration_coverage_is_at_least_nominal_by_construction():
    samples, mu = _ensemble(37, 0.3, seed=3)  # few cases: the finite-sample quantile
    y = mu + torch.randn(mu.shape, generator=torch.Generator().manual_seed(4), dtype=mu.dtype)
    c = conformal_factor(samples, y, 0.9)
    cov = float(interval_coverage(rescale(samples, c), y, 0.9).mean())
    n = y.numel()
    assert cov >= math.ceil((n + 1) * 0.9) / n - 1e-12
    # and no smaller factor reaches it: c is the smallest such
    cov_less = float(interval_coverage(rescale(samples, c * (1 - 1e-6)), y, 0.9).mean())
    assert cov_less < cov


def test_rescale_keeps_the_mean_and_scales_the_deviations():
    samples, _ = _ensemble(3, 1.0, seed=5)
    out = rescale(samples, 2.5)
    torch.testing.assert_close(out.mean(0), samples.mean(0))
    torch.testing.assert_close(out.std(0), 2.5 * samples.std(0))


def test_a_point_prediction_has_no_factor():
    mu = torch.randn(4, 5, dtype=torch.float64)
    assert math.isnan(conformal_factor(mu.expand(10, 4, 5), mu + 1, 0.9))

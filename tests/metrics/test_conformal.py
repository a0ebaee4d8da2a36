"""Split conformal spread factor: it undoes a wrong spread, covers by construction, and
refuses a point prediction."""

import math

import torch

from uqbench.metrics.conformal import conformal_factor, factor_from_scores, rescale
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


def test_calibration_coverage_reaches_the_case_rank_and_the_factor_is_minimal():
    samples, mu = _ensemble(37, 0.3, seed=3)  # few cases: the finite-sample rank
    y = mu + torch.randn(mu.shape, generator=torch.Generator().manual_seed(4), dtype=mu.dtype)
    c = conformal_factor(samples, y, 0.9)
    cov = float(interval_coverage(rescale(samples, c), y, 0.9).mean())
    n, d = y.shape
    assert cov >= math.ceil(0.9 * (n + 1) * d) / (n * d) - 1e-12
    # and no smaller factor reaches it: c is the smallest such
    cov_less = float(interval_coverage(rescale(samples, c * (1 - 1e-6)), y, 0.9).mean())
    assert cov_less < cov


def _coverage_of_a_new_case(need: torch.Tensor, factor) -> torch.Tensor:
    """Per repetition (rep, n + 1, d scores; the last case is the new one): the fraction of
    the new case's points covered at the factor ``factor(calib scores)``."""
    return torch.tensor([float((r[-1] <= factor(r[:-1])).double().mean()) for r in need])


def test_the_guarantee_holds_over_cases_whose_points_are_dependent():
    """Repetitions of a calib split of 12 cases and one new case, 20 points each, whose
    points share a case-level noise scale (exp(0.7 ξ_case)): the points of a case are far
    from independent. The average coverage of the new case is at least the level and at most
    level + (d + 1)/((n + 1) d), as the module docstring states; the pooled point rank
    ⌈level·(n·d + 1)⌉ (points treated as exchangeable) falls short of the level."""
    g = torch.Generator().manual_seed(0)
    reps, n, d = 10_000, 12, 20
    scale = torch.exp(0.7 * torch.randn(reps, n + 1, 1, generator=g, dtype=torch.float64))
    need = (scale * torch.randn(reps, n + 1, d, generator=g, dtype=torch.float64)).abs() / 0.8
    cov = _coverage_of_a_new_case(need, lambda calib: factor_from_scores(calib, 0.9))
    se = float(cov.std()) / math.sqrt(reps)
    assert float(cov.mean()) >= 0.9 - 3 * se
    assert float(cov.mean()) <= 0.9 + (d + 1) / ((n + 1) * d) + 3 * se

    def pooled_points(calib: torch.Tensor) -> float:
        return float(torch.kthvalue(calib.flatten(), math.ceil(0.9 * (n * d + 1))).values)

    old = _coverage_of_a_new_case(need, pooled_points)
    assert float(old.mean()) < 0.9 - 3 * float(old.std()) / math.sqrt(reps)


def test_too_few_cases_for_the_level_give_no_factor():
    need = torch.rand(8, 30, dtype=torch.float64)  # k = ⌈0.9·9·30⌉ = 243 > 240 scores
    assert math.isnan(factor_from_scores(need, 0.9))
    assert math.isfinite(factor_from_scores(torch.rand(9, 30, dtype=torch.float64), 0.9))


def test_rescale_keeps_the_mean_and_scales_the_deviations():
    samples, _ = _ensemble(3, 1.0, seed=5)
    out = rescale(samples, 2.5)
    torch.testing.assert_close(out.mean(0), samples.mean(0))
    torch.testing.assert_close(out.std(0), 2.5 * samples.std(0))


def test_a_point_prediction_has_no_factor():
    mu = torch.randn(4, 5, dtype=torch.float64)
    assert math.isnan(conformal_factor(mu.expand(10, 4, 5), mu + 1, 0.9))

"""Scoring rules against closed forms and the scoringrules package."""

import math

import numpy as np
import pytest
import scoringrules as sr
import torch

from uqbench.metrics.scores import (
    central_interval,
    crps,
    energy_distance,
    energy_score,
    interval_coverage,
    interval_width,
    random_pairs,
    rel_l2_mean,
    rel_l2_std,
    variogram_score,
)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(30, 6, 9)), rng.normal(size=(6, 9))  # (m, case, d), (case, d)


def test_energy_score_matches_scoringrules(data):
    x, y = data
    ours = energy_score(torch.tensor(x), torch.tensor(y)).numpy()
    ref = sr.energy_score(y, np.moveaxis(x, 0, 1), estimator="fair") / math.sqrt(9)  # RMS norm
    np.testing.assert_allclose(ours, ref, rtol=1e-7)  # cdist's matmul form: ~1e-9 rounding


def _direct_energy_score(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The definition by explicit differences (m, case, d), (case, d) -> (case,)."""
    rms = lambda v: v.pow(2).mean(-1).sqrt()  # noqa: E731
    m = x.shape[0]
    i, j = torch.triu_indices(m, m, offset=1)  # i < j: no zero distance, so finite grads
    pair = 2 * rms(x[i] - x[j]).sum(0) / (m * (m - 1))
    return rms(x - y).mean(0) - 0.5 * pair


def test_energy_score_value_and_gradients_equal_the_definition(data):
    # the hand-written backward against autograd through the definition, both arguments
    x = torch.tensor(data[0], requires_grad=True)
    y = torch.tensor(data[1], requires_grad=True)
    ours, ref = energy_score(x, y), _direct_energy_score(x, y)
    torch.testing.assert_close(ours, ref, rtol=1e-10, atol=1e-12)
    w = torch.rand(ours.shape, dtype=ours.dtype)
    g_ours = torch.autograd.grad((ours * w).sum(), (x, y))
    g_ref = torch.autograd.grad((ref * w).sum(), (x, y))
    for a, b in zip(g_ours, g_ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-12)
    assert torch.autograd.gradcheck(energy_score, (x[:4, :2, :3], y[:2, :3]))


def test_energy_score_keeps_float32_accuracy_for_a_small_spread_far_from_zero():
    # the Gram form centres on the sample mean: its rounding scales with the spread, not ‖x‖
    gen = torch.Generator().manual_seed(3)
    x = 1000.0 + 1e-2 * torch.randn(16, 4, 256, generator=gen, dtype=torch.float64)
    y = 1000.0 + 1e-2 * torch.randn(4, 256, generator=gen, dtype=torch.float64)
    ref = _direct_energy_score(x, y)
    ours = energy_score(x.float(), y.float()).double()
    torch.testing.assert_close(ours, ref, rtol=2e-2, atol=0.0)


def test_crps_matches_scoringrules(data):
    x, y = data
    ours = crps(torch.tensor(x), torch.tensor(y)).numpy()
    ref = sr.crps_ensemble(y, np.moveaxis(x, 0, -1), estimator="fair")
    np.testing.assert_allclose(ours, ref, rtol=1e-10)


def test_variogram_score_matches_scoringrules(data):
    x, y = data
    ours = variogram_score(torch.tensor(x), torch.tensor(y), p=0.5).numpy()
    ref = sr.variogram_score(y, np.moveaxis(x, 0, 1), p=0.5)
    np.testing.assert_allclose(ours, ref, rtol=1e-10)


def test_crps_of_a_gaussian_ensemble_matches_the_closed_form():
    # CRPS(N(0, 1), y) = y(2Φ(y) − 1) + 2φ(y) − 1/√π
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(200000, 1, generator=gen, dtype=torch.float64)
    y = torch.tensor([0.7], dtype=torch.float64)
    phi = math.exp(-0.49 / 2) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + math.erf(0.7 / math.sqrt(2)))
    exact = 0.7 * (2 * cdf - 1) + 2 * phi - 1 / math.sqrt(math.pi)
    assert crps(x, y).item() == pytest.approx(exact, abs=5e-3)


def test_energy_score_of_a_point_mass_is_the_error_norm():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    y = torch.tensor([0.0, 2.0, 1.0, 4.0], dtype=torch.float64)
    es = energy_score(x.expand(8, 4), y)
    assert es.item() == pytest.approx(math.sqrt((1 + 0 + 4 + 0) / 4))


def test_energy_distance_is_zero_in_expectation_and_positive_for_a_shift():
    gen = torch.Generator().manual_seed(1)
    a, b = (torch.randn(400, 50, 16, generator=gen, dtype=torch.float64) for _ in range(2))
    same = energy_distance(a, b)
    assert abs(same.mean().item()) < 3 * same.std().item() / math.sqrt(50)
    assert (energy_distance(a, b + 1.0) > 0.5).all()


def test_energy_score_gradient_is_finite_with_identical_draws():
    x = torch.zeros(4, 3, 5, requires_grad=True)
    energy_score(x, torch.ones(3, 5)).sum().backward()
    assert torch.isfinite(x.grad).all()
    # only the cross term moves identical draws: each towards y with weight 1/(m·d·‖x − y‖)
    torch.testing.assert_close(x.grad, torch.full_like(x, -1 / (4 * 5)))


def test_coverage_width_and_relative_errors():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(4000, 2, 10, generator=gen, dtype=torch.float64)
    truths = torch.randn(4000, 2, 10, generator=gen, dtype=torch.float64)
    cov = interval_coverage(x, truths, 0.9).mean(0)
    np.testing.assert_allclose(cov.numpy(), 0.9, atol=0.02)
    np.testing.assert_allclose(interval_width(x, 0.9).numpy(), 2 * 1.6449, rtol=0.05)
    assert (rel_l2_std(x, truths) < 0.05).all()
    shifted = truths + 1.0
    assert rel_l2_mean(x, shifted).numpy() == pytest.approx([1.0, 1.0], abs=0.05)


def test_random_pairs_are_fixed_and_distinct():
    p = random_pairs(50, 300)
    assert torch.equal(p, random_pairs(50, 300))
    assert (p[:, 0] < p[:, 1]).all() and p.max() < 50 and p.min() >= 0
    assert len({tuple(x) for x in p.tolist()}) == 300  # without replacement


def test_random_pairs_are_all_pairs_when_few():
    assert random_pairs(2, 2000).tolist() == [[0, 1]]  # porous: the one pair of components
    p = random_pairs(30, 2000)
    assert {tuple(x) for x in p.tolist()} == {(i, j) for i in range(30) for j in range(i + 1, 30)}
    # just above the threshold: a sample of distinct pairs covering the index range
    q = random_pairs(64, 2000)
    assert len({tuple(x) for x in q.tolist()}) == 2000 and q.max() == 63


@pytest.mark.parametrize("m", [2, 3, 5, 20, 33, 256])
@pytest.mark.parametrize("level", [0.5, 0.9, 0.95])
def test_central_interval_is_torch_quantile_from_the_tails(m, level):
    """Both ends equal torch.quantile's (linear interpolation) to the bit, with ties, and NaN
    where any sample of a position is NaN (the tails path for large m, the sort for small)."""
    g = torch.Generator().manual_seed(m)
    x = torch.randn(m, 7, 50, generator=g, dtype=torch.float64)
    x[:, 0, :10] = x[0, 0, :10]  # ties: every sample equal
    x[: m // 2, 1] = 0.5  # ties: half the samples
    x[m - 1, 2, 3] = math.nan
    x[0, 3, 4] = math.nan
    lo, hi = central_interval(x, level)
    q = torch.quantile(x, torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=x.dtype), dim=0)
    for got, want in ((lo, q[0]), (hi, q[1])):
        assert torch.equal(torch.isnan(got), torch.isnan(want))
        assert torch.equal(got.nan_to_num(), want.nan_to_num())
    assert bool(torch.isnan(lo[2, 3])) and bool(torch.isnan(hi[3, 4]))

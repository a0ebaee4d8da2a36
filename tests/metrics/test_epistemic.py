"""PaiDE mutual information, OOD AUROC and Spearman with known answers."""

import math

import numpy as np
import torch

from uqbench.metrics.epistemic import (
    bhattacharyya,
    ood_auroc,
    paide_mutual_information,
    score_error_spearman,
)


def test_paide_is_zero_for_identical_members():
    mean = torch.randn(1, 3, 7).expand(5, 3, 7)
    var = torch.rand(1, 3, 7).expand(5, 3, 7) + 0.1
    torch.testing.assert_close(paide_mutual_information(mean, var), torch.zeros(3, 7))


def test_paide_approaches_ln_m_for_far_apart_members():
    m = 5
    mean = torch.arange(m, dtype=torch.float64)[:, None] * 100.0  # (member, point)
    mi = paide_mutual_information(mean, torch.ones(m, 1, dtype=torch.float64))
    torch.testing.assert_close(mi, torch.full((1,), math.log(m), dtype=torch.float64))
    # monotone in the separation
    mids = [float(paide_mutual_information(mean * s / 100, torch.ones(m, 1))) for s in (0.1, 1, 3)]
    assert mids[0] < mids[1] < mids[2] < math.log(m)


def test_bhattacharyya_of_two_gaussians_matches_the_closed_form():
    mean = torch.tensor([[0.0], [1.0]])
    var = torch.tensor([[1.0], [4.0]])
    d = bhattacharyya(mean, var)[0, 1, 0]
    expected = 1 / (8 * 2.5) + 0.5 * math.log(2.5 / 2)
    assert math.isclose(float(d), expected, rel_tol=1e-6)
    assert float(bhattacharyya(mean, var)[0, 0, 0]) == 0


def test_auroc_and_spearman_known_values():
    assert ood_auroc(np.array([0.1, 0.2]), np.array([0.3, 0.4])) == 1.0
    assert ood_auroc(np.array([0.3, 0.4]), np.array([0.1, 0.2])) == 0.0
    assert ood_auroc(np.ones(4), np.ones(6)) == 0.5
    assert ood_auroc(np.array([0.0, 2.0]), np.array([1.0, 3.0])) == 0.75
    assert math.isclose(score_error_spearman(np.arange(5.0), np.arange(5.0) ** 3), 1.0)


def test_ranks_and_spearman_match_scipy():
    from scipy import stats

    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, 40).astype(float)  # many ties
    y = x + rng.normal(size=40)
    from uqbench.metrics.epistemic import average_ranks

    np.testing.assert_allclose(average_ranks(x), stats.rankdata(x))
    assert math.isclose(score_error_spearman(x, y), stats.spearmanr(x, y).statistic)
    u = stats.mannwhitneyu(y[20:], y[:20]).statistic / 400
    assert math.isclose(ood_auroc(y[:20], y[20:]), u)

"""Property tests (hypothesis) of the scoring rules: invariances, special cases, NaN, shapes."""

import math

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from uqbench.metrics import scores
from uqbench.metrics.evaluate import per_case_metrics

finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def ensembles(draw, min_m=2, max_m=12):
    """(samples (m, case, d), obs (case, d)) of finite float64 values."""
    m = draw(st.integers(min_m, max_m))
    cases, d = draw(st.integers(1, 3)), draw(st.integers(1, 6))
    x = draw(arrays(np.float64, (m, cases, d), elements=finite))
    y = draw(arrays(np.float64, (cases, d), elements=finite))
    return torch.from_numpy(x), torch.from_numpy(y)


@settings(max_examples=60, deadline=None)
@given(ensembles(), st.randoms(use_true_random=False))
def test_scores_do_not_depend_on_sample_order(data, rnd):
    x, y = data
    perm = torch.tensor(rnd.sample(range(x.shape[0]), x.shape[0]))
    xp = x[perm]
    for f in (scores.energy_score, scores.crps, scores.variogram_score):
        torch.testing.assert_close(f(xp, y), f(x, y), rtol=1e-9, atol=1e-7)
    torch.testing.assert_close(
        scores.energy_distance(xp, x[:2]), scores.energy_distance(x, x[:2]), rtol=1e-9, atol=1e-7
    )
    for level in (0.5, 0.9):
        torch.testing.assert_close(
            scores.interval_coverage(xp, y, level), scores.interval_coverage(x, y, level)
        )


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (3, 5), elements=finite),
    arrays(np.float64, (3, 5), elements=finite),
    st.integers(2, 9),
)
def test_energy_score_of_a_point_mass_is_the_rms_error(point, obs, m):
    x = torch.from_numpy(point).expand(m, 3, 5)
    y = torch.from_numpy(obs)
    rms = (x[0] - y).pow(2).mean(-1).sqrt()
    torch.testing.assert_close(scores.energy_score(x, y), rms, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(scores.crps(x, y), (x[0] - y).abs(), rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(2, 6), st.floats(0.1, 3.0))
def test_energy_distance_is_zero_in_expectation_for_one_law(seed, d, scale):
    gen = torch.Generator().manual_seed(seed)
    x = scale * torch.randn(400, 8, d, generator=gen, dtype=torch.float64)
    y = scale * torch.randn(400, 8, d, generator=gen, dtype=torch.float64)
    ed = scores.energy_distance(x, y)  # (8,) independent estimates
    # unbiased: may dip below zero, but only by estimator noise (O(scale / m))
    assert ed.shape == (8,)
    assert ed.min() > -0.05 * scale
    assert abs(float(ed.mean())) < 0.02 * scale
    shifted = scores.energy_distance(x + 2 * scale, y)
    assert (shifted > 0.5 * scale).all()


@settings(max_examples=40, deadline=None)
@given(ensembles(min_m=2), ensembles(min_m=2))
def test_energy_distance_is_symmetric_in_two_different_sets(a, b):
    x, y = a[0], b[0]
    cases, d = min(x.shape[1], y.shape[1]), min(x.shape[2], y.shape[2])
    x, y = x[:, :cases, :d], y[:, :cases, :d]  # m and k samples of the same cases and points
    torch.testing.assert_close(
        scores.energy_distance(x, y), scores.energy_distance(y, x), rtol=1e-9, atol=1e-7
    )


@settings(max_examples=40, deadline=None)
@given(ensembles(min_m=2), finite)
def test_variogram_score_over_all_ordered_pairs_is_twice_the_distinct_pairs(data, shift):
    """|y_i − y_j| = |y_j − y_i|: the ordered pairs (i, j) and (j, i) score the same, so the
    all-pairs form is twice the i < j one (``random_pairs`` with room for all of them); and
    differences are blind to a common shift of samples and observation."""
    x, y = data
    d = y.shape[-1]
    every = scores.variogram_score(x, y, 0.5)
    distinct = scores.variogram_score(x, y, 0.5, scores.random_pairs(d, d * d))
    torch.testing.assert_close(every, 2 * distinct, rtol=1e-9, atol=1e-7)
    torch.testing.assert_close(
        scores.variogram_score(x + shift, y + shift, 0.5), every, rtol=1e-6, atol=1e-6
    )


@settings(max_examples=40, deadline=None)
@given(ensembles(min_m=2, max_m=6), st.integers(2, 5))
def test_per_case_metric_shapes_and_ranges(data, k):
    x, _ = data
    y = torch.roll(x, 1, dims=0)[:k] if x.shape[0] >= k else x
    out = per_case_metrics(x, y, chunk=2)
    assert set(out) >= {"energy_distance", "crps", "coverage_95"}
    for name, v in out.items():
        assert v.shape == (x.shape[1],), name
    for level in (90, 95):
        c = out[f"coverage_{level}"]
        assert ((c >= 0) & (c <= 1)).all()
        assert (out[f"width_{level}"] >= 0).all()


def test_nan_samples_give_nan_scores_not_silent_numbers():
    x = torch.randn(5, 2, 4, dtype=torch.float64)
    y = torch.randn(2, 4, dtype=torch.float64)
    x[2, 0, 1] = math.nan
    for f in (scores.energy_score, scores.variogram_score):
        v = f(x, y)
        assert math.isnan(v[0]) and math.isfinite(v[1])
    assert torch.isnan(scores.crps(x, y)[0, 1]) and torch.isfinite(scores.crps(x, y)[1]).all()
    assert math.isnan(scores.energy_distance(x, x.flip(0))[0])

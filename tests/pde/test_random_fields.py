"""Empirical covariance of the random fields against the target kernel."""

import numpy as np
import pytest

from uqbench.pde.random_fields import FieldSpec, covariance, sample_field


def _empirical_cov(samples: np.ndarray) -> np.ndarray:
    flat = samples.reshape(samples.shape[0], -1)
    return flat.T @ flat / flat.shape[0]  # zero-mean fields: no centring


@pytest.mark.parametrize("kernel", ["squared_exponential", "exponential"])
def test_1d_covariance_matches_target(kernel):
    x = np.linspace(0, 1, 40)
    spec = FieldSpec(kernel, length=0.2, variance=1.5)
    s = sample_field(spec, (x,), 20000, np.random.default_rng(0))
    target = covariance(spec, np.abs(x[:, None] - x[None, :]))
    # standard error of a covariance estimate with N = 2e4 is ~ sqrt(2)·σ²/sqrt(N) ≈ 0.015
    assert np.abs(_empirical_cov(s) - target).max() < 0.08
    assert abs(s.mean()) < 0.05


@pytest.mark.parametrize("kernel", ["squared_exponential", "exponential"])
def test_2d_covariance_matches_target(kernel):
    x = np.linspace(0, 1, 9)
    y = np.linspace(0, 0.5, 6)
    spec = FieldSpec(kernel, length=0.3, variance=0.5)
    s = sample_field(spec, (x, y), 20000, np.random.default_rng(1))
    assert s.shape == (20000, 9, 6)
    X, Y = np.meshgrid(x, y, indexing="ij")
    p = np.stack([X.ravel(), Y.ravel()], -1)
    r = np.sqrt(((p[:, None] - p[None]) ** 2).sum(-1))  # Euclidean distance, not separable
    assert np.abs(_empirical_cov(s) - covariance(spec, r)).max() < 0.04


def test_same_seed_same_field_other_seed_other_field():
    x = np.linspace(0, 1, 16)
    spec = FieldSpec("squared_exponential", 0.1, 1.0)
    a = sample_field(spec, (x, x), 3, np.random.default_rng(5))
    b = sample_field(spec, (x, x), 3, np.random.default_rng(5))
    c = sample_field(spec, (x, x), 3, np.random.default_rng(6))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kernel": "matern", "length": 0.1, "variance": 1.0}, "unknown kernel"),
        ({"kernel": "exponential", "length": 0.0, "variance": 1.0}, "length"),
        ({"kernel": "exponential", "length": 0.1, "variance": -1.0}, "variance"),
    ],
)
def test_invalid_spec_is_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FieldSpec(**kwargs)

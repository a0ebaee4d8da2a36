"""Gaussian likelihood helpers against torch.distributions."""

import math

import torch

from uqbench.methods.likelihood import NoiseScale, gaussian_nll


def test_gaussian_nll_is_the_vector_log_density():
    pred, y = torch.randn(3, 5, 4, 6), torch.randn(5, 4, 6)  # (draw, case, x, y)
    log_var = torch.randn(3, 5, 4, 6)
    nll = gaussian_nll(pred, y, log_var)
    ref = -torch.distributions.Normal(pred, torch.exp(0.5 * log_var)).log_prob(y).sum((-2, -1))
    assert nll.shape == (3, 5)
    torch.testing.assert_close(nll, ref)


def test_scalar_noise_broadcasts():
    noise = NoiseScale(0.5)
    assert math.isclose(float(noise.std), 0.5, rel_tol=1e-6)
    pred, y = torch.zeros(2, 7), torch.ones(2, 7)
    expected = 7 * (0.5 / 0.25 + 0.5 * math.log(2 * math.pi * 0.25))
    torch.testing.assert_close(gaussian_nll(pred, y, noise.log_var), torch.full((2,), expected))

"""vi: mean-field Gaussian variational inference (Bayes by backprop) over the subset S.

q(θ_S) = N(μ_S, diag σ²) with σ = softplus(ρ) and the reparameterisation θ_S = μ_S + σ ⊙ ε;
μ_S are the base model's own weights at S (started at the deterministic pre-fit), the other
weights are point estimates. Prior N(0, 1), Gaussian likelihood with a learned noise scale,
KL weight 1/N, closed-form KL. Training and sampling: ``variational.VariationalMethod``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from uqbench.methods.variational import VariationalHyper, VariationalMethod


class _DiagonalGaussian(nn.Module):
    def __init__(self, dim: int, init_std: float) -> None:
        super().__init__()
        self.rho = nn.Parameter(torch.full((dim,), math.log(math.expm1(init_std))))

    @property
    def std(self) -> torch.Tensor:
        return nn.functional.softplus(self.rho)


class VI(VariationalMethod):
    name = "vi"
    Hyper = VariationalHyper

    def _make_posterior(self, dim: int) -> nn.Module:
        return _DiagonalGaussian(dim, self.hyper.init_std)

    def draw(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        std = self.posterior.std
        eps = torch.randn(n, std.shape[0], generator=generator, device=generator.device)
        eps = eps.to(std.device)
        log_q = -(0.5 * eps.pow(2) + torch.log(std) + 0.5 * math.log(2 * math.pi)).sum(-1)
        return std * eps, log_q

    def kl(self, theta: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
        mu, std = self.subset_values(), self.posterior.std
        return (0.5 * (std.pow(2) + mu.pow(2) - 1) - torch.log(std)).sum()

"""Gaussian likelihood pieces shared by vi, flow, mc_dropout, ensemble (and decu).

Log-likelihoods are of the whole output vector (summed over output points, natural log),
so with a KL weight of 1/N the loss is the negative ELBO per training input.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def gaussian_nll(pred: torch.Tensor, y: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """-log N(y; pred, exp(log_var)) summed over points.

    Args:
        pred: (..., case, *output dims); y broadcasts against it.
        log_var: log variance, broadcastable to pred (a scalar for a homoscedastic model).

    Returns:
        (..., case): one value per case (and leading draw/member dims).
    """
    nll = 0.5 * ((y - pred).pow(2) * torch.exp(-log_var) + log_var + math.log(2 * math.pi))
    nll = nll.expand(torch.broadcast_shapes(pred.shape, y.shape))
    return nll.flatten(pred.dim() - y.dim() + 1).sum(-1)


class NoiseScale(nn.Module):
    """A learned homoscedastic observation noise σ (stored as log σ²)."""

    def __init__(self, std: float = 0.1) -> None:
        super().__init__()
        self.log_var = nn.Parameter(torch.tensor(2 * math.log(std)))

    @torch.no_grad()
    def set_std(self, std: float) -> None:
        self.log_var.fill_(2 * math.log(max(std, 1e-8)))

    @property
    def std(self) -> torch.Tensor:
        return torch.exp(0.5 * self.log_var)

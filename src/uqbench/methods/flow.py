"""flow: normalizing-flow variational posterior (zuko) over the subset S.

θ_S = μ_S + exp(s) ⊙ x with x from a zuko flow (MAF or NSF, ``transforms`` layers) and a
learned per-parameter log-scale s started at log(init_std), so training starts at the point
fit. The affine map is itself a flow: log q(θ_S) = log q_x(x) − Σ s. The transforms use
``passes=2`` (coupling), so sampling costs two passes instead of |S| sequential ones — needed
for subsets of thousands of weights. Same likelihood, prior N(0, 1) and ELBO as vi; the KL
is a Monte Carlo estimate over the ELBO's draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import zuko
from torch import nn

from uqbench.methods.variational import (
    VariationalHyper,
    VariationalMethod,
    standard_normal_log_prob,
)

FLOWS = {"maf": zuko.flows.MAF, "nsf": zuko.flows.NSF}


@dataclass(frozen=True)
class FlowHyper(VariationalHyper):
    kind: str = "maf"
    transforms: int = 3
    hidden: tuple[int, ...] = (64, 64)

    def __post_init__(self) -> None:
        if self.kind not in FLOWS:
            raise ValueError(f"hyper.flow.kind must be one of {sorted(FLOWS)}, got {self.kind!r}")


class _FlowPosterior(nn.Module):
    def __init__(self, dim: int, hyper: FlowHyper) -> None:
        super().__init__()
        # a coupling flow needs two features to split: a 1-d subset keeps the affine map only
        self.flow = None
        if dim > 1:
            self.flow = FLOWS[hyper.kind](
                dim, transforms=hyper.transforms, hidden_features=list(hyper.hidden), passes=2
            )
        self.dim = dim
        self.log_scale = nn.Parameter(torch.full((dim,), math.log(hyper.init_std)))


class Flow(VariationalMethod):
    name = "flow"
    Hyper = FlowHyper

    def _make_posterior(self, dim: int) -> nn.Module:
        return _FlowPosterior(dim, self.hyper)

    def draw(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        post = self.posterior
        z = torch.randn(n, post.dim, generator=generator, device=generator.device)
        z = z.to(post.log_scale.device)
        x, log_qx = z, standard_normal_log_prob(z)
        if post.flow is not None:
            x, ladj = post.flow().transform.inv.call_and_ladj(z)  # x = T⁻¹(z), log|dx/dz|
            log_qx = log_qx - ladj
        return torch.exp(post.log_scale) * x, log_qx - post.log_scale.sum()

    def kl(self, theta: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
        return (log_q - standard_normal_log_prob(theta)).mean()

"""ensemble: deep ensemble (Lakshminarayanan et al.) of heteroscedastic base models.

M base models (different initialisation seeds) each output a mean and a log-variance field
(the base model with 2 output channels) and are trained on the Gaussian NLL under the
problem's recipe. All members are trained in one vectorised pass: their parameters are
stacked and evaluated with ``vmap(functional_call)``, and AdamW treats every element
independently, so this equals M independent trainings on the same mini-batch sequence; the
kept epoch is the one with the best validation NLL summed over members (one selection for
the ensemble). Samples come from the mixture: a uniformly chosen member, then
N(μ_m(a), diag σ_m²(a)). Epistemic score: the members' disagreement as the pairwise-distance
(Bhattacharyya) mutual-information estimate per output point, averaged over points (the
same estimator as decu).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call, vmap

from uqbench.methods.base import Data
from uqbench.methods.likelihood import gaussian_nll
from uqbench.methods.mixture import LOG_VAR_MIN, MixtureMethod
from uqbench.models import decayed
from uqbench.problems import build_model, model_from_args
from uqbench.seeding import torch_fork


@dataclass(frozen=True)
class EnsembleHyper:
    members: int = 5

    def __post_init__(self) -> None:
        if self.members < 2:
            raise ValueError(f"hyper.ensemble.members must be >= 2, got {self.members}")


class Ensemble(MixtureMethod):
    name = "ensemble"
    Hyper = EnsembleHyper

    def build(self, train: Data) -> None:
        inputs, outputs = train.inputs.cpu(), train.outputs.cpu()
        members = []
        for i in range(self.hyper.members):
            with torch_fork(self.seed, self.name, "member", str(i)):
                members.append(build_model(self.problem, inputs, outputs, channels=2))
        self.members = nn.ModuleList(members).to(self.device)

    def modules(self) -> dict[str, nn.Module]:
        return {"members": self.members}

    def decayed(self) -> list[nn.Parameter]:
        return [p for m in self.members for p in decayed(m)]

    def model_args(self) -> dict | None:
        return self.members[0].init_args  # every member has the same architecture

    def _rebuild(self, model_args: dict) -> None:
        self.members = nn.ModuleList(
            model_from_args(self.problem, model_args) for _ in range(self.hyper.members)
        ).to(self.device)

    def forward_all(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of every member: each (member, case, *output dims)."""
        template = self.members[0]  # the architecture; the parameters come from ``stacked``
        stacked = {
            name: torch.stack([dict(m.named_parameters())[name] for m in self.members])
            for name, _ in template.named_parameters()
        }
        out = vmap(lambda p: functional_call(template, p, (inputs,)))(stacked)
        return out[:, :, 0], out[:, :, 1].clamp_min(LOG_VAR_MIN)

    def fit(self, train: Data, val: Data) -> list[dict[str, float]]:

        def nll(a: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            mean, log_var = self.forward_all(a)
            return gaussian_nll(mean, y, log_var).mean(-1).sum()  # sum over members

        return self.fit_base(
            nll,
            train,
            self.mixture_validation(nll, val),
            self.name,
            params=self.members.parameters(),
        )
